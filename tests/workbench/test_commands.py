"""export_bundle, verify_runs, hold_runs and purge_runs."""
from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from access_control.models import AccessEvent
from dpm_runs.bundles import support_bundle
from dpm_runs.models import IdempotencyEvent, IdempotencyRecord, RebalanceRun

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of a management command."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        status = 0
    except SystemExit as exc:
        status = exc.code
    except CommandError as exc:
        status, err = exc.returncode, io.StringIO(str(exc))
    return status, out.getvalue(), err.getvalue()


def _simulate(alice, key: str) -> str:
    return alice.simulate(key=key).json()["rebalance_run_id"]


def _tamper(run_id: str) -> None:
    row = RebalanceRun.objects.get(rebalance_run_id=run_id)
    RebalanceRun.objects.filter(pk=row.pk).update(
        response_body=row.response_body.replace('"status":"READY"', '"status":"BLOCKED"', 1))


# --- export_bundle -----------------------------------------------------------------------


def test_export_bundle_writes_the_bundle_to_stdout_and_to_a_file(alice, tmp_path):
    run_id = _simulate(alice, "k-export")
    status, out, _ = run("export_bundle", run_id)
    assert status == 0
    expected = support_bundle(run_id)
    drop = lambda bundle: {k: v for k, v in bundle.items() if k != "generated_at"}  # noqa: E731
    assert drop(json.loads(out)) == drop(expected)
    target = tmp_path / "bundle.json"
    assert run("export_bundle", run_id, "--output", str(target))[0] == 0
    assert drop(json.loads(target.read_text())) == drop(expected)
    assert AccessEvent.objects.filter(action="run.support_bundle", outcome=0).count() == 2


def test_export_bundle_of_an_unknown_run_fails(db):
    status, out, err = run("export_bundle", "rr_missing")
    assert status == 1 and out == ""
    assert "DPM_RUN_NOT_FOUND" in err


# --- verify_runs -------------------------------------------------------------------------


def test_verify_runs_exits_0_when_every_run_matches(alice):
    for key in ("v1", "v2", "v3"):
        _simulate(alice, key)
    status, out, _ = run("verify_runs")
    assert status == 0
    assert out.splitlines()[-1] == "3 verified, 0 drifted"


def test_verify_runs_exits_1_and_names_the_drifted_run(alice):
    ids = [_simulate(alice, key) for key in ("v1", "v2", "v3")]
    _tamper(ids[1])
    status, out, _ = run("verify_runs")
    assert status == 1
    lines = out.splitlines()
    assert lines[-1] == "3 verified, 1 drifted"
    assert lines[0] == f"DRIFT {ids[1]}: 1 difference(s), first at /status"
    event = AccessEvent.objects.get(action="run.verify")
    assert event.outcome == 1 and "drifted=1" in event.target


def test_verify_runs_selects_by_run_limit_and_time(alice):
    ids = [_simulate(alice, key) for key in ("v1", "v2", "v3")]
    _tamper(ids[0])
    assert run("verify_runs", "--run", ids[1], ids[2])[:2] == (0, "2 verified, 0 drifted\n")
    assert run("verify_runs", "--run", ids[0])[0] == 1
    # Oldest first: --limit 1 is the tampered one.
    assert run("verify_runs", "--limit", "1")[:2] == (1, f"DRIFT {ids[0]}: 1 difference(s), first at /status\n"
                                                        "1 verified, 1 drifted\n")
    later = (timezone.now() + timedelta(days=1)).isoformat()
    assert run("verify_runs", "--since", later)[:2] == (0, "0 verified, 0 drifted\n")
    assert run("verify_runs", "--until", later)[0] == 1


def test_verify_runs_usage_errors_exit_2(db):
    assert run("verify_runs", "--run", "rr_missing")[0] == 2
    assert run("verify_runs", "--since", "yesterday")[0] == 2
    assert run("verify_runs", "--limit", "0")[0] == 2


# --- hold_runs ---------------------------------------------------------------------------


def test_hold_and_release(recorder, alice):
    ids = recorder.many("alice", 2)
    status, out, _ = run("hold_runs", *ids, "--reason", "litigation 2026-17")
    assert (status, out) == (0, "held 2 runs\n")
    row = RebalanceRun.objects.get(rebalance_run_id=ids[0])
    assert row.held_at is not None and row.held_by.startswith("cli:") and row.hold_reason == "litigation 2026-17"
    status, out, _ = run("hold_runs", ids[0], "--release")
    assert (status, out) == (0, "released 1 runs\n")
    assert RebalanceRun.objects.get(rebalance_run_id=ids[0]).held_at is None
    assert RebalanceRun.objects.get(rebalance_run_id=ids[1]).held_at is not None
    assert [e.action for e in AccessEvent.objects.order_by("id")] == ["run.hold", "run.hold_release"]


