"""The service's Prometheus metrics, correct across gunicorn's worker processes.

prometheus-client's multi-process mode keeps each worker's samples in files under
``PROMETHEUS_MULTIPROC_DIR`` (gunicorn.conf.py sets it up); ``GET /metrics`` adds
the files of every worker, live or dead, so a counter never goes backwards when a
worker is recycled. Without that variable (``manage.py runserver``, the tests) the
samples live in this process only.

Label values come from small fixed sets (route templates, statuses, outcomes),
never from request data, so the number of series stays bounded.
"""
from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client import REGISTRY

# Simulations take milliseconds to seconds (10,000 instruments: about 2 s).
_SIMULATE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

RUNS_RECORDED = Counter(
    "dpm_runs_recorded",
    "Runs written to the run store (committed), by run status.",
    ["status"],
)
IDEMPOTENCY_OUTCOMES = Counter(
    "dpm_idempotency_outcomes",
    "POST /rebalance/simulate by what its Idempotency-Key decided: "
    "executed, replayed, conflict or in_progress.",
    ["outcome"],
)
SIMULATE_DURATION = Histogram(
    "dpm_simulate_duration_seconds",
    "POST /rebalance/simulate: scope=request is the whole request as the service saw it, "
    "scope=engine the simulation engine alone.",
    ["scope"],
    buckets=_SIMULATE_BUCKETS,
)
HTTP_REQUESTS = Counter(
    "dpm_http_requests",
    "HTTP requests by method, route template (never the raw path) and status code.",
    ["method", "route", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "dpm_http_request_duration_seconds",
    "HTTP request duration by method and route template.",
    ["method", "route"],
)
DATABASE_UNAVAILABLE = Counter(
    "dpm_database_unavailable",
    "Requests answered 503 DATABASE_UNAVAILABLE because the database could not be reached.",
)


def registry_to_expose() -> CollectorRegistry:
    """Every worker's samples under gunicorn (multi-process mode), else this process's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY
