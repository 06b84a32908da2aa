"""Per-client throttles (OWASP API4): 429 with Retry-After, counts shared by all workers."""
from __future__ import annotations

import threading

import pytest
from django.db import connection

from access_control import throttling
from access_control.rates import parse_rate
from access_control.models import ThrottleWindow

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(settings):
    settings.DPM_THROTTLE_SIMULATE = "2/min"
    settings.DPM_THROTTLE_SUPPORT = "3/min"


@pytest.fixture
def frozen_time(monkeypatch):
    """time.time() as the throttle sees it, 20 s into a minute window."""
    now = [1_800_000_000.0 - 1_800_000_000.0 % 60 + 20]
    monkeypatch.setattr(throttling.time, "time", lambda: now[0])
    return now


def test_over_the_limit_is_429_problem_with_retry_after(low_rates, frozen_time, caller):
    alice = caller("simulate", name="alice")
    assert [alice.simulate(key=f"k{i}").status_code for i in range(2)] == [200, 200]
    refused = alice.simulate(key="k2")
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["status"] == 429
    assert refused["Retry-After"] == "40"  # 20 s into the minute
    # Analyze shares the simulate budget.
    assert alice.analyze().status_code == 429


def test_one_clients_traffic_never_throttles_another(low_rates, frozen_time, caller):
    alice, bob = caller("simulate", name="alice"), caller("simulate", name="bob")
    for i in range(3):
        alice.simulate(key=f"k{i}")
    assert alice.simulate(key="k9").status_code == 429
    assert bob.simulate(key="k0").status_code == 200


def test_reads_have_their_own_budget(low_rates, frozen_time, caller):
    alice = caller("simulate", name="alice")
    for i in range(2):
        alice.simulate(key=f"k{i}")
    assert alice.simulate(key="k2").status_code == 429
    codes = [alice.get("/rebalance/runs/rr_00000000").status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]


def test_the_window_resets(low_rates, frozen_time, caller):
    alice = caller("simulate", name="alice")
    for i in range(3):
        alice.simulate(key=f"k{i}")
    frozen_time[0] += 40  # the next minute
    assert alice.simulate(key="k3").status_code == 200


def test_one_row_per_client_and_scope(low_rates, frozen_time, caller):
    alice = caller("simulate", name="alice")
    for minute in range(5):
        alice.simulate(key=f"k{minute}")
        alice.get("/rebalance/runs/rr_00000000")
        frozen_time[0] += 60
    assert ThrottleWindow.objects.count() == 2


def test_refused_requests_are_not_counted_against_a_client(low_rates, frozen_time, caller):
    from callers import Caller

    anonymous = Caller()
    for _ in range(5):
        assert anonymous.simulate().status_code == 401
    assert not ThrottleWindow.objects.exists()


def test_a_client_without_the_role_or_with_a_wrong_secret_is_not_counted(low_rates, frozen_time, caller):
    from callers import Caller

    helpdesk = caller("support", name="helpdesk")
    assert helpdesk.simulate().status_code == 403
    alice = caller("simulate", name="alice")
    prefix = alice.key.partition(".")[0]
    assert Caller(f"{prefix}.{'x' * 32}").simulate().status_code == 401
    assert not ThrottleWindow.objects.exists()
    # Negative control: the same calls with a usable key and the role are counted.
    assert alice.simulate().status_code == 200
    assert ThrottleWindow.objects.get().count == 1


def test_on_postgresql_the_count_rides_on_the_key_lookup(low_rates, frozen_time, caller):
    """One round trip looks the key up and counts the request (authentication.py)."""
    from django.test.utils import CaptureQueriesContext

    alice = caller("simulate", name="alice")
    with CaptureQueriesContext(connection) as queries:
        assert alice.simulate(key="k0").status_code == 200
    throttle_statements = [q["sql"] for q in queries.captured_queries if "access_control_throttlewindow" in q["sql"]]
    assert len(throttle_statements) == 1
    rides = "access_control_apikey" in throttle_statements[0]
    assert rides == (connection.vendor == "postgresql")
    assert ThrottleWindow.objects.get().count == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_counting_loses_no_request():
    """Threads with their own connections stand in for worker processes: the
    shared counter must see every request exactly once."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so increments cannot race")
    threads, per_thread = 8, 25
    barrier = threading.Barrier(threads)
    results: list[int] = []
    lock = threading.Lock()

    def work():
        try:
            barrier.wait(timeout=30)
            counts = [throttling._increment("race:1", 60) for _ in range(per_thread)]
            with lock:
                results.extend(counts)
        finally:
            connection.close()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    # Every count from 1 to N handed out exactly once: no lost update.
    assert sorted(results) == list(range(1, threads * per_thread + 1))


def test_rates_are_validated():
    assert parse_rate("30000/min") == (30000, 60)
    assert parse_rate("5/s") == (5, 1)
    for bad in ("", "10", "x/min", "0/min", "10/week"):
        with pytest.raises(ValueError):
            parse_rate(bad)


def test_throttle_counters_write_no_wal_on_postgresql():
    """Each request bumps a counter: on PostgreSQL that must not wait for a WAL flush."""
    if connection.vendor != "postgresql":
        pytest.skip("UNLOGGED tables are a PostgreSQL feature")
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE relname = 'access_control_throttlewindow'")
        assert cursor.fetchone() == ("u",)
