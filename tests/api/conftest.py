"""Fixtures of the HTTP tests: small request bodies and a client that posts raw JSON.

Bodies come from ``tests/factories.py`` (not copied from the conformance fixtures) and
are kept tiny so that every engine run takes milliseconds.
"""
from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.factories import small_analyze_body, small_simulate_body

SIMULATE = "/rebalance/simulate"
ANALYZE = "/rebalance/analyze"
PROBLEM = "application/problem+json"


# The request bodies of these tests (re-exported for ``from .conftest import ...``).
simulate_body = small_simulate_body
analyze_body = small_analyze_body


def reordered(value):
    """The same JSON value with every object's keys in reverse order."""
    if isinstance(value, dict):
        return {k: reordered(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [reordered(v) for v in value]
    return value


class Api:
    """Thin wrapper over django.test.Client posting JSON text with explicit headers."""

    def __init__(self, client: Client | None = None):
        self.client = client or Client()

    def post(self, path, body, *, key=None, correlation=None, content_type="application/json",
             headers=None):
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        hdrs = dict(headers or {})
        if key is not None:
            hdrs["Idempotency-Key"] = key
        if correlation is not None:
            hdrs["X-Correlation-Id"] = correlation
        kwargs = {"headers": hdrs}
        if content_type is None:
            # The test client always puts CONTENT_TYPE in the WSGI environ; an empty value
            # is what a server passes on for a request without the header.
            content_type = ""
        return self.client.generic("POST", path, data, content_type=content_type, **kwargs)

    def simulate(self, body, key="k-1", **kw):
        return self.post(SIMULATE, body, key=key, **kw)

    def analyze(self, body, **kw):
        return self.post(ANALYZE, body, **kw)

    def get(self, path):
        return self.client.get(path)


@pytest.fixture
def api(client) -> Api:
    return Api(client)


@pytest.fixture(autouse=True)
def _default_toggles(monkeypatch):
    """Every test starts with the documented defaults, whatever the shell exported."""
    monkeypatch.delenv("DPM_IDEMPOTENCY_REPLAY_ENABLED", raising=False)
    monkeypatch.delenv("DPM_SUPPORT_APIS_ENABLED", raising=False)


def assert_problem(response, status: int, detail=None, title: str | None = None):
    """A problem-details response with the RFC 9457 members and our correlation id."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert set(body) >= {"type", "title", "status", "detail", "instance", "correlation_id"}
    assert body["status"] == status
    assert body["type"] == "about:blank"
    if title is not None:
        assert body["title"] == title
    if detail is not None:
        assert body["detail"] == detail
    assert body["instance"] == response.wsgi_request.path
    assert body["correlation_id"] == response["X-Correlation-Id"]
    return body
