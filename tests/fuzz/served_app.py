"""The service as a client sees it: a scratch database, an API key, gunicorn on 127.0.0.1.

Used by the schemathesis run, which needs a real HTTP server. Every process started here
is stopped by the context managers, within a bounded time.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Iterator

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRATCH_DATABASE_PREFIX = "lm_fuzz_"
STARTUP_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 15


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO_ROOT, env=env,
        capture_output=True, text=True, timeout=300, check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-4000:]}")
    return done.stdout


@contextlib.contextmanager
def scratch_database_url(tmp_path: Path) -> Iterator[str]:
    """A DATABASE_URL nobody else uses, removed afterwards.

    On the PostgreSQL pass (DATABASE_URL names PostgreSQL) a database ``lm_fuzz_<random>``
    on the same server; otherwise a SQLite file under ``tmp_path``.
    """
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path / 'fuzz.sqlite3'}"
        return
    import psycopg

    parts = urllib.parse.urlsplit(configured)
    name = f"{SCRATCH_DATABASE_PREFIX}{secrets.token_hex(4)}"
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_environment(database_url: str) -> dict[str, str]:
    """Production-like settings: DEBUG off, no .env, only 127.0.0.1 served."""
    env = dict(os.environ)
    env.update(
        ENV_FILE="", DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1", DATABASE_URL=database_url,
    )
    return env


def prepare(env: dict[str, str], client_name: str, roles: list[str]) -> str:
    """Migrate the database and issue a key with ``roles``; returns the key."""
    _manage(env, "migrate", "--noinput", "-v", "0")
    role_args = [arg for role in roles for arg in ("--role", role)]
    stdout = _manage(env, "create_api_client", client_name, *role_args)
    return stdout.strip().splitlines()[-1].strip()


def _wait_until_serving(base_url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode} before serving")
        try:
            with urllib.request.urlopen(f"{base_url}/api/schema/", timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not serve {base_url} within {STARTUP_TIMEOUT_SECONDS} s")


@contextlib.contextmanager
def gunicorn(env: dict[str, str], log_path: Path, workers: int = 2) -> Iterator[str]:
    """gunicorn serving the project on a free port; yields the base URL."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "lotus_manage.wsgi:application",
             "-b", f"127.0.0.1:{port}", "-w", str(workers)],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_until_serving(base_url, server)
            yield base_url
        finally:
            _stop(server)


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=STOP_TIMEOUT_SECONDS)
