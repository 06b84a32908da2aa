"""GET /rebalance/runs/idempotency/{key}/history: every outcome, oldest first, per key space."""
from __future__ import annotations


import pytest

from access_control.models import AccessEvent
from dpm_runs.repository import RunRepository
from rebalance.boundary import RebalanceRequest, validate_request
from rebalance.request_hash import hash_of_tree
from tests.access_control.callers import other_body
from tests.api.conftest import assert_problem, simulate_body
from tests.workbench.conftest import client_pk

pytestmark = pytest.mark.django_db

HISTORY = "/rebalance/runs/idempotency/{}/history"
ENTRY_KEYS = {"occurred_at", "correlation_id", "request_hash", "outcome", "rebalance_run_id"}


def _hash(body: dict) -> str:
    validated, issues = validate_request(body, RebalanceRequest)
    assert not issues, issues
    return hash_of_tree(validated.request_tree())


def _outcomes(response) -> list[tuple[str, str | None]]:
    assert response.status_code == 200, response.content
    return [(e["outcome"], e["rebalance_run_id"]) for e in response.json()["history"]]


def test_executed_replayed_and_conflict_in_order(alice):
    run_id = alice.simulate(key="k1", correlation="c-1").json()["rebalance_run_id"]
    assert alice.simulate(key="k1", correlation="c-2")["Idempotent-Replayed"] == "true"
    assert alice.simulate(key="k1", body=other_body(), correlation="c-3").status_code == 409
    response = alice.get(HISTORY.format("k1"))
    body = response.json()
    assert body["idempotency_key"] == "k1"
    assert _outcomes(response) == [("executed", run_id), ("replayed", run_id), ("conflict", None)]
    assert [e["correlation_id"] for e in body["history"]] == ["c-1", "c-2", "c-3"]
    assert set(body["history"][0]) == ENTRY_KEYS
    hashes = [e["request_hash"] for e in body["history"]]
    assert hashes[0] == hashes[1] == _hash(simulate_body()) != hashes[2]


def test_in_progress_is_recorded(alice):
    # Another worker holds the key for this very request.
    RunRepository().claim(client_pk("alice"), "busy", _hash(simulate_body()))
    response = alice.simulate(key="busy")
    assert response.status_code == 409
    assert response.json()["detail"] == "IDEMPOTENCY_KEY_IN_PROGRESS"
    assert _outcomes(alice.get(HISTORY.format("busy"))) == [("in_progress", None)]


def test_re_executed_with_replay_off(alice, monkeypatch):
    first = alice.simulate(key="k2").json()["rebalance_run_id"]
    monkeypatch.setenv("DPM_IDEMPOTENCY_REPLAY_ENABLED", "false")
    second = alice.simulate(key="k2").json()["rebalance_run_id"]
    assert first != second
    assert _outcomes(alice.get(HISTORY.format("k2"))) == [("executed", first), ("re_executed", second)]


def test_an_unknown_key_is_404(alice):
    assert_problem(alice.get(HISTORY.format("never-used")), 404, "DPM_IDEMPOTENCY_KEY_NOT_FOUND")


def test_another_clients_key_is_404_and_support_names_the_key_space(alice, bob, support):
    alice.simulate(key="alice-key")
    assert_problem(bob.get(HISTORY.format("alice-key")), 404, "DPM_IDEMPOTENCY_KEY_NOT_FOUND")
    # Support looks in its own key space unless it names another.
    assert_problem(support.get(HISTORY.format("alice-key")), 404, "DPM_IDEMPOTENCY_KEY_NOT_FOUND")
    assert _outcomes(support.get(HISTORY.format("alice-key") + "?client=alice"))[0][0] == "executed"
    assert_problem(support.get(HISTORY.format("alice-key") + "?client=nobody"), 404,
                   "DPM_IDEMPOTENCY_KEY_NOT_FOUND")
    # A name no client can have (a NUL: a 500 on PostgreSQL found by the fuzz run) is nobody's.
    assert_problem(support.get(HISTORY.format("alice-key") + "?client=ali%00ce"), 404,
                   "DPM_IDEMPOTENCY_KEY_NOT_FOUND")
    # Naming a key space needs the support role.
    assert_problem(bob.get(HISTORY.format("alice-key") + "?client=alice"), 403)


def test_every_history_read_is_an_access_event(alice, support):
    alice.simulate(key="k3")
    alice.get(HISTORY.format("k3"))
    support.get(HISTORY.format("k3") + "?client=alice")
    events = AccessEvent.objects.filter(action="idempotency.history").order_by("id")
    assert [(e.actor, e.target, e.outcome) for e in events] == [
        ("api:alice", "k3", 200), ("api:helpdesk", "k3?client=alice", 200),
    ]


def test_a_key_with_a_space_is_found_percent_encoded(alice):
    # Idempotency keys are free text; the path carries them percent-encoded.
    response = alice.simulate(key="a b")
    assert response.status_code == 200
    assert _outcomes(alice.get(HISTORY.format("a%20b")))[0][0] == "executed"
