"""Fixtures of the run-store tests: a repository on a controllable clock, the API
client that owns the runs, and run factories."""
from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest

from dpm_runs.repository import NewRun, RunRepository

START = datetime(2026, 11, 28, 22, 43, 58, 709992, tzinfo=UTC)


class FakeClock:
    """Aware UTC time that moves only when told to."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def repo(clock) -> RunRepository:
    return RunRepository(clock=clock, lease_seconds=60)


@pytest.fixture
def owner_issued(db):
    """The API client whose runs and idempotency keys the tests record, with its key.

    It holds the ``simulate`` role only: it reads its own runs and its own key
    space, not every client's as support would.
    """
    from access_control.clients import create_client

    return create_client("run-owner", ["simulate"])


@pytest.fixture
def owner(owner_issued):
    """The ApiClient that owns the recorded runs; pass ``owner.pk`` to the repository."""
    return owner_issued.client


@pytest.fixture
def owner_headers(owner_issued) -> dict[str, str]:
    """Request headers that authenticate as ``owner``."""
    return {"Authorization": f"Api-Key {owner_issued.key}"}


@pytest.fixture
def other_owner(db):
    """A second API client, for tests that need two key spaces."""
    from access_control.clients import create_client

    return create_client("other-owner", ["simulate"]).client


def response_text(run_id: str, correlation_id: str, status: str = "READY") -> str:
    """A result body whose bytes a re-serialisation would change: unsorted keys,
    number text ``1.50``/``1E+2``, a non-ASCII character and an escaped one."""
    return (
        '{"rebalance_run_id":"%s","correlation_id":"%s","status":"%s",'
        '"before":{"total_value":{"amount":"25000.000","currency":"SGD"},"z":1.50,"a":1E+2},'
        '"note":"caf\u00e9 \\u2713","intents":[]}' % (run_id, correlation_id, status)
    )


_counter = itertools.count(1)


@pytest.fixture
def make_run():
    """Build a NewRun; every call gets a fresh run id unless one is given."""

    def _make(
        run_id: str | None = None,
        correlation_id: str = "corr-1",
        request_hash: str = "sha256:" + "a" * 64,
        portfolio_id: str = "pf_1",
        status: str = "READY",
        response_body: str | None = None,
    ) -> NewRun:
        run_id = run_id or f"rr_{next(_counter):08x}"
        body = response_body if response_body is not None else response_text(run_id, correlation_id, status)
        return NewRun(
            rebalance_run_id=run_id,
            correlation_id=correlation_id,
            request_hash=request_hash,
            portfolio_id=portfolio_id,
            status=status,
            response_body=body,
            request={"portfolio_snapshot": {"portfolio_id": portfolio_id}, "options": {"x": "1.0"}},
            engine_version="0.1.0",
        )

    return _make


def parse(text: str):
    return json.loads(text)
