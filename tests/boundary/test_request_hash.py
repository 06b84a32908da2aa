"""Request hash: the Appendix B test vector of api.md and its listed variations."""

from __future__ import annotations

import hashlib
import json

import pytest

from rebalance.boundary import RebalanceRequest
from rebalance.request_hash import canonical_json, hash_of_tree

from .conftest import valid

# api.md §9, verbatim.
SPEC_CANONICAL = (
    '{"market_data_snapshot":{"fx_rates":[{"pair":"USD/SGD","rate":"1.35"}],"prices":[{"currency":"SGD","instrument_id":"SG_BANK_EQ","price":"50.00"},{"currency":"USD","instrument_id":"US_TECH_ETF","price":"200.00"}],"snapshot_id":null},'
    '"model_portfolio":{"targets":[{"instrument_id":"SG_BANK_EQ","weight":"0.40"},{"instrument_id":"US_TECH_ETF","weight":"0.50"}]},'
    '"options":{"allow_restricted":false,"auto_funding":true,"block_on_missing_fx":true,"block_on_missing_prices":true,"cash_band_max_weight":"0.20","cash_band_min_weight":"0.00","client_consent_already_obtained":false,"compare_target_methods":false,"compare_target_methods_tolerance":"0.0001","drift_top_contributors_limit":5,"drift_unmodeled_exposure_threshold":"0.01","dust_trade_threshold":null,"enable_drift_analytics":true,"enable_instrument_drift":true,"enable_proposal_simulation":false,"enable_settlement_awareness":false,"enable_suitability_scanner":true,"enable_tax_awareness":false,"enable_workflow_gates":true,"funding_mode":"AUTO_FX","fx_buffer_pct":"0.01","fx_funding_source_currency":"ANY_CASH","fx_generation_policy":"ONE_FX_PER_CCY","fx_settlement_days":2,"group_constraints":{},"link_buy_to_same_currency_sell_dependency":null,"max_overdraft_by_ccy":{},"max_realized_capital_gains":null,"max_turnover_pct":null,"min_cash_buffer_pct":"0.0","min_trade_notional":null,"proposal_apply_cash_flows_first":true,"proposal_block_negative_cash":true,"settlement_horizon_days":5,"single_position_max_weight":null,"suitability_thresholds":{"cash_band_max_weight":"0.05","cash_band_min_weight":"0.01","data_quality_issue_severity":"MEDIUM","issuer_max_weight":"0.20","max_weight_by_liquidity_tier":{"L4":"0.10","L5":"0.05"},"single_position_max_weight":"0.10"},"suppress_dust_trades":true,"target_method":"HEURISTIC","valuation_mode":"CALCULATED","workflow_requires_client_consent":false},'
    '"portfolio_snapshot":{"base_currency":"SGD","cash_balances":[{"amount":"10000.00","currency":"SGD","pending":null,"settled":null}],"portfolio_id":"pf_spec_001","positions":[{"instrument_id":"SG_BANK_EQ","lots":[],"market_value":null,"quantity":"300"}],"snapshot_id":null},'
    '"shelf_entries":[{"asset_class":"EQUITY","attributes":{"region":"SG"},"instrument_id":"SG_BANK_EQ","issuer_id":null,"liquidity_tier":null,"min_notional":null,"settlement_days":2,"status":"APPROVED"},{"asset_class":"EQUITY","attributes":{"region":"US"},"instrument_id":"US_TECH_ETF","issuer_id":null,"liquidity_tier":null,"min_notional":null,"settlement_days":2,"status":"APPROVED"}]}'
)
SPEC_HASH = "sha256:594f6d575544ad2bea108779e626034f67064d36a0c474d72d333d51d1461634"
SPEC_HASH_NUMBER_AMOUNT = "sha256:6a2f61a3b4ab6165bc43f041a77ff3ef9c126b9c9459c02e0a701a485f245cf3"


def _canonical(body: dict) -> str:
    return canonical_json(valid(RebalanceRequest, body).request_tree())


def _hash(body: dict) -> str:
    return hash_of_tree(valid(RebalanceRequest, body).request_tree())


def test_spec_vector_canonical_text_is_byte_identical(simulate_body):
    canonical = _canonical(simulate_body)
    assert len(canonical.encode("utf-8")) == 2504
    assert canonical == SPEC_CANONICAL


def test_spec_vector_hash(simulate_body):
    assert _hash(simulate_body) == SPEC_HASH
    digest = hashlib.sha256(SPEC_CANONICAL.encode("utf-8")).hexdigest()
    assert SPEC_HASH == "sha256:" + digest


