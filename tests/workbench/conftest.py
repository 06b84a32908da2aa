"""Fixtures of the workbench tests: callers with a role each, runs recorded directly."""
from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from access_control.models import ApiClient
from dpm_runs.repository import NewRun, RunRepository

START = datetime(2026, 11, 1, 12, 0, 0, 123456, tzinfo=UTC)
_ids = itertools.count(1)


def client_pk(name: str) -> int:
    return ApiClient.objects.get(name=name).pk


class Recorder:
    """Records runs straight into the store at chosen times (no engine, no HTTP)."""

    def __init__(self) -> None:
        self.now = START
        self.repo = RunRepository(clock=lambda: self.now)

    def run(self, owner: str, *, at: datetime | None = None, key: str | None = None,
            portfolio_id: str = "pf_1", status: str = "READY", correlation_id: str = "corr-1",
            batch: str = "batch-1", request_hash: str = "sha256:" + "a" * 64) -> str:
        """Record one run owned by client ``owner``; a simulate run when ``key`` is given."""
        if at is not None:
            self.now = at
        run_id = f"rr_{next(_ids):08x}"
        run = NewRun(
            rebalance_run_id=run_id, correlation_id=correlation_id, request_hash=request_hash,
            portfolio_id=portfolio_id, status=status,
            response_body='{"rebalance_run_id":"%s","z":1.50}' % run_id,
            request={"portfolio_snapshot": {"portfolio_id": portfolio_id}}, engine_version="0.1.0",
        )
        if key is not None:
            self.repo.record_simulate_run(client_pk(owner), key, run)
        else:
            self.repo.record_analyze_run(client_pk(owner), run, batch_run_id=batch)
        return run_id

    def many(self, owner: str, count: int, step_ms: int = 1, **kw) -> list[str]:
        """``count`` runs, ``step_ms`` apart (0: all at one instant), oldest first."""
        ids = []
        for _ in range(count):
            ids.append(self.run(owner, **kw))
            self.now += timedelta(milliseconds=step_ms)
        return ids


@pytest.fixture
def recorder(db) -> Recorder:
    return Recorder()
