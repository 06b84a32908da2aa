"""The offline ``simulate`` / ``analyze`` management commands."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.factories import one_instrument_body


_body = one_instrument_body


def _write(tmp_path, name: str, content) -> str:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def test_simulate_prints_one_result_per_file_in_argument_order(tmp_path):
    first = _write(tmp_path, "a.json", _body("0.5"))
    second = _write(tmp_path, "b.json", _body("0.2"))
    out = StringIO()
    call_command("simulate", first, second, stdout=out)
    lines = out.getvalue().strip().split("\n")
    assert len(lines) == 2
    results = [json.loads(line) for line in lines]
    # 1000 USD cash: 0.5 → BUY 50 A, 0.2 → BUY 20 A.
    assert [r["intents"][0]["quantity"] for r in results] == ["50", "20"]
    assert all(r["status"] == "READY" for r in results)
    assert results[0]["lineage"]["request_hash"].startswith("sha256:")
    assert results[0]["correlation_id"] == "c_none"


def test_simulate_invalid_file_prints_nothing_and_fails(tmp_path):
    good = _write(tmp_path, "good.json", _body())
    bad_body = _body()
    bad_body["options"] = {"max_turnover_pct": "1.5"}
    bad = _write(tmp_path, "bad.json", bad_body)
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 of 2"):
        call_command("simulate", good, bad, stdout=out, stderr=err)
    assert out.getvalue() == ""
    report = json.loads(err.getvalue().strip())
    assert report["file"] == bad
    assert report["detail"][0]["loc"] == ["body", "options", "max_turnover_pct"]
    assert report["detail"][0]["msg"] == "Value error, max_turnover_pct must be between 0 and 1 inclusive"


@pytest.mark.parametrize(
    ("content", "issue_type"),
    [("{\"portfolio_snapshot\": ", "json_invalid"), ("", "missing"), ("null", "missing")],
)
def test_simulate_malformed_bodies(tmp_path, content, issue_type):
    path = _write(tmp_path, "x.json", content)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("simulate", path, stdout=StringIO(), stderr=err)
    assert json.loads(err.getvalue().strip())["detail"][0]["type"] == issue_type


def test_simulate_unreadable_file(tmp_path):
    with pytest.raises(CommandError, match="cannot read file"):
        call_command("simulate", str(tmp_path / "missing.json"), stdout=StringIO())


def test_analyze_runs_sorted_scenarios_and_reports_invalid_options(tmp_path):
    body = _body()
    del body["options"]
    body["scenarios"] = {
        "zeta": {"options": {}},
        "alpha": {"options": {"max_turnover_pct": "0"}},
        "broken": {"options": {"target_method": "FOO"}},
    }
    out = StringIO()
    call_command("analyze", _write(tmp_path, "batch.json", body), "--correlation-id", "ops-1", stdout=out)
    batch = json.loads(out.getvalue())
    assert list(batch["results"]) == ["alpha", "zeta"]
    assert batch["failed_scenarios"] == {"broken": "INVALID_OPTIONS: Input should be 'HEURISTIC' or 'SOLVER'"}
    assert batch["warnings"] == ["PARTIAL_BATCH_FAILURE"]
    assert batch["results"]["zeta"]["correlation_id"] == "ops-1:zeta"
    assert batch["comparison_metrics"]["alpha"]["security_intent_count"] == 0
    assert batch["comparison_metrics"]["zeta"]["gross_turnover_notional_base"] == {
        "amount": "500.0", "currency": "USD"}


def test_analyze_rejects_bad_scenario_names(tmp_path):
    body = _body()
    body["scenarios"] = {"Bad Name": {"options": {}}}
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("analyze", _write(tmp_path, "batch.json", body), stdout=StringIO(), stderr=err)
    assert "scenario names must match" in err.getvalue()
