"""Shared fixtures for the project tests."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

# Variables the settings module reads; cleared before each fresh import so the
# caller's environment (e.g. CI's DATABASE_URL) cannot leak into a test.
SETTINGS_ENV_VARS = (
    "DATABASE_URL",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CONN_MAX_AGE",
    "DPM_SUPPORT_APIS_ENABLED",
    "DPM_IDEMPOTENCY_REPLAY_ENABLED",
)

_DUMP_SETTINGS = """
import json
import django
from django.conf import settings
django.setup()
db = settings.DATABASES["default"]
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "SECRET_KEY": settings.SECRET_KEY,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "DB": {k: db.get(k) for k in ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT", "CONN_MAX_AGE", "CONN_HEALTH_CHECKS")},
    "has_toggle_settings": any(hasattr(settings, name) for name in (
        "DPM_SUPPORT_APIS_ENABLED", "DPM_IDEMPOTENCY_REPLAY_ENABLED")),
}, default=str))
"""


@pytest.fixture
def load_settings():
    """Import lotus_manage.settings in a fresh interpreter with the given environment.

    Settings are read once per process, so each environment needs its own
    process. Returns the settings as a dict on success; returns the
    CompletedProcess (for its exit code and stderr) when ``expect_failure``.
    """

    def _load(env: dict[str, str], expect_failure: bool = False):
        child_env = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV_VARS}
        child_env["DJANGO_SETTINGS_MODULE"] = "lotus_manage.settings"
        child_env["ENV_FILE"] = ""  # a developer's .env must not leak in
        child_env.update(env)
        proc = subprocess.run(
            [sys.executable, "-c", _DUMP_SETTINGS],
            cwd=REPO_ROOT,
            env=child_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if expect_failure:
            assert proc.returncode != 0, proc.stdout
            return proc
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    return _load


# --- API clients and keys ---------------------------------------------------

ALL_ROLES = ("simulate", "support")
_client_numbers = iter(range(1, 1_000_000))


@pytest.fixture
def issue_key(db):
    """Create an API client with ``roles`` and return its key (the secret, in clear)."""
    from access_control.clients import create_client

    def _issue(roles=ALL_ROLES, name: str | None = None, expires_days: int | None = None) -> str:
        name = name or f"test-client-{next(_client_numbers)}"
        return create_client(name, list(roles), expires_days).key

    return _issue


def key_headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Api-Key {key}"}


@pytest.fixture
def api_key(issue_key) -> str:
    """A key of a client holding every role."""
    return issue_key(ALL_ROLES, name="test-all-roles")


@pytest.fixture
def auth_headers(api_key) -> dict[str, str]:
    return key_headers(api_key)


@pytest.fixture
def client(auth_headers):
    """Django's test client, authenticated as a client holding every role.

    Replaces pytest-django's ``client`` so that tests of behaviour other than
    access control need not repeat credentials; access-control tests build
    their own clients.
    """
    from django.test import Client

    return Client(headers=auth_headers)


# --- Callers: one API client each, seen through the HTTP API ---------------------


@pytest.fixture
def caller(issue_key):
    """``caller(*roles, name=None)``: a Caller (tests/access_control/callers.py) holding a
    fresh client's key."""
    from tests.access_control.callers import Caller

    def _make(*roles: str, name: str | None = None):
        return Caller(issue_key(roles, name=name))

    return _make


@pytest.fixture
def alice(caller):
    return caller("simulate", name="alice")


@pytest.fixture
def bob(caller):
    return caller("simulate", name="bob")


@pytest.fixture
def support(caller):
    return caller("support", name="helpdesk")
