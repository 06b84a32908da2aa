"""Where the time of one simulate request goes, in process, part by part.

Usage (repository root, PostgreSQL on 127.0.0.1, the project's .venv):

    .venv/bin/python benchmarks/request_profile.py
    .venv/bin/python benchmarks/request_profile.py --requests 400 --database lm_profile

Calls the WSGI application directly (no socket, no gunicorn) against a scratch
PostgreSQL database, with an API key, throttling, JSON parsing, the access log and
every other middleware on. Each case runs a warm-up, then ``--requests`` requests
(fewer for large portfolios); every fresh request has a body of its own (the portfolio
id varies), a replay resends the same bytes. Timers wrap the parts where the view and
the service call them:

* validation: JSON parsing and pydantic (``validate_request_body``);
* canonical: the normalized request tree, its canonical text and hash;
* to_engine: the engine's input dataclasses;
* engine: ``simulate``; render: ``render_result`` and the JSON text;
* database: every statement, waiting for PostgreSQL included (key check with the
  throttle count, claim, completion);
* other: the rest of the request (Django, DRF, middleware, logging, metrics).

Prints the median request time and each part's share of the summed time. Figures
only; it asserts nothing.
"""
from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.compare_commits import body_for, distinct  # noqa: E402

PARTS = ("validation", "canonical", "to_engine", "engine", "render", "database", "other")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per N=10 case")
    parser.add_argument("--database", default="lm_request_profile")
    args = parser.parse_args(argv)

    from benchmarks.http_throughput import ensure_database
    from benchmarks.run_listing import ADMIN_URL, setup_django

    ensure_database(ADMIN_URL, args.database)
    setup_django(args.database)

    import psycopg
    from django.core.management import call_command

    from access_control.clients import create_client
    from lotus_manage.wsgi import application
    from rebalance import services, views
    from rebalance.boundary import bodies

    call_command("migrate", verbosity=0)
    key = create_client(f"profile-{uuid.uuid4().hex[:8]}", ["simulate"]).key
    spent: dict[str, float] = defaultdict(float)

    def timed(part, function):
        def wrapper(*a, **k):
            started = time.perf_counter()
            try:
                return function(*a, **k)
            finally:
                spent[part] += time.perf_counter() - started
        return wrapper

    # Where the view and the service look the parts up.
    views.validate_request_body = timed("validation", views.validate_request_body)
    bodies.RebalanceRequest.request_tree = timed("canonical", bodies.RebalanceRequest.request_tree)
    bodies.canonical_json = timed("canonical", bodies.canonical_json)
    bodies.hash_of_canonical_json = timed("canonical", bodies.hash_of_canonical_json)
    bodies.RebalanceRequest.to_engine = timed("to_engine", bodies.RebalanceRequest.to_engine)
    services.simulate = timed("engine", services.simulate)
    services.render_result = timed("render", services.render_result)
    services.to_json_text = timed("render", services.to_json_text)
    psycopg.Cursor.execute = timed("database", psycopg.Cursor.execute)

    def call(body: bytes, idempotency_key: str) -> str:
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": "/rebalance/simulate", "SERVER_NAME": "testserver",
            "SERVER_PORT": "80", "HTTP_HOST": "testserver", "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": "application/json", "HTTP_AUTHORIZATION": f"Api-Key {key}",
            "HTTP_IDEMPOTENCY_KEY": idempotency_key, "REMOTE_ADDR": "127.0.0.1", "wsgi.errors": sys.stderr,
        }
        status = []
        response = application(environ, lambda s, h: status.append(s))
        b"".join(response)
        response.close()
        return status[0]

    cases = [("simulate N=10", 10, "base", False, args.requests),
             ("replay N=10", 10, "base", True, args.requests),
             ("simulate N=1000", 1000, "base", False, max(5, args.requests // 20)),
             ("simulate N=5000, full profile", 5000, "tax", False, 3)]
    print(f"{'case':30s} {'median':>9s}  " + "  ".join(f"{p:>10s}" for p in PARTS))
    for name, n, variant, replay, requests in cases:
        body = body_for(n, variant)
        replay_key = f"profile-{uuid.uuid4().hex}"
        numbers = iter(range(10**9))

        def one():
            if replay:
                return call(body, replay_key)
            return call(distinct(body, next(numbers)), uuid.uuid4().hex)

        for _ in range(3 if n > 10 else 30):
            assert one().startswith("200"), name
        spent.clear()
        totals = []
        for _ in range(requests):
            started = time.perf_counter()
            assert one().startswith("200"), name
            totals.append(time.perf_counter() - started)
        whole = sum(totals)
        spent["other"] = whole - sum(spent[p] for p in PARTS if p != "other")
        shares = "  ".join(f"{spent[p] / whole * 100:9.1f}%" for p in PARTS)
        print(f"{name:30s} {statistics.median(totals) * 1000:7.2f}ms  {shares}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
