"""A retry's body is validated once per worker (rebalance/boundary/memo.py), and what
the client gets is exactly what validating again would give."""
from __future__ import annotations

import json

import pytest

from rebalance import views
from rebalance.boundary.memo import ValidatedBodies

from .conftest import simulate_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def validations(monkeypatch):
    """Counts real validations; a fresh memo per test."""
    calls = []
    real = views.validate_request_body

    def counting(raw, model):
        calls.append(raw)
        return real(raw, model)

    monkeypatch.setattr(views, "validate_request_body", counting)
    monkeypatch.setattr(views, "simulate_bodies", ValidatedBodies())
    return calls


def test_a_replay_of_the_same_bytes_is_not_validated_again(api, validations):
    raw = json.dumps(simulate_body())
    first = api.simulate(raw, key="memo-1")
    again = api.simulate(raw, key="memo-1")
    fresh = api.simulate(raw, key="memo-2")  # a new key: the remembered request runs
    assert [r.status_code for r in (first, again, fresh)] == [200, 200, 200]
    assert again["Idempotent-Replayed"] == "true" and again.content == first.content
    assert fresh["Idempotent-Replayed"] == "false"
    assert len(validations) == 1
    # Negative control: other bytes of the same JSON are validated, and replay too.
    spaced = api.simulate(json.dumps(simulate_body(), indent=1), key="memo-1")
    assert spaced.status_code == 200 and spaced.content == first.content
    assert len(validations) == 2


def test_header_issues_are_still_reported_for_a_remembered_body(api, validations):
    raw = json.dumps(simulate_body())
    assert api.simulate(raw, key="memo-3").status_code == 200
    refused = api.simulate(raw, key="x" * 10_000)
    assert refused.status_code == 422
    assert [issue["loc"] for issue in refused.json()["detail"]] == [["header", "Idempotency-Key"]]


def test_an_invalid_body_is_never_remembered(api, validations):
    bad = json.dumps({**simulate_body(), "options": {"max_turnover_pct": "many"}})
    assert api.simulate(bad, key="memo-4").status_code == 422
    assert api.simulate(bad, key="memo-4").status_code == 422
    assert len(validations) == 2
