"""Paging through GET /rebalance/runs while another connection keeps recording runs.

Each writer thread has its own database connection and commits run by run, as
workers do; the pages read in between must still show every run that existed
before paging began exactly once.
"""
from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from tests.workbench.conftest import Recorder
from tests.workbench.test_run_listing_http import _ids

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; concurrent inserts are tested on PostgreSQL")


def test_pages_read_during_concurrent_inserts_have_no_duplicates_and_no_gaps(support):
    from django.utils import timezone

    before = Recorder()
    before.now = timezone.now()
    existing = before.many("helpdesk", 300)
    stop = threading.Event()
    written: list[str] = []

    def writer():
        recorder = Recorder()
        try:
            while not stop.is_set():
                recorder.now = timezone.now()
                written.append(recorder.run("helpdesk"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        seen, cursor, pages = [], None, 0
        while True:
            response = support.get("/rebalance/runs?limit=13" + (f"&cursor={cursor}" if cursor else ""))
            seen += _ids(response)
            pages += 1
            cursor = response.json()["next_cursor"]
            if cursor is None:
                break
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert written, "the writers recorded nothing while the pages were read"
    assert pages > 20
    assert len(seen) == len(set(seen))
    assert [run for run in seen if run in set(existing)] == existing[::-1]