def test_reordered_keys_spelled_out_defaults_and_unknown_key_keep_the_hash(simulate_body):
    body = dict(reversed(list(simulate_body.items())))
    body["options"] = {
        **body["options"],
        "target_method": "HEURISTIC",
        "settlement_horizon_days": "5",
    }
    body["client_note"] = "ignored"
    assert next(iter(body)) == "options"
    assert _hash(body) == SPEC_HASH


def test_cash_amount_as_json_number_changes_the_hash(simulate_body):
    # As the JSON parser delivers `10000.00`: a float, normalized to "10000.0".
    raw = json.dumps(simulate_body).replace('"amount": "10000.00"', '"amount": 10000.00')
    body = json.loads(raw)
    assert body["portfolio_snapshot"]["cash_balances"][0]["amount"] == 10000.0
    assert _hash(body) == SPEC_HASH_NUMBER_AMOUNT


def test_decimal_scale_and_integer_form_give_different_hashes(simulate_body):
    hashes = set()
    for quantity in ("300", "300.0", "300.00", 300):
        simulate_body["portfolio_snapshot"]["positions"][0]["quantity"] = quantity
        hashes.add(_hash(simulate_body))
    # "300" and the JSON integer 300 normalize to the same Decimal("300").
    assert len(hashes) == 3


def test_json_number_with_fraction_hashes_like_its_shortest_text(simulate_body):
    simulate_body["options"]["cash_band_max_weight"] = 0.20
    as_number = _hash(simulate_body)
    simulate_body["options"]["cash_band_max_weight"] = "0.2"
    assert _hash(simulate_body) == as_number != SPEC_HASH


def test_lenient_boolean_hashes_like_the_canonical_value(simulate_body):
    simulate_body["options"]["allow_restricted"] = "no"
    assert _hash(simulate_body) == SPEC_HASH
    simulate_body["options"]["allow_restricted"] = "yes"
    assert _hash(simulate_body) != SPEC_HASH


def test_list_order_is_part_of_the_hash(simulate_body):
    simulate_body["shelf_entries"].reverse()
    assert _hash(simulate_body) != SPEC_HASH


def test_non_ascii_is_escaped_with_lowercase_hex(simulate_body):
    simulate_body["portfolio_snapshot"]["portfolio_id"] = "pf_é_✓"
    canonical = _canonical(simulate_body)
    assert '"portfolio_id":"pf_\\u00e9_\\u2713"' in canonical
    simulate_body["portfolio_snapshot"]["portfolio_id"] = "a/\U0001f600"
    canonical = _canonical(simulate_body)
    assert '"portfolio_id":"a/\\ud83d\\ude00"' in canonical


# --- hashes stored before the pydantic boundary still match -------------------------------
#
# Request bodies of our own that exercise every normalization (JSON numbers with and
# without fractions, lenient booleans and integers, spelled-out nulls, unknown keys,
# non-ASCII ids, every nested option object). Their hashes were computed by the code of
# commit 3162881, which built the canonical request from the engine dataclasses: a run
# stored then must still replay under the same Idempotency-Key.

