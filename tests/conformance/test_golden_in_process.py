"""Every conformance case of ../shared run in-process: boundary → engine → renderer.

The judge's own comparison module decides (default tolerance). The fixtures stay in
../shared; where it is absent (a plain clone) the test skips and says why.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from rebalance.boundary import (
    BatchRebalanceRequest,
    RebalanceRequest,
    validate_engine_options,
    validate_request,
)
from rebalance.engine import render_batch, render_result, run_batch, simulate
from rebalance.request_hash import hash_of_tree

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
GOLDEN = SHARED / "conformance" / "golden"
COMPARE_MODULE = SHARED / "tools" / "conformance" / "conformance_compare.py"
CASES = sorted(GOLDEN.glob("*.json")) if GOLDEN.is_dir() else []
ABSENT = "../shared/conformance is absent (plain clone outside CI): conformance cases skipped"


def _compare_module():
    spec = importlib.util.spec_from_file_location("conformance_compare", COMPARE_MODULE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(case: dict) -> dict:
    request = json.loads(json.dumps(case["request"]))  # a private copy, as parsed from HTTP
    correlation = (case.get("headers") or {}).get("X-Correlation-Id")
    if case["kind"] == "simulate":
        body, issues = validate_request(request, RebalanceRequest)
        assert not issues, issues
        inputs, options = body.to_engine()
        result = simulate(
            inputs, options, request_hash=hash_of_tree(body.request_tree()),
            correlation_id=correlation or "c_none",
        )
        return render_result(result)
    body, issues = validate_request(request, BatchRebalanceRequest)
    assert not issues, issues
    inputs, scenarios = body.to_engine()
    batch = run_batch(inputs, scenarios, validate_engine_options, correlation_prefix=correlation)
    return render_batch(batch)


@pytest.mark.parametrize("path", CASES or [None], ids=lambda p: p.stem if p else "absent")
def test_conformance_case_matches_reference(path):
    if path is None:
        pytest.skip(ABSENT)
    compare = _compare_module()
    case = json.loads(path.read_text())
    body = _run(case)
    json.dumps(body)  # the rendered result must be plain JSON
    expected = compare.project_response(case["kind"], case["expected_status"], case["expected"])
    actual = compare.project_response(case["kind"], 200, body)
    diff = compare.first_diff(expected, actual)
    assert diff is None, f"{case['name']} differs at {diff[0]}: expected {diff[1]!r}, got {diff[2]!r}"


# Hashes of the normalized request each run of a case stores (for simulate, its
# request_hash), as computed by the code of 3162881, before the pydantic boundary:
# a run stored then must still replay. Analyze cases: one per valid scenario.
STORED_REQUEST_HASHES = {
    "golden_scenario_01_cash_inflow":
        "sha256:78ace05569eac8e1dddde33a79c89129d12b98cfb6fc49e4716536aba7382276",
    "golden_scenario_02_constraint_cap":
        "sha256:78765c32d6ddde3ff3c669771c80c7347761d575fbe82a79206d8eedb035e5ab",
    "golden_scenario_03_fx_funding":
        "sha256:76b55124cb06ff35cb8fe472905767be794df9042b1107c99ed57a7195fb16f8",
    "golden_scenario_04_dq_failure":
        "sha256:ac6323139f52ca4f36e3ae163205b2fc2f3026315e3d66865c8224891132e1a6",
    "golden_scenario_05_constraint_fail":
        "sha256:3d4705e252d281bd4e006fb6345960fbc561107b39117764598c173993a7d7ec",
    "golden_scenario_06_suppression":
        "sha256:60365ef3aaa4f570e0c39038961b09eac64e29c86ab7f74b4958ee386d366df2",
    "golden_scenario_07_audit_trace":
        "sha256:78765c32d6ddde3ff3c669771c80c7347761d575fbe82a79206d8eedb035e5ab",
    "golden_scenario_08_sector_cap":
        "sha256:b250e39c335782cbdbf6496f4b9e49341c09dac9b969c601174e340193ce4242",
    "golden_scenario_09_tax_awareness_off_legacy_sell":
        "sha256:60f9fa16ec84818cb9e1f613dc9adb114bed83c4ea307a965e8bd6c5da5f94d0",
    "golden_scenario_09_tax_budget_partial_sell":
        "sha256:b79867c97f9d487702d491a57de8d3560364c317ff9dc0657c5e8c7f4397fe51",
    "golden_scenario_09_tax_hifo":
        "sha256:c565c114fc0fc7693a815b148793323850a19d319bc915b88fced7cf4dd396c6",
    "golden_scenario_101_drift_rebalance":
        "sha256:02a5c080d8522738315cc7261afb56c58b6ca31d1b3d942be572a806bcae3cfb",
    "golden_scenario_102_cash_inflow":
        "sha256:12e2a93ebff58792d80f03e6859c0219a70b7b11a966d772ba641d0f9ec23f4c",
    "golden_scenario_103_sell_to_fund":
        "sha256:7405b989a15ea37a7f02120f8297d110ad053a3543c191a77656c5b77a768efe",
    "golden_scenario_104_multicurrency_fx":
        "sha256:974d7e0181f6da6a04b763b99e9942234b98ea6b28def795fb784aefb09e00e0",
    "golden_scenario_105_sell_only":
        "sha256:b3fdf367c83b3e7fc8ffe1f426b8a2ba51a3d292cdfd4ecfa4a8c981da2ae1db",
    "golden_scenario_107_missing_price":
        "sha256:7e9ce958da41583ee75e8d45213cfa0de52b30e9f04c50437999b5a1566414ff",
    "golden_scenario_10_turnover_cap":
        "sha256:e3242db4e51e5f3c5e52365ece916764036f4671b4a3dbb6a7fc2b43df10532f",
    "golden_scenario_10_turnover_exact_fit":
        "sha256:ff42dbb6af741c76117db44f36e91d08b043e6c87f8cca496c430f400f665cb6",
    "golden_scenario_10_turnover_zero_budget":
        "sha256:00dbef905d5b699aad21b385745da6602a69d7c55b1111157e70f2f6aaa05337",
    "golden_scenario_110_dust_suppression":
        "sha256:094dd2ec1f067986db6cbaaabb8a6340fdba07c3ce5a6f3986f30541d6235e9d",
    "golden_scenario_111_fee_buffer":
        "sha256:a074b0aacce71c207e8074c77828540f46225ac1d6e0d5006747257402093f71",
    "golden_scenario_112_cross_currency_switch":
        "sha256:2ebbad32c2fc1e9fe442d63e77e0fc3bdc840d733b1922c07026fcbd5e69dead",
    "golden_scenario_113_capped_rotation":
        "sha256:a12026e22010b47e2b8919db648ffe506c0840ef6be15e970474ca0adf8ed1dd",
    "golden_scenario_114_frozen_asset":
        "sha256:6a5445aa00ecadc7b2a1bbbdf0f8a68c1e0f4b57c258ad1485039a302524a19c",
    "golden_scenario_11_settlement_awareness_off_legacy_ready":
        "sha256:44e3380b7e7f28dd46315ba47983b0527dd91d1cd7b3150c5a8f4296cf967b3a",
    "golden_scenario_11_settlement_fail":
        "sha256:887a4542abbe71e4b0e14146c566200eaac00615e57e28e8d92b2acb8c14dcf7",
    "golden_scenario_11_settlement_fx_timing_ladder":
        "sha256:afb1e5a2c9da07f502f804aed9ad6720c6265730a21ddeb503b00766ac9f5c27",
    "golden_scenario_11_settlement_overdraft_utilized_ready":
        "sha256:dde2727c94c56d8f5e8fb6504ee8c156ddb02fd78a65f2566a6635e344afcad7",
    "golden_scenario_12_solver_conflict":
        "sha256:ee7925f875076323fc5a900f7d615d08376cd9a5b7a7cca6bd899d94728d209f",
    "golden_scenario_12_solver_infeasible":
        "sha256:756265b457257ed6727e4a3f3273f97b442ad27a29058bb78dacc9066f18cb7c",
    "golden_scenario_12_solver_ready_feasible":
        "sha256:ede269073c2319a6745a06be401217c3f602eeec1aabec4044d7cd9a568ea15a",
    "golden_scenario_13_what_if_analysis":
        "sha256:35bc1660d3c44ef0c403ea73aa1905a3cfcd095aa7796476250d0db16664193d",
    "golden_scenario_13_what_if_analysis__analyze:ignore_checks":
        "sha256:35bc1660d3c44ef0c403ea73aa1905a3cfcd095aa7796476250d0db16664193d",
    "golden_scenario_13_zero_turnover_batch":
        "sha256:7712e8306e97b1b1a487eda646e31cd10e0ab1a88ebb464ba6db73164960f47f",
    "golden_scenario_13_zero_turnover_batch__analyze:steady":
        "sha256:7712e8306e97b1b1a487eda646e31cd10e0ab1a88ebb464ba6db73164960f47f",
    "golden_scenario_301_drift_rebalance":
        "sha256:9f755a56aeb9bc2275edb5c1cbe3d5e3005ea85a10d382aa4292c901a3826c9f",
    "golden_scenario_302_sell_to_fund":
        "sha256:b8442b21b0d78a4caa233647dcce76106046050a5da336765011c537e5f972e3",
    "golden_scenario_303_multi_currency":
        "sha256:34fd00213b65d31cfa1633bc88c648b0060dc9e1d9dbf08291c649b6918c0449",
    "golden_scenario_304_partial_funding":
        "sha256:78e2302a16fcb918f687aafec3c7748fa4a5a65afe382aa5cd2602e736d2312b",
    "golden_scenario_305_sell_only_buy_blocked":
        "sha256:0cd58dde94a71231de6422c1e7f0f8d751b1a61e22ad3def0840b0be8a854834",
    "golden_scenario_306_restricted_blocked":
        "sha256:1ee0308b6a5c192e6c43ef040f881ce0a6ba95c0d88c7580d88f025a1deba27f",
    "golden_scenario_307_suspended_locked":
        "sha256:3731bea50fd47e90f26d1b0dbce1f09ddf2e83e5815eb3fa7f154144f4f9e4e6",
    "golden_scenario_308_banned_locked":
        "sha256:89b87b5db12b72e3408e2c70df5f5e48b0cbfd26e2d13e2e69b1062e1e575349",
    "golden_scenario_309_missing_price_block":
        "sha256:4d6c48133c83708cc11d4511d5aa77fe6a24bf21179016c60631ffd51708cb16",
    "golden_scenario_310_missing_fx_block":
        "sha256:06b870a297e8507b7f056ea3749d77411f3c33ff29b57e93ff905752a4069f07",
    "golden_scenario_312_dust_suppression":
        "sha256:2e916d38e83d40d7f2c9489fabce6c7cb26f244c1324af77ab7f94c27b0b5d3d",
}


def _stored_request_hashes(case: dict) -> dict[str, str]:
    request = json.loads(json.dumps(case["request"]))
    if case["kind"] == "simulate":
        body, issues = validate_request(request, RebalanceRequest)
        assert not issues, issues
        return {"": hash_of_tree(body.request_tree())}
    body, issues = validate_request(request, BatchRebalanceRequest)
    assert not issues, issues
    hashes = {}
    for scenario in body.scenarios:
        try:
            validate_engine_options(body.scenarios[scenario].options)
        except ValueError:
            continue  # an invalid scenario runs nothing and stores nothing
        hashes[":" + scenario] = hash_of_tree(body.scenario_request_tree(scenario))
    return hashes


@pytest.mark.parametrize("path", CASES or [None], ids=lambda p: p.stem if p else "absent")
def test_stored_request_and_hash_are_those_of_before_the_pydantic_boundary(path):
    if path is None:
        pytest.skip(ABSENT)
    case = json.loads(path.read_text())
    expected = {
        key[len(path.stem):]: digest
        for key, digest in STORED_REQUEST_HASHES.items()
        if key == path.stem or key.startswith(path.stem + ":")
    }
    assert expected, f"no pinned hash for {path.stem}"
    assert _stored_request_hashes(case) == expected
