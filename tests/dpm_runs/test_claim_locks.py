"""The claim lock decides between a live and a dead claimer (PostgreSQL, in process).

Each claimer runs in a thread with its own connection, as a worker has its own session.
"""
from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections

from dpm_runs.repository import Claimed, InProgress, RunRepository

pytestmark = pytest.mark.django_db(transaction=True)

HASH = "sha256:" + "d" * 64


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's (DATABASE_URL=postgres://...); SQLite uses the lease alone")


class Claimer(threading.Thread):
    """Claims ``key`` on its own connection, then holds it until ``finish()``."""

    def __init__(self, repo, client_id, key):
        super().__init__(daemon=True)
        self.repo, self.client_id, self.key = repo, client_id, key
        self.claimed = threading.Event()
        self._finish = threading.Event()
        self.outcome = None

    def run(self):
        try:
            self.outcome = self.repo.claim(self.client_id, self.key, HASH)
            self.claimed.set()
            self._finish.wait(timeout=30)
        finally:
            connections.close_all()  # the session ends: its locks go with it

    def finish(self):
        self._finish.set()
        self.join(timeout=30)


def test_a_live_claimer_keeps_its_key_even_with_its_lease_over(owner):
    repo = RunRepository(lease_seconds=0)  # every lease is over at once
    holder = Claimer(repo, owner.pk, "lock-key")
    holder.start()
    assert holder.claimed.wait(timeout=30) and isinstance(holder.outcome, Claimed)
    try:
        assert repo.claim(owner.pk, "lock-key", HASH) == InProgress("lock-key", retry_after=1)
    finally:
        holder.finish()


def test_negative_control_the_same_claim_is_taken_over_once_its_session_is_gone(owner):
    repo = RunRepository(lease_seconds=3600)  # the lease alone would block for an hour
    holder = Claimer(repo, owner.pk, "lock-key")
    holder.start()
    assert holder.claimed.wait(timeout=30)
    holder.finish()  # the "worker" dies: its connection closes
    # PostgreSQL ends the closed session (and drops its locks) a moment later.
    deadline = time.monotonic() + 5
    while isinstance(taken := repo.claim(owner.pk, "lock-key", HASH), InProgress):
        assert time.monotonic() < deadline, "the closed session's lock was never dropped"
        time.sleep(0.01)
    assert isinstance(taken, Claimed) and taken.token != holder.outcome.token


def test_the_lock_is_dropped_after_complete_and_release(owner, make_run):
    repo = RunRepository()

    def advisory_locks() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                           "(SELECT oid FROM pg_database WHERE datname = current_database())")
            return cursor.fetchone()[0]

    claim = repo.claim(owner.pk, "lock-key", HASH)
    assert advisory_locks() == 1  # negative control of the checks below
    repo.complete(claim, make_run(request_hash=HASH))
    assert advisory_locks() == 0
    other = repo.claim(owner.pk, "lock-key-2", HASH)
    assert advisory_locks() == 1
    repo.release(other)
    assert advisory_locks() == 0
    assert isinstance(repo.claim(owner.pk, "lock-key-3", "sha256:" + "e" * 64), Claimed)
    repo.claim(owner.pk, "lock-key-3", HASH)  # a conflict: takes no lock of its own
    assert advisory_locks() == 1
