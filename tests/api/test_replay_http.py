"""Idempotent replay of POST /rebalance/simulate over HTTP.

See api spec §2.2-§2.3 and docs/idempotency.md.
"""
from __future__ import annotations

import json

import pytest

from dpm_runs.models import IdempotencyRecord, RebalanceRun

from .conftest import assert_problem, reordered, simulate_body

pytestmark = pytest.mark.django_db

CONFLICT = "IDEMPOTENCY_KEY_CONFLICT: request hash mismatch"


def _variants():
    same = simulate_body()
    keys_reordered = reordered(simulate_body())
    with_unknown = simulate_body()
    with_unknown["unknown_top_level"] = {"anything": [1, 2, 3]}
    with_unknown["portfolio_snapshot"]["nickname"] = "ignored"
    with_unknown["options"]["not_an_option"] = True
    # Spelled-out defaults hash like the defaults (§2.2).
    explicit_defaults = simulate_body(target_method="HEURISTIC", cash_band_min_weight="0.00")
    return {
        "same": same,
        "keys_reordered": keys_reordered,
        "unknown_keys": with_unknown,
        "explicit_defaults": explicit_defaults,
    }


@pytest.mark.parametrize("variant", list(_variants()))
def test_replay_returns_the_first_body_byte_for_byte(api, variant):
    first = api.simulate(simulate_body(), key="replay-1", correlation="corr-first")
    assert first.status_code == 200
    assert first["Idempotent-Replayed"] == "false"

    again = api.simulate(_variants()[variant], key="replay-1", correlation="corr-second")

    assert again.status_code == 200, again.content
    assert again["Idempotent-Replayed"] == "true"
    assert again["Content-Type"] == "application/json"
    assert again.content == first.content
    assert again.json()["rebalance_run_id"] == first.json()["rebalance_run_id"]
    # The stored body keeps the first call's correlation id (§2.3); the header echoes
    # this request's own id.
    assert again.json()["correlation_id"] == "corr-first"
    assert again["X-Correlation-Id"] == "corr-second"
    assert RebalanceRun.objects.count() == 1
    assert IdempotencyRecord.objects.filter(key="replay-1").count() == 1


def test_replay_records_nothing_so_the_retry_correlation_id_is_not_found(api):
    api.simulate(simulate_body(), key="replay-2", correlation="corr-a")
    api.simulate(simulate_body(), key="replay-2", correlation="corr-b")
    assert api.get("/rebalance/runs/by-correlation/corr-a").status_code == 200
    assert api.get("/rebalance/runs/by-correlation/corr-b").status_code == 404


@pytest.mark.parametrize(
    "change",
    [
        lambda b: b["model_portfolio"]["targets"][0].update(weight="0.40"),
        # "100.00" and "100.0" are different requests (§2.2).
        lambda b: b["portfolio_snapshot"]["cash_balances"][0].update(amount="1000.0"),
        # List order is significant.
        lambda b: b["market_data_snapshot"]["prices"].reverse(),
        lambda b: b["options"].update(max_turnover_pct="0.5"),
    ],
    ids=["weight", "decimal_scale", "list_order", "option"],
)
def test_same_key_different_body_is_409_conflict(api, change):
    first = api.simulate(simulate_body(), key="conflict-1", correlation="corr-c1")
    other = simulate_body()
    change(other)

    response = api.simulate(other, key="conflict-1", correlation="corr-c2")

    body = assert_problem(response, 409, CONFLICT, "Conflict")
    assert body["correlation_id"] == "corr-c2"
    assert "Idempotent-Replayed" not in response
    # Nothing changed: the original still replays, one run, mapping untouched.
    assert RebalanceRun.objects.count() == 1
    replay = api.simulate(simulate_body(), key="conflict-1")
    assert replay.content == first.content
    mapping = api.get("/rebalance/runs/idempotency/conflict-1").json()
    assert mapping["rebalance_run_id"] == first.json()["rebalance_run_id"]


def test_keys_are_exact_and_case_sensitive(api):
    a = api.simulate(simulate_body(), key="Case-Key")
    b = api.simulate(simulate_body(), key="case-key")
    assert b["Idempotent-Replayed"] == "false"
    assert a.json()["rebalance_run_id"] != b.json()["rebalance_run_id"]
    assert RebalanceRun.objects.count() == 2


def test_a_key_with_inner_spaces_is_looked_up_percent_encoded(api):
    response = api.simulate(simulate_body(), key="a b")
    assert response.status_code == 200
    mapping = api.get("/rebalance/runs/idempotency/a%20b")
    assert mapping.status_code == 200
    assert mapping.json()["rebalance_run_id"] == response.json()["rebalance_run_id"]


# --- DPM_IDEMPOTENCY_REPLAY_ENABLED=false ------------------------------------------------


def test_replay_disabled_runs_every_call_and_maps_the_key_to_the_newest(api, monkeypatch):
    monkeypatch.setenv("DPM_IDEMPOTENCY_REPLAY_ENABLED", "false")

    runs = []
    for body in (simulate_body(), simulate_body(), simulate_body(max_turnover_pct="0.5")):
        response = api.simulate(body, key="noreplay-1")
        assert response.status_code == 200, response.content  # never 409, even for another body
        assert response["Idempotent-Replayed"] == "false"
        runs.append(response.json())

    run_ids = [r["rebalance_run_id"] for r in runs]
    assert len(set(run_ids)) == 3
    assert RebalanceRun.objects.filter(idempotency_key="noreplay-1").count() == 3
    mapping = api.get("/rebalance/runs/idempotency/noreplay-1").json()
    assert mapping["rebalance_run_id"] == run_ids[-1]
    assert mapping["request_hash"] == runs[-1]["lineage"]["request_hash"]
    for run_id in run_ids:
        assert api.get(f"/rebalance/runs/{run_id}").status_code == 200


def test_flag_is_read_per_request_and_reenabling_replays_the_latest_run(api, monkeypatch):
    first = api.simulate(simulate_body(), key="toggle-1")
    monkeypatch.setenv("DPM_IDEMPOTENCY_REPLAY_ENABLED", "off")
    latest = api.simulate(simulate_body(max_turnover_pct="0.5"), key="toggle-1")
    assert latest.json()["rebalance_run_id"] != first.json()["rebalance_run_id"]

    monkeypatch.setenv("DPM_IDEMPOTENCY_REPLAY_ENABLED", " TRUE ")
    replay = api.simulate(simulate_body(max_turnover_pct="0.5"), key="toggle-1")
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.content == latest.content
    # The first body now conflicts with the key's latest hash.
    assert_problem(api.simulate(simulate_body(), key="toggle-1"), 409, CONFLICT)


@pytest.mark.parametrize("value", ["", "y", "enabled", "0"])
def test_any_other_set_value_disables_replay(api, monkeypatch, value):
    monkeypatch.setenv("DPM_IDEMPOTENCY_REPLAY_ENABLED", value)
    a = api.simulate(simulate_body(), key="flag-1")
    b = api.simulate(simulate_body(), key="flag-1")
    assert b["Idempotent-Replayed"] == "false"
    assert a.json()["rebalance_run_id"] != b.json()["rebalance_run_id"]


def test_replayed_body_is_the_text_the_lookup_stores(api):
    first = api.simulate(simulate_body(), key="replay-text")
    lookup = api.get(f"/rebalance/runs/{first.json()['rebalance_run_id']}")
    assert json.loads(lookup.content)["result"] == first.json()
    assert lookup.content.decode().endswith('"result":' + first.content.decode() + "}")
