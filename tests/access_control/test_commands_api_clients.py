"""create_api_client, revoke_api_client and list_api_clients, as the README shows them."""
from __future__ import annotations

import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from access_control.models import ApiClient, ApiKey

from callers import Caller

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_create_prints_the_key_alone_on_the_last_line_and_it_works():
    output = run("create_api_client", "desk-1", "--role", "simulate", "--role", "support")
    key = output.rstrip("\n").splitlines()[-1]
    assert key == key.strip() and " " not in key and "." in key
    client = ApiClient.objects.get(name="desk-1")
    assert client.roles == ["simulate", "support"]
    assert key not in ApiKey.objects.get(client=client).hashed_key
    assert Caller(key).get("/rebalance/runs/rr_00000000").status_code == 404


def test_expires_days_sets_the_expiry():
    from datetime import timedelta

    from django.utils import timezone

    run("create_api_client", "short-lived", "--role", "simulate", "--expires-days", "7")
    expiry = ApiKey.objects.get(client__name="short-lived").expiry_date
    assert abs(expiry - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)


@pytest.mark.parametrize(
    "args, message",
    [
        (("bad name", "--role", "simulate"), "letters, digits"),
        (("ok", "--role", "simulate", "--expires-days", "0"), "at least 1"),
    ],
)
def test_bad_arguments_are_command_errors(args, message):
    with pytest.raises(CommandError, match=message):
        run("create_api_client", *args)
    assert not ApiClient.objects.exists()


def test_unknown_role_and_missing_role_are_refused_by_the_parser():
    for args in (("x", "--role", "admin"), ("x",)):
        with pytest.raises(CommandError):
            run("create_api_client", *args)


def test_a_name_is_unique():
    run("create_api_client", "dup", "--role", "simulate")
    with pytest.raises(CommandError, match="already exists"):
        run("create_api_client", "dup", "--role", "support")


def test_revoke_makes_the_key_answer_401():
    key = run("create_api_client", "leaver", "--role", "simulate").splitlines()[-1]
    assert "Revoked API client 'leaver' (1 key(s) revoked)." in run("revoke_api_client", "leaver")
    response = Caller(key).get("/rebalance/runs/rr_00000000")
    assert response.status_code == 401
    assert response.json()["detail"] == "DPM_API_KEY_REVOKED"
    assert "already revoked" in run("revoke_api_client", "leaver")
    with pytest.raises(CommandError, match="no API client named"):
        run("revoke_api_client", "nobody")


def test_list_shows_name_roles_status_and_usable_keys():
    run("create_api_client", "b-desk", "--role", "simulate")
    run("create_api_client", "a-ops", "--role", "simulate", "--role", "support")
    run("revoke_api_client", "b-desk")
    lines = run("list_api_clients").splitlines()
    assert lines[0].split() == ["NAME", "ROLES", "STATUS", "ACTIVE", "KEYS", "CREATED"]
    assert lines[1].split()[:4] == ["a-ops", "simulate,support", "active", "1"]
    assert lines[2].split()[:4] == ["b-desk", "simulate", "revoked", "0"]


def test_the_key_is_the_last_line_of_stdout_of_the_real_command(tmp_path):
    """As the README uses it: KEY=$(python manage.py create_api_client ... | tail -n 1)."""
    import os

    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "SECRET_KEY": "test"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], env=env, check=True, timeout=120)
    proc = subprocess.run(
        [sys.executable, "manage.py", "create_api_client", "cli-desk", "--role", "simulate"],
        env=env, check=True, capture_output=True, text=True, timeout=60,
    )
    last = proc.stdout.splitlines()[-1]
    prefix, _, secret = last.partition(".")
    assert len(prefix) == 8 and len(secret) == 32, proc.stdout


def test_the_longest_allowed_name_fits_every_column():
    name = "n" * 50
    key = run("create_api_client", name, "--role", "simulate").splitlines()[-1]
    assert Caller(key).get("/rebalance/runs/rr_00000000").status_code == 404
    with pytest.raises(CommandError, match="at most 50"):
        run("create_api_client", "n" * 51, "--role", "simulate")
