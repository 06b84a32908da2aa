"""manage.py export_runs."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from dpm_runs.rendering import run_lookup_json

pytestmark = pytest.mark.django_db

REPO_ROOT = Path(__file__).resolve().parents[2]


class TtyStream(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def runs(repo, make_run, clock, owner):
    """Three simulate/analyze runs a day apart (2026-11-28, -29, -30)."""
    stored = []
    stored.append(repo.record_simulate_run(owner.pk, "key-1", make_run(portfolio_id="pf_a", status="READY", correlation_id="c1")))
    clock.advance(86400)
    stored.append(repo.record_analyze_run(owner.pk, make_run(portfolio_id="pf_b", status="BLOCKED", correlation_id="c2:s"), batch_run_id="batch_1"))
    clock.advance(86400)
    stored.append(repo.record_simulate_run(owner.pk, "key-3", make_run(portfolio_id="pf_a", status="PENDING_REVIEW", correlation_id="c1")))
    return stored


def export(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("export_runs", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_jsonl_to_stdout_is_one_lookup_response_per_line(runs):
    out, err = export()
    lines = out.splitlines()
    assert lines == [run_lookup_json(run) for run in runs]
    assert out.endswith("\n")
    first = json.loads(lines[0])
    assert first["idempotency_key"] == "key-1"
    assert first["result"] == json.loads(runs[0].response_body)
    assert "exported 3 runs" in err


def test_jsonl_line_stays_one_line_for_a_pretty_printed_body(repo, make_run, owner):
    body = json.dumps({"rebalance_run_id": "rr_pretty", "status": "READY", "x": [1, 2]}, indent=2)
    repo.record_analyze_run(owner.pk, make_run(run_id="rr_pretty", response_body=body), batch_run_id="b")
    out, _ = export()
    assert len(out.splitlines()) == 1
    assert json.loads(out)["result"] == json.loads(body)


def test_csv_to_stdout_has_metadata_only(runs):
    out, _ = export("--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == [
        "rebalance_run_id",
        "correlation_id",
        "request_hash",
        "idempotency_key",
        "portfolio_id",
        "status",
        "batch_run_id",
        "created_at",
    ]
    assert [r[0] for r in rows[1:]] == [run.rebalance_run_id for run in runs]
    assert rows[1][3] == "key-1" and rows[1][6] == ""
    assert rows[2][3] == "" and rows[2][6] == "batch_1"
    assert rows[1][7] == "2026-11-28T22:43:58.709992+00:00"
    assert "before" not in out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--portfolio", "pf_a"], [0, 2]),
        (["--status", "BLOCKED"], [1]),
        (["--correlation-id", "c1"], [0, 2]),
        (["--correlation-id", "c2"], []),
        (["--since", "2026-11-29"], [1, 2]),
        (["--until", "2026-11-29"], [0]),
        (["--since", "2026-11-29", "--until", "2026-11-30"], [1]),
        (["--since", "2026-11-29T23:43:58.709992+01:00"], [1, 2]),  # inclusive, with an offset
        (["--until", "2026-11-29T22:43:58.709992"], [0]),  # exclusive, naive = UTC
        (["--portfolio", "pf_a", "--status", "READY"], [0]),
        (["--chunk-size", "1"], [0, 1, 2]),
    ],
)
def test_filters(runs, args, expected):
    out, _ = export("--format", "csv", *args)
    ids = [row[0] for row in list(csv.reader(io.StringIO(out)))[1:]]
    assert ids == [runs[i].rebalance_run_id for i in expected]


def test_jsonl_to_a_file(runs, tmp_path):
    target = tmp_path / "runs.jsonl"
    out, err = export("--output", str(target), "--portfolio", "pf_a", "--chunk-size", "1")
    assert out == ""
    assert target.read_text(encoding="utf-8").splitlines() == [run_lookup_json(runs[0]), run_lookup_json(runs[2])]
    assert f"exported 2 runs to {target}" in err
    assert not (tmp_path / "runs.jsonl.part").exists()
    # Non-ASCII text is written as UTF-8.
    assert "caf\u00e9".encode() in target.read_bytes()


def test_csv_to_a_file(runs, tmp_path):
    target = tmp_path / "runs.csv"
    export("--format", "csv", "-o", str(target))
    with open(target, newline="", encoding="utf-8") as stream:
        assert len(list(csv.reader(stream))) == 4


def test_dash_means_stdout(runs):
    out, _ = export("--output", "-", "--status", "READY")
    assert len(out.splitlines()) == 1


def test_progress_counter_on_a_terminal_without_tqdm(runs, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import fails
    err = TtyStream()
    call_command("export_runs", "--output", str(tmp_path / "x.jsonl"), stdout=io.StringIO(), stderr=err)
    assert "\rexported 3/3 runs" in err.getvalue()


def test_progress_bar_with_tqdm(runs, tmp_path):
    pytest.importorskip("tqdm", reason="tqdm is optional; without it the counter is used")
    err = TtyStream()
    call_command("export_runs", "--output", str(tmp_path / "x.jsonl"), stdout=io.StringIO(), stderr=err)
    assert "3/3" in err.getvalue()


def test_no_progress_when_not_a_terminal(runs, tmp_path):
    _, err = export("--output", str(tmp_path / "x.jsonl"))
    assert "\r" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday"], "--since: 'yesterday' is not an ISO date"),
        (["--until", "2026-13-01"], "--until: '2026-13-01' is not an ISO date"),
        (["--since", "2026-11-30", "--until", "2026-11-29"], "--since must be earlier than --until"),
        (["--since", "2026-11-30", "--until", "2026-11-30"], "--since must be earlier than --until"),
        (["--chunk-size", "0"], "--chunk-size must be at least 1"),
        (["--status", "DONE"], "invalid choice: 'DONE'"),
        (["--format", "xml"], "invalid choice: 'xml'"),
        (["--output", "/nonexistent-dir/runs.jsonl"], "does not exist"),
    ],
)
def test_bad_arguments(args, message):
    with pytest.raises(CommandError, match=message):
        export(*args)


def test_bad_arguments_exit_non_zero_from_the_shell():
    env = {**os.environ, "SECRET_KEY": "test-only", "DJANGO_SETTINGS_MODULE": "lotus_manage.settings"}
    proc = subprocess.run(
        [sys.executable, "manage.py", "export_runs", "--skip-checks", "--since", "soon"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    assert "--since: 'soon' is not an ISO date" in proc.stderr
