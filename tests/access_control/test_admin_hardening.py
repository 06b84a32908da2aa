"""Admin hardening: login lockout (django-axes), idle session expiry, a configurable URL."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.utils import timezone

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
INDEX = "/admin/"
PASSWORD = "password"  # pytest-django's admin_user


def _login(browser: Client, username: str, password: str):
    return browser.post(LOGIN, {"username": username, "password": password, "next": INDEX})


def _logged_in(browser: Client) -> bool:
    return browser.get(INDEX).status_code == 200


# --- Lockout -----------------------------------------------------------------------


@override_settings(AXES_FAILURE_LIMIT=3)
def test_lockout_after_the_configured_number_of_failures(admin_user, django_user_model):
    browser = Client()
    for _ in range(2):
        assert _login(browser, admin_user.username, "wrong").status_code == 200  # the form again
    assert _login(browser, admin_user.username, "wrong").status_code == 429  # the third: locked
    # While locked, the right password is refused too.
    assert _login(browser, admin_user.username, PASSWORD).status_code == 429
    assert not _logged_in(browser)
    # The lock is per username and address: another account still logs in.
    django_user_model.objects.create_superuser("other-admin", "o@example.com", "other-password")
    other = Client()
    assert _login(other, "other-admin", "other-password").status_code == 302
    assert _logged_in(other)


def test_default_limit_is_five_failures(admin_user):
    assert settings.AXES_FAILURE_LIMIT == 5
    browser = Client()
    for _ in range(4):
        assert _login(browser, admin_user.username, "wrong").status_code == 200
    assert _login(browser, admin_user.username, "wrong").status_code == 429
    assert _login(browser, admin_user.username, PASSWORD).status_code == 429
    assert not _logged_in(browser)


def test_a_success_below_the_limit_resets_the_count(admin_user):
    browser = Client()
    for _ in range(4):
        _login(browser, admin_user.username, "wrong")
    assert _login(browser, admin_user.username, PASSWORD).status_code == 302
    browser.post("/admin/logout/")
    for _ in range(4):
        assert _login(browser, admin_user.username, "wrong").status_code == 200
    assert _login(browser, admin_user.username, PASSWORD).status_code == 302


# --- Idle session expiry ----------------------------------------------------------


def test_session_settings():
    assert settings.SESSION_COOKIE_AGE == 15 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


class Clock:
    def __init__(self, monkeypatch):
        self.now = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def advance(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)


def test_activity_keeps_the_session_and_15_idle_minutes_end_it(admin_user, monkeypatch):
    clock = Clock(monkeypatch)
    browser = Client()
    assert _login(browser, admin_user.username, PASSWORD).status_code == 302
    # Each request renews the session: 14 minutes apart, three times, is 42 minutes logged in.
    for _ in range(3):
        clock.advance(14)
        assert _logged_in(browser)
    clock.advance(15.1)
    response = browser.get(INDEX)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_each_request_moves_the_expiry_forward(admin_client):
    admin_client.get(INDEX)
    key = admin_client.session.session_key
    first = Session.objects.get(session_key=key).expire_date
    assert abs((first - timezone.now()).total_seconds() - 900) < 60
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + timedelta(seconds=30))
    assert _logged_in(admin_client)
    renewed = Session.objects.get(session_key=key).expire_date
    assert (renewed - timezone.now()).total_seconds() > 800


def test_a_session_past_its_expiry_is_logged_out(admin_client):
    assert _logged_in(admin_client)
    key = admin_client.session.session_key
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = admin_client.get(INDEX)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


# --- ADMIN_URL (settings are read once per process: a fresh interpreter each) -----

REPO_ROOT = Path(__file__).resolve().parents[2]
_ENV_VARS = ("DATABASE_URL", "DEBUG", "ALLOWED_HOSTS", "ADMIN_URL", "AXES_FAILURE_LIMIT", "SESSION_IDLE_TIMEOUT_SECONDS")
_PROBE = """
import json
import django
from django.conf import settings
django.setup()
from django.urls import Resolver404, resolve, reverse

def resolves(path):
    try:
        return resolve(path).view_name
    except Resolver404:
        return None

print(json.dumps({
    "ADMIN_URL": settings.ADMIN_URL,
    "index": reverse("admin:index"),
    "login": reverse("admin:login"),
    "default_path": resolves("/admin/"),
    "AXES_FAILURE_LIMIT": settings.AXES_FAILURE_LIMIT,
    "SESSION_COOKIE_AGE": settings.SESSION_COOKIE_AGE,
}))
"""


def _probe(env: dict[str, str]) -> dict:
    child_env = {k: v for k, v in os.environ.items() if k not in _ENV_VARS}
    child_env.update(DJANGO_SETTINGS_MODULE="lotus_manage.settings", **env)
    child_env.setdefault("SECRET_KEY", "insecure-key-for-tests-only")
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=REPO_ROOT, env=child_env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_admin_url_defaults_to_admin():
    probe = _probe({})
    assert (probe["ADMIN_URL"], probe["index"], probe["default_path"]) == ("admin/", "/admin/", "admin:index")
    assert probe["AXES_FAILURE_LIMIT"] == 5
    assert probe["SESSION_COOKIE_AGE"] == 900


@pytest.mark.parametrize("value", ["ops-console-7f3a", "/ops-console-7f3a/", "ops-console-7f3a/"])
def test_admin_url_moves_the_admin(value):
    probe = _probe({"ADMIN_URL": value, "AXES_FAILURE_LIMIT": "3"})
    assert probe["ADMIN_URL"] == "ops-console-7f3a/"
    assert probe["index"] == "/ops-console-7f3a/"
    assert probe["login"] == "/ops-console-7f3a/login/"
    assert probe["default_path"] is None  # /admin/ is gone
    assert probe["AXES_FAILURE_LIMIT"] == 3
