"""The append-only access log and its JSON Lines export."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from access_control import audit
from access_control.models import AccessEvent

from callers import events

pytestmark = pytest.mark.django_db

FIELDS = ["time", "actor", "action", "target", "outcome", "correlation_id", "source_address"]


def test_every_lookup_is_one_event_with_all_fields(caller):
    alice = caller("simulate", name="alice")
    run_id = alice.simulate(key="k1", correlation="corr-1").json()["rebalance_run_id"]
    assert not events()  # simulating is not a read of stored data
    found = alice.get(f"/rebalance/runs/{run_id}")
    missing = alice.get("/rebalance/runs/rr_00000000")
    [first, second] = events()
    assert (first.actor, first.action, first.target, first.outcome) == ("api:alice", "run.lookup", run_id, 200)
    assert (second.target, second.outcome) == ("rr_00000000", 404)
    assert first.correlation_id == found["X-Correlation-Id"]
    assert second.correlation_id == missing["X-Correlation-Id"]
    assert first.source_address == "127.0.0.1"


def test_events_cannot_be_changed_or_deleted_through_the_model():
    audit.record(actor="cli:test", action="runs.export", target="x", outcome=0)
    event = AccessEvent.objects.get()
    event.target = "rewritten"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
    assert AccessEvent.objects.get().target == "x"


def test_an_event_that_cannot_be_written_fails_the_read(caller, monkeypatch):
    """Fail closed: no event, no data."""
    alice = caller("simulate", name="alice")
    run_id = alice.simulate(key="k1").json()["rebalance_run_id"]

    def broken(**kwargs):
        raise RuntimeError("access log unavailable")

    monkeypatch.setattr(AccessEvent.objects, "create", broken)
    response = alice.get(f"/rebalance/runs/{run_id}")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    assert "result" not in response.json()
    assert "portfolio" not in response.content.decode()


def _export(*args) -> list[dict]:
    from io import StringIO

    out = StringIO()
    call_command("export_access_log", *args, stdout=out, stderr=StringIO())
    return [json.loads(line) for line in out.getvalue().splitlines()]


def _event_at(when: datetime, action: str) -> None:
    AccessEvent.objects.create(occurred_at=when, actor="cli:test", action=action, target="t", outcome=0)


def test_export_writes_json_lines_with_the_documented_fields(tmp_path):
    _event_at(datetime(2026, 11, 1, 10, tzinfo=UTC), "a")
    _event_at(datetime(2026, 11, 2, 10, tzinfo=UTC), "b")
    _event_at(datetime(2026, 11, 3, 10, tzinfo=UTC), "c")
    lines = _export()
    assert [list(line) for line in lines] == [FIELDS] * 3
    assert lines[0] == {
        "time": "2026-11-01T10:00:00+00:00", "actor": "cli:test", "action": "a", "target": "t",
        "outcome": 0, "correlation_id": "", "source_address": "",
    }
    assert [e["action"] for e in _export("--since", "2026-11-02", "--until", "2026-11-03")] == ["b"]
    assert [e["action"] for e in _export("--since", "2026-11-02T10:00:00+00:00")] == ["b", "c"]
    target = tmp_path / "events.jsonl"
    _export("--output", str(target))
    assert [json.loads(line)["action"] for line in target.read_text().splitlines()] == ["a", "b", "c"]


def test_export_pages_through_more_than_one_chunk(monkeypatch):
    from access_control.management.commands import export_access_log

    monkeypatch.setattr(export_access_log, "CHUNK_SIZE", 2)
    for day in range(1, 6):
        _event_at(datetime(2026, 11, day, tzinfo=UTC), f"e{day}")
    assert [e["action"] for e in _export()] == ["e1", "e2", "e3", "e4", "e5"]


def test_export_rejects_a_bad_date():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--since"):
        _export("--since", "yesterday")


def test_export_runs_is_logged_with_filters_and_row_count(caller):
    from io import StringIO

    caller("simulate", name="alice").simulate(key="k1")
    call_command("export_runs", "--format", "csv", "--status", "READY", stdout=StringIO(), stderr=StringIO())
    [event] = events(action="runs.export")
    assert event.actor.startswith("cli:")
    assert event.target == "format=csv status=READY rows=1"
    assert event.outcome == 0


def test_the_admin_filter_offers_every_action_the_service_records():
    from access_control import audit

    recorded = {value for name, value in vars(audit).items() if name.isupper() and isinstance(value, str)
                and "." in value}
    assert set(audit.ACTIONS) == recorded


def test_control_characters_in_a_target_are_spelled_out():
    audit.record(actor="api:x", action=audit.LOOKUP_RUN, target="rr_1\x00\r\nforged", outcome=404)
    assert AccessEvent.objects.get().target == "rr_1\\x00\\r\\nforged"
