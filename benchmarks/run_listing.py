"""GET /rebalance/runs at 1,000,000 runs on PostgreSQL: p50/p95/p99 per kind of page.

Usage (repository root, PostgreSQL on 127.0.0.1):

    .venv/bin/python benchmarks/run_listing.py
    .venv/bin/python benchmarks/run_listing.py --runs 1000000 --repeats 1000 --reload

Loads the runs into a scratch database (``lm_wt8_bench`` unless --database says
otherwise) with one ``INSERT ... SELECT generate_series`` (about a minute; kept
for the next run unless --reload), then times each page two ways, in process
(nothing goes over the network):

* ``query``: ``dpm_runs.listing.list_runs``, the one SELECT of a page;
* ``request``: the whole GET through Django's test client: key check,
  throttle, the query, the JSON and the access event.

Data: 4 API clients, 2,000 portfolios, 3 statuses, one run every 30 s over a
year (so some share a created_at to the second but not to the microsecond),
every tenth an analyze run in a batch of ten. A "deep" page starts 90 % of the
way down its listing (from a cursor; no OFFSET is involved). Prints
figures only: the issue's target is p99 <= 20 ms; nothing here fails on it.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = "lm_wt8_bench"
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"

LOAD_SQL = """
INSERT INTO dpm_runs_rebalancerun
    (client_id, rebalance_run_id, correlation_id, request_hash, idempotency_key, batch_run_id,
     portfolio_id, status, created_at, response_body, request, engine_version, held_by, hold_reason)
SELECT
    (SELECT id FROM access_control_apiclient WHERE name = 'bench-list-' || (g %% 4) ),
    'rr_' || lpad(to_hex(g), 8, '0'),
    'corr-' || (g / 3),
    'sha256:' || md5(g::text) || md5((g + 1)::text),
    CASE WHEN g %% 10 = 0 THEN NULL ELSE 'key-' || g END,
    CASE WHEN g %% 10 = 0 THEN 'batch-' || (g / 100) ELSE NULL END,
    'pf_' || (g %% 2000),
    (ARRAY['READY', 'PENDING_REVIEW', 'BLOCKED'])[1 + (g %% 7 = 0)::int + (g %% 13 = 0)::int],
    timestamptz '2025-11-01 00:00:00+00' + g * interval '30 seconds' + (g %% 1000) * interval '1 microsecond',
    '{"rebalance_run_id":"rr_' || lpad(to_hex(g), 8, '0') || '","status":"READY"}',
    '{"portfolio_snapshot":{}}'::jsonb,
    '0.1.0', '', ''