def test_hold_of_an_unknown_run_changes_nothing(recorder, alice):
    [known] = recorder.many("alice", 1)
    assert run("hold_runs", known, "rr_missing", "--reason", "x")[0] == 2
    assert RebalanceRun.objects.get(rebalance_run_id=known).held_at is None


def test_hold_needs_a_reason_or_release(recorder, alice):
    [known] = recorder.many("alice", 1)
    with pytest.raises(CommandError):
        call_command("hold_runs", known)
    assert run("hold_runs", known, "--reason", "  ")[0] == 2


# --- purge_runs --------------------------------------------------------------------------


@pytest.fixture
def aged(alice):
    """Three simulate runs 40 days old (keys old-0..2), two recent ones (keys new-0..1)."""
    old = [_simulate(alice, f"old-{i}") for i in range(3)]
    alice.simulate(key="old-0")  # a replay: history of old-0 has two entries
    RebalanceRun.objects.filter(rebalance_run_id__in=old).update(
        created_at=timezone.now() - timedelta(days=40))
    new = [_simulate(alice, f"new-{i}") for i in range(2)]
    return old, new


def test_dry_run_counts_and_deletes_nothing(aged):
    status, out, _ = run("purge_runs", "--older-than", "30", "--dry-run")
    assert (status, out) == (0, "would purge 3 runs\n")
    assert RebalanceRun.objects.count() == 5
    event = AccessEvent.objects.get(action="runs.purge")
    assert "dry_run would_purge=3" in event.target


def test_purge_deletes_old_runs_their_records_and_history_only(aged):
    old, new = aged
    status, out, _ = run("purge_runs", "--older-than", "30")
    assert (status, out) == (0, "purged 3 runs (0 on hold kept)\n")
    assert set(RebalanceRun.objects.values_list("rebalance_run_id", flat=True)) == set(new)
    assert set(IdempotencyRecord.objects.values_list("key", flat=True)) == {"new-0", "new-1"}
    assert set(IdempotencyEvent.objects.values_list("key", flat=True)) == {"new-0", "new-1"}


def test_purge_never_deletes_a_held_run(aged):
    old, new = aged
    run("hold_runs", old[1], "--reason", "audit")
    status, out, _ = run("purge_runs", "--older-than", "30")
    assert (status, out) == (0, "purged 2 runs (1 on hold kept)\n")
    assert RebalanceRun.objects.filter(rebalance_run_id=old[1]).exists()
    assert IdempotencyRecord.objects.filter(key="old-1").exists()
    # Negative control: released, the same run goes.
    run("hold_runs", old[1], "--release")
    assert run("purge_runs", "--older-than", "30")[1] == "purged 1 runs (0 on hold kept)\n"


def test_a_purged_runs_key_is_free_again(alice, aged):
    old, _ = aged
    again = alice.simulate(key="old-0")
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"  # control: before the purge
    run("purge_runs", "--older-than", "30")
    fresh = alice.simulate(key="old-0")
    assert fresh.status_code == 200
    assert fresh["Idempotent-Replayed"] == "false"
    assert fresh.json()["rebalance_run_id"] not in old
    history = alice.get("/rebalance/runs/idempotency/old-0/history").json()["history"]
    assert [e["outcome"] for e in history] == ["executed"]


def test_purge_works_in_batches(recorder, alice):
    recorder.now = timezone.now() - timedelta(days=10)
    recorder.many("alice", 25)
    status, out, _ = run("purge_runs", "--older-than", "5", "--batch-size", "7")
    assert (status, out) == (0, "purged 25 runs (0 on hold kept)\n")
    event = AccessEvent.objects.get(action="runs.purge")
    assert "batches=4" in event.target
    assert not RebalanceRun.objects.exists()


def test_purge_never_touches_the_access_log(aged, support):
    support.get("/rebalance/runs")
    before = list(AccessEvent.objects.values_list("id", flat=True))
    run("purge_runs", "--older-than", "0")
    assert set(before) <= set(AccessEvent.objects.values_list("id", flat=True))
    assert not RebalanceRun.objects.exists()


def test_purge_rejects_bad_arguments(db):
    assert run("purge_runs", "--older-than", "-1")[0] == 1
    assert run("purge_runs", "--older-than", "1", "--batch-size", "0")[0] == 1