PINNED_BODIES = {
    "numbers_and_lenient_scalars": {
        "portfolio_snapshot": {
            "portfolio_id": "pf_pin_é✓", "base_currency": "EUR", "snapshot_id": "ps_1",
            "positions": [
                {"instrument_id": "EQ_A", "quantity": 100.00,
                 "market_value": {"amount": "1_000.50", "currency": "EUR"},
                 "lots": [{"lot_id": "L1", "quantity": " 60 ", "unit_cost": {"amount": 9.5, "currency": "EUR"}, "purchase_date": "2024-01-02"},
                          {"lot_id": "L2", "quantity": 40, "unit_cost": {"amount": "1e1", "currency": "EUR"}, "purchase_date": "2024-02-03"}]},
            ],
            "cash_balances": [{"currency": "EUR", "amount": "250.00", "settled": "200.0", "pending": 50},
                              {"currency": "USD", "amount": "-0"}],
        },
        "market_data_snapshot": {
            "snapshot_id": "md_1",
            "prices": [{"instrument_id": "EQ_A", "price": 123456789.123456789, "currency": "EUR"},
                       {"instrument_id": "EQ_B", "price": "1E+2", "currency": "USD"}],
            "fx_rates": [{"pair": "USD/EUR", "rate": 0.9}],
        },
        "model_portfolio": {"targets": [{"instrument_id": "EQ_A", "weight": "0.5"}, {"instrument_id": "EQ_B", "weight": 0.45}]},
        "shelf_entries": [
            {"instrument_id": "EQ_A", "status": "APPROVED", "asset_class": "EQUITY", "issuer_id": "ISS_1",
             "liquidity_tier": "L2", "settlement_days": "3", "min_notional": {"amount": "10", "currency": "EUR"},
             "attributes": {"sector": "TECH", "region": "EU"}, "unknown_key": 1},
            {"instrument_id": "EQ_B", "status": "SELL_ONLY", "settlement_days": 1.0},
        ],
        "options": {
            "valuation_mode": "TRUST_SNAPSHOT", "target_method": "SOLVER", "compare_target_methods": "yes",
            "allow_restricted": 0, "suppress_dust_trades": "off", "fx_buffer_pct": 0.02,
            "min_trade_notional": {"amount": 5, "currency": "EUR"},
            "max_turnover_pct": "0.25", "enable_tax_awareness": "true", "max_realized_capital_gains": 1000,
            "link_buy_to_same_currency_sell_dependency": "n", "drift_top_contributors_limit": "7",
            "suitability_thresholds": {"max_weight_by_liquidity_tier": {"L1": 1, "L3": "0.300"},
                                       "data_quality_issue_severity": "HIGH", "cash_band_min_weight": 0.0},
            "fx_funding_source_currency": "BASE_ONLY", "settlement_horizon_days": 3.0,
            "max_overdraft_by_ccy": {"EUR": "100.00", "USD": 0},
            "group_constraints": {"sector:TECH": {"max_weight": "0.40"}, "region:EU": {"max_weight": 1}},
        },
    },
    "empty_collections_and_defaults": {
        "portfolio_snapshot": {"portfolio_id": "pf_empty", "base_currency": "SGD"},
        "market_data_snapshot": {},
        "model_portfolio": {"targets": []},
        "shelf_entries": [],
        "options": {},
    },
    "nulls_spelled_out": {
        "portfolio_snapshot": {"portfolio_id": "pf_nulls", "base_currency": "USD", "snapshot_id": None,
                               "positions": [{"instrument_id": "X", "quantity": "0.000", "market_value": None}],
                               "cash_balances": [{"currency": "USD", "amount": "0E-8", "settled": None, "pending": None}]},
        "market_data_snapshot": {"snapshot_id": None, "prices": [{"instrument_id": "X", "price": "1", "currency": "USD"}]},
        "model_portfolio": {"targets": [{"instrument_id": "X", "weight": "1.00"}]},
        "shelf_entries": [{"instrument_id": "X", "status": "RESTRICTED", "issuer_id": None, "liquidity_tier": None,
                           "min_notional": None}],
        "options": {"single_position_max_weight": None, "dust_trade_threshold": {"amount": "0.5", "currency": "USD"},
                    "max_turnover_pct": None, "enable_workflow_gates": False, "block_on_missing_fx": "F"},
    },
}

HASHES_BEFORE_THE_PYDANTIC_BOUNDARY = {
    "numbers_and_lenient_scalars": "sha256:00328c4b5ea69436da3edc33904398b23f92b1a64d1629c7214148463673d0e6",
    "empty_collections_and_defaults": "sha256:d51671d50e8c57d9d1255757e1d3f588d8b7a8daaa8866dee47587e76adf9d47",
    "nulls_spelled_out": "sha256:f5ae67faea3bdc663c47f605a5953f9da25faecdcfc731a760f8a59b93d57566",
}


@pytest.mark.parametrize("name", sorted(PINNED_BODIES))
def test_hash_stored_before_the_pydantic_boundary_still_matches(name):
    body = json.loads(json.dumps(PINNED_BODIES[name]))  # as parsed from HTTP
    assert _hash(body) == HASHES_BEFORE_THE_PYDANTIC_BOUNDARY[name]


@pytest.mark.parametrize(
    "tree",
    [
        {"k": "".join(chr(i) for i in range(0x80)), "b": [True, False, None, 0, -7, 20]},
        {"\x7f": "del", "z": {"y": {"x": []}}, "A": {}, "_": "underscore", "a": "x/y"},
        {"id": "pf_é_✓", "e": "\U0001f600", "nested": [{"ü": "ö"}]},
        {chr(i): chr(i) for i in range(0x20)},
    ],
    ids=["every_ascii_char", "del_and_key_order", "non_ascii", "control_keys"],
)
def test_canonical_text_is_the_json_modules(tree):
    assert canonical_json(tree) == json.dumps(tree, sort_keys=True, separators=(",", ":"))
