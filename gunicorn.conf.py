"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py lotus_manage.wsgi`.

Every value can be changed from the environment (README, "Configuration"); other
gunicorn options go on the command line or in GUNICORN_CMD_ARGS, e.g. `--bind`.
"""
import os
import shutil
import tempfile
from pathlib import Path


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# Simulations are CPU-bound (numpy/cvxpy): more sync workers than cores only adds
# memory (each worker imports the engine) and contention, so one per core plus one
# that can take requests while the others compute; at least 2, so a recycled or
# killed worker never leaves the instance without one.
workers = _int("WEB_CONCURRENCY", max(2, min((os.cpu_count() or 1) + 1, 8)))
worker_class = "sync"

# A worker silent for this long is killed and replaced. The largest simulate the
# serializer accepts (10,000 instruments) takes a few seconds; 60 s leaves room,
# and also bounds how long a wedged worker keeps its idempotency claims.
timeout = _int("GUNICORN_TIMEOUT", 60)
# On shutdown or reload, requests in flight get this long to finish.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Behind a load balancer that reuses connections; shorter than its idle timeout.
keepalive = _int("GUNICORN_KEEPALIVE", 5)

# Recycle each worker after this many requests (any slow leak stays bounded); the
# jitter keeps the workers from restarting all at once. 0 turns recycling off.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)

# The master imports the application once and forks ready workers from it, so a
# recycled (or killed) worker is back in milliseconds rather than after a second of
# imports; at 1,000 requests per life that second was a tenth of a busy worker's CPU.
# GUNICORN_PRELOAD=false loads the application in each worker instead.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").strip().lower() not in ("0", "false", "no", "off")

# gunicorn's runtime control socket sits at one fixed path per user, so two servers on
# one host would fight over it; nothing here uses it.
control_socket_disable = True

# --- Logs: both on stderr/stdout for the container runtime --------------------

accesslog = "-"
errorlog = "-"
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()
if LOG_FORMAT == "json":
    # One JSON object per line, with the request's correlation id, client and duration_ms.
    logger_class = "lotus_manage.gunicorn_logging.JsonGunicornLogger"
else:
    access_log_format = (
        '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" '
        "duration_ms=%(M)s correlation_id=%({x-correlation-id}o)s"
    )

# --- Prometheus: one metrics directory shared by every worker ------------------

# prometheus-client reads PROMETHEUS_MULTIPROC_DIR when the workers import it, so it
# is set here, in the master, before any worker starts. Without one, a fresh
# directory is made and removed again when gunicorn exits.
_CREATED_METRICS_DIR = None
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _CREATED_METRICS_DIR = tempfile.mkdtemp(prefix="lotus-manage-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _CREATED_METRICS_DIR


def on_starting(server):
    # Samples of an earlier server would be added to this one's: start from empty.
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


def child_exit(server, worker):
    # A dead worker's counters stay in the sums; its live-only gauges are dropped.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _CREATED_METRICS_DIR:
        shutil.rmtree(_CREATED_METRICS_DIR, ignore_errors=True)


def _warm_and_freeze():
    # Import every view module now rather than on the first request, then move all of
    # it out of the cyclic collector's sight (gc.freeze): the collections requests
    # trigger scan only what requests allocate, and forked workers share the pages.
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns
    gc.collect()
    gc.freeze()


def when_ready(server):
    if server.cfg.preload_app:  # the master holds the application: freeze before forking
        _warm_and_freeze()


def post_worker_init(worker):
    if not worker.cfg.preload_app:
        _warm_and_freeze()
