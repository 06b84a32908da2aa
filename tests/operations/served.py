"""The service as it runs in production, for the operations tests: gunicorn started with
the repository's gunicorn.conf.py on 127.0.0.1, over a database of its own.

The served database is migrated and given an API client by ``manage.py`` in a child
process: a temporary SQLite file, or on PostgreSQL ``<DATABASE_URL's name>_served``
(dropped again at the end). It is not the test database: servers and the test runner
never see each other's uncommitted rows, and the tests' own data stays isolated.

Every request goes to 127.0.0.1 with a timeout; servers are stopped on every path.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import environ

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
# Settings variables of the caller's environment that must not reach a server.
_CLEARED = (
    "DATABASE_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CONN_MAX_AGE", "LOG_FORMAT",
    "WEB_CONCURRENCY", "PROMETHEUS_MULTIPROC_DIR", "DPM_IDEMPOTENCY_LEASE_SECONDS",
    "DPM_SUPPORT_APIS_ENABLED", "DPM_IDEMPOTENCY_REPLAY_ENABLED", "GUNICORN_CMD_ARGS",
)
CLIENT_NAME = "ops-served"


def child_env(database_url: str, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    env.update(
        ENV_FILE="", DEBUG="false", SECRET_KEY="served-by-tests-only", ALLOWED_HOSTS=HOST,
        DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="lotus_manage.settings",
    )
    env.update(overrides)
    return env


def manage(database_url: str, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=child_env(database_url),
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


@dataclass
class ServedDatabase:
    url: str
    vendor: str  # "sqlite" or "postgresql"
    key: str  # an API key holding both roles
    port: int | None = None  # PostgreSQL's port (for a forwarder in front of it)

    def url_via_port(self, port: int) -> str:
        config = environ.Env.db_url_config(self.url)
        return f"postgres://{config['USER']}@{config['HOST']}:{port}/{config['NAME']}"

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Rows of ``sql`` on the served PostgreSQL database (own connection, autocommit)."""
        import psycopg

        with psycopg.connect(_libpq_url(self.url), autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()


def _libpq_url(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


def create_served_database(test_database_url: str | None, tmp_dir: Path) -> ServedDatabase:
    if not test_database_url or test_database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_dir / 'served.sqlite3'}"
        vendor, port = "sqlite", None
    else:
        import psycopg

        config = environ.Env.db_url_config(test_database_url)
        name = f"{config['NAME']}_served"
        url = f"postgres://{config['USER']}@{config['HOST']}:{config['PORT']}/{name}"
        with psycopg.connect(_libpq_url(test_database_url.rsplit("/", 1)[0] + "/postgres"),
                             autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        vendor, port = "postgresql", int(config["PORT"])
    manage(url, "migrate", "--noinput", "-v", "0")
    key = manage(url, "create_api_client", "--role", "simulate", "--role", "support",
                 CLIENT_NAME).strip().splitlines()[-1]
    return ServedDatabase(url, vendor, key, port)


def drop_served_database(served: ServedDatabase, test_database_url: str) -> None:
    if served.vendor != "postgresql":
        return
    import psycopg

    name = environ.Env.db_url_config(served.url)["NAME"]
    with psycopg.connect(_libpq_url(test_database_url.rsplit("/", 1)[0] + "/postgres"),
                         autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- gunicorn ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Server:
    """``gunicorn -c gunicorn.conf.py lotus_manage.wsgi`` on a free 127.0.0.1 port."""

    def __init__(self, database_url: str, log_path: Path, workers: int = 1, **env: str) -> None:
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"{HOST}:{self.port}",
             "lotus_manage.wsgi"],
            cwd=REPO, env=child_env(database_url, WEB_CONCURRENCY=str(workers), **env),
            stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped with its workers
        )
        self.workers = workers

    def wait_until_serving(self, seconds: float = 60) -> "Server":
        """Until every worker has booted and /health/live answers."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log()[-3000:]
            if len(self.worker_pids()) == self.workers:
                try:
                    if request("GET", self.base + "/health/live", timeout=2)[0] == 200:
                        return self
                except OSError:
                    pass
            time.sleep(0.05)
        raise AssertionError(f"gunicorn did not serve within {seconds} s:\n{self.log()[-3000:]}")

    def worker_pids(self) -> list[int]:
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in children.split()]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=20)
        self._log.close()

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")


def request(method: str, url: str, body: bytes | None = None, headers: dict | None = None,
            timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of one request; HTTP errors are answers, not exceptions."""
    all_headers = {"Content-Type": "application/json"} if body is not None else {}
    all_headers.update(headers or {})
    req = urllib.request.Request(url, data=body, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def key_header(key: str) -> dict[str, str]:
    return {"Authorization": f"Api-Key {key}"}


def simulate(base: str, key: str, idempotency_key: str, body: bytes, timeout: float = 60, **headers):
    return request("POST", base + "/rebalance/simulate", body,
                   {**key_header(key), "Idempotency-Key": idempotency_key, **headers}, timeout=timeout)


def large_simulate_body(instruments: int, portfolio_id: str = "pf_ops_large") -> bytes:
    """A READY rebalance of cash into ``instruments`` model targets: an engine run long
    enough (hundreds of ms) for a test to act while it computes."""
    ids = [f"OPS{i:05d}" for i in range(instruments)]
    weight = f"{0.9 / instruments:.8f}"
    return json.dumps({
        "portfolio_snapshot": {
            "portfolio_id": portfolio_id, "base_currency": "USD", "positions": [],
            "cash_balances": [{"currency": "USD", "amount": "10000000.00"}],
        },
        "market_data_snapshot": {
            "prices": [{"instrument_id": iid, "price": f"{10 + i % 90}.25", "currency": "USD"}
                       for i, iid in enumerate(ids)],
            "fx_rates": [],
        },
        "model_portfolio": {"targets": [{"instrument_id": iid, "weight": weight} for iid in ids]},
        "shelf_entries": [{"instrument_id": iid, "status": "APPROVED", "asset_class": "EQUITY"}
                          for iid in ids],
        "options": {},
    }).encode()
