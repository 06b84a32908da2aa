"""Settings are driven by the environment as the README's table says."""
from pathlib import Path

import pytest
from django.core.management import call_command

from lotus_manage.env_flags import parse_flag

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_defaults_use_sqlite_file_in_repo_root(load_settings):
    s = load_settings({"DEBUG": "true"})
    assert s["DB"]["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(s["DB"]["NAME"]) == REPO_ROOT / "db.sqlite3"
    assert s["DEBUG"] is True
    assert s["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1"]
    # The toggles are read per request (dpm_runs/toggles.py, rebalance/toggles.py), not settings.
    assert s["has_toggle_settings"] is False


def test_postgres_database_url_is_parsed(load_settings):
    s = load_settings(
        {
            "DEBUG": "true",
            "DATABASE_URL": "postgres://alice:s3cret@db.example:5433/lotus_manage",
        }
    )
    # Django's PostgreSQL backend with a cheaper health check (lotus_manage/postgresql).
    assert s["DB"]["ENGINE"] == "lotus_manage.postgresql"
    assert s["DB"]["NAME"] == "lotus_manage"
    assert s["DB"]["USER"] == "alice"
    assert s["DB"]["PASSWORD"] == "s3cret"
    assert s["DB"]["HOST"] == "db.example"
    assert int(s["DB"]["PORT"]) == 5433
    assert s["DB"]["CONN_MAX_AGE"] == 60
    assert s["DB"]["CONN_HEALTH_CHECKS"] is True


def test_conn_max_age_applies_on_postgres(load_settings):
    s = load_settings(
        {
            "DEBUG": "true",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/lotus_manage",
            "CONN_MAX_AGE": "0",
        }
    )
    assert s["DB"]["CONN_MAX_AGE"] == 0
    assert s["DB"]["CONN_HEALTH_CHECKS"] is False


def test_secret_key_required_when_debug_is_off(load_settings):
    proc = load_settings({}, expect_failure=True)
    assert "ImproperlyConfigured" in proc.stderr
    assert "SECRET_KEY" in proc.stderr


def test_debug_off_with_secret_key_allows_no_hosts_by_default(load_settings):
    s = load_settings({"SECRET_KEY": "k" * 50})
    assert s["DEBUG"] is False
    assert s["SECRET_KEY"] == "k" * 50
    assert s["ALLOWED_HOSTS"] == []


def test_allowed_hosts_from_env(load_settings):
    s = load_settings({"SECRET_KEY": "k" * 50, "ALLOWED_HOSTS": "api.example,localhost"})
    assert s["ALLOWED_HOSTS"] == ["api.example", "localhost"]


def test_toggles_follow_the_flag_rule_on_every_call(monkeypatch):
    from dpm_runs.toggles import support_apis_enabled
    from rebalance.toggles import idempotency_replay_enabled

    assert support_apis_enabled() and idempotency_replay_enabled()
    monkeypatch.setenv("DPM_SUPPORT_APIS_ENABLED", " OFF ")
    # "y" is true for env.bool but false under the contract's flag rule.
    monkeypatch.setenv("DPM_IDEMPOTENCY_REPLAY_ENABLED", "y")
    assert not support_apis_enabled() and not idempotency_replay_enabled()


@pytest.mark.parametrize(
    ("raw", "default", "expected"),
    [
        (None, True, True),
        (None, False, False),
        ("1", False, True),
        ("true", False, True),
        (" TRUE ", False, True),
        ("Yes", False, True),
        ("on", False, True),
        ("", True, False),
        ("0", True, False),
        ("false", True, False),
        ("enabled", True, False),
        ("y", True, False),
        ("ok", True, False),
        ("2", True, False),
    ],
)
def test_flag_rule(raw, default, expected):
    assert parse_flag(raw, default) is expected


def test_manage_py_check_passes():
    call_command("check", fail_level="WARNING")