FROM generate_series(1, %s) AS g
"""


def setup_django(database: str) -> None:
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database}"
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    os.environ["ENV_FILE"] = ""
    os.environ["DPM_THROTTLE_SUPPORT"] = "100000000/min"
    os.environ["DPM_THROTTLE_SIMULATE"] = "100000000/min"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["LOG_LEVEL"] = "WARNING"
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lotus_manage.settings")
    import django

    django.setup()


def load(runs: int, reload: bool) -> dict[str, str]:
    """Keys of the bench clients: the support one and simulate-only client 1."""
    from django.core.management import call_command
    from django.db import connection

    from access_control.clients import create_client
    from access_control.models import ApiClient

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM dpm_runs_rebalancerun")
        present = cursor.fetchone()[0]
    if reload or present != runs:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE dpm_runs_idempotencyevent, dpm_runs_idempotencyrecord, "
                           "dpm_runs_rebalancerun, access_control_accessevent")
        for n in range(4):
            if not ApiClient.objects.filter(name=f"bench-list-{n}").exists():
                create_client(f"bench-list-{n}", ["simulate"])
        with connection.cursor() as cursor:
            cursor.execute(LOAD_SQL, [runs])
            cursor.execute("VACUUM ANALYZE dpm_runs_rebalancerun")
        print(f"loaded {runs:,} runs in {time.perf_counter() - started:.0f} s")
    else:
        print(f"reusing {present:,} runs already loaded")
    # Fresh keys each time (only their hashes are stored).
    support = create_client(f"bench-support-{time.time_ns()}", ["support"]).key
    from access_control.clients import issue_key

    simulate = issue_key(ApiClient.objects.get(name="bench-list-1")).key
    return {"support": support, "simulate": simulate}


def created_range(runs: int) -> dict[str, str]:
    """A month-long window (a tenth of the data at smaller loads) in the middle of the runs."""
    from datetime import UTC, datetime, timedelta

    start = datetime(2025, 11, 1, tzinfo=UTC) + timedelta(seconds=30 * runs // 2)
    length = min(timedelta(days=31), timedelta(seconds=30 * runs // 10))
    return {"created_from": start.isoformat(), "created_to": (start + length).isoformat()}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def deep_cursor(filters, client_id, scope) -> tuple[str, int]:
    """The cursor 90 % of the way down a listing (found once with OFFSET), and that depth."""
    from dpm_runs.cursors import Position, encode_cursor, fingerprint
    from dpm_runs.listing import RunListFilters
    from dpm_runs.models import RebalanceRun

    qs = RebalanceRun.objects.all()
    if client_id is not None:
        qs = qs.filter(client_id=client_id)
    qs = qs.filter(**{k: v for k, v in filters.items() if k not in ("created_from", "created_to")})
    depth = qs.count() * 9 // 10
    row = qs.order_by("-created_at", "-id").values_list("created_at", "id")[depth - 1: depth].first()
    position = Position(*row)
    return encode_cursor(position, fingerprint(RunListFilters(**filters).as_fingerprint_source(), scope)), depth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=1000, help="timed pages per case and way (default 1000)")
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--reload", action="store_true", help="load the runs again even if present")
    args = parser.parse_args()

    sys.path.insert(0, str(REPO / "benchmarks"))
    from http_throughput import ensure_database

    ensure_database(ADMIN_URL, args.database)
    setup_django(args.database)
    keys = load(args.runs, args.reload)

    from django.test import Client

    from access_control.models import ApiClient
    from dpm_runs.cursors import decode_cursor, fingerprint
    from dpm_runs.listing import RunListFilters, list_runs

    simulate_client = ApiClient.objects.get(name="bench-list-1").pk
    cases = [
        # (label, caller, filters, deep?)
        ("first page, no filter (support)", "support", {}, False),
        ("first page, portfolio_id", "support", {"portfolio_id": "pf_1234"}, False),
        ("first page, status=BLOCKED", "support", {"status": "BLOCKED"}, False),
        ("first page, status + created range", "support",
         {"status": "PENDING_REVIEW", **created_range(args.runs)}, False),
        ("first page, correlation_id", "support", {"correlation_id": f"corr-{args.runs // 6}"}, False),
        ("first page, own runs (simulate-only)", "simulate", {}, False),
        ("first page, own runs + portfolio_id", "simulate", {"portfolio_id": "pf_1001"}, False),
        ("deep page, no filter", "support", {}, True),
        ("deep page, status=READY", "support", {"status": "READY"}, True),
        ("deep page, own runs (simulate-only)", "simulate", {}, True),
        ("deep page, portfolio_id", "support", {"portfolio_id": "pf_1234"}, True),
    ]
    print(f"\n{args.runs:,} runs, limit 50, {args.repeats} pages per case and way; milliseconds\n")
    print(f"{'case':56} {'way':8} {'p50':>6} {'p95':>6} {'p99':>6} {'max':>6}")
    from datetime import datetime
    from urllib.parse import urlencode

    for label, who, filters, deep in cases:
        scope = simulate_client if who == "simulate" else None
        typed = {k: datetime.fromisoformat(v) if k.startswith("created_") else v for k, v in filters.items()}
        cursor = None
        if deep:
            cursor, depth = deep_cursor(typed, scope, scope)
            label = f"{label} (after {depth:,})"
        after = None if cursor is None else decode_cursor(
            cursor, fingerprint(RunListFilters(**typed).as_fingerprint_source(), scope))
        http = Client(headers={"Authorization": f"Api-Key {keys[who]}"})
        url = "/rebalance/runs?" + urlencode({**filters, **({"cursor": cursor} if cursor else {})})
        response = http.get(url)
        assert response.status_code == 200, (label, response.content[:300])
        # (A correlation id has 3 runs here; the other listings fill whole pages at 1M.)
        assert response.json()["items"], label
        for way in ("query", "request"):
            times = []
            for _ in range(args.repeats):
                started = time.perf_counter()
                if way == "query":
                    list_runs(RunListFilters(**typed), client_id=scope, after=after, limit=50)
                else:
                    http.get(url)
                times.append((time.perf_counter() - started) * 1000)
            print(f"{label:56} {way:8} {statistics.median(times):6.2f} {percentile(times, 95):6.2f} "
                  f"{percentile(times, 99):6.2f} {max(times):6.2f}")


if __name__ == "__main__":
    main()
