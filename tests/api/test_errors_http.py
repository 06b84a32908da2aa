"""Validation and error responses of the simulation endpoints (api spec §1.1, §1.9, §2.1).

Every error is problem+json with the contract's ``detail`` kept; 422s list the issues
in the contract's order, header issues first.
"""
from __future__ import annotations

import json
from http import HTTPStatus

import pytest
from django.test import override_settings

from dpm_runs.models import IdempotencyRecord, RebalanceRun

from .conftest import ANALYZE, SIMULATE, analyze_body, assert_problem, simulate_body

pytestmark = pytest.mark.django_db

KEY_LOC = ["header", "Idempotency-Key"]
CORR_LOC = ["header", "X-Correlation-Id"]


def issues(response):
    return assert_problem(response, 422, title="Unprocessable Entity")["detail"]


def nothing_recorded():
    assert RebalanceRun.objects.count() == 0
    assert IdempotencyRecord.objects.count() == 0


# --- headers -----------------------------------------------------------------------------


def test_missing_idempotency_key_is_422(api):
    detail = issues(api.simulate(simulate_body(), key=None))
    assert detail == [{"type": "missing", "loc": KEY_LOC, "msg": "Field required", "input": None}]
    nothing_recorded()


def test_missing_key_is_reported_together_with_body_issues_header_first(api):
    body = simulate_body(settlement_horizon_days=11)
    del body["model_portfolio"]
    detail = issues(api.simulate(body, key=None))
    assert [(i["type"], i["loc"]) for i in detail] == [
        ("missing", KEY_LOC),
        ("missing", ["body", "model_portfolio"]),
        ("less_than_equal", ["body", "options", "settlement_horizon_days"]),
    ]


def test_missing_key_with_empty_body_reports_both(api):
    detail = issues(api.simulate("", key=None))
    assert [(i["type"], i["loc"]) for i in detail] == [("missing", KEY_LOC), ("missing", ["body"])]


def test_empty_idempotency_key_is_422_not_a_key(api):
    # Deliberate: the reference accepted "" as a key.
    detail = issues(api.simulate(simulate_body(), key=""))
    assert [(i["type"], i["loc"]) for i in detail] == [("string_too_short", KEY_LOC)]
    nothing_recorded()


@pytest.mark.parametrize(
    "key", ["k" * 257, " lead", "trail ", "tab\tkey"], ids=["too_long", "lead", "trail", "ctrl"])
def test_malformed_idempotency_key_is_422(api, key):
    detail = issues(api.simulate(simulate_body(), key=key))
    assert [(i["type"], i["loc"]) for i in detail] == [("string_pattern_mismatch", KEY_LOC)]
    nothing_recorded()


def test_longest_allowed_key_works(api):
    key = "k" * 256
    response = api.simulate(simulate_body(), key=key)
    assert response.status_code == 200
    assert api.get(f"/rebalance/runs/idempotency/{key}").status_code == 200


@pytest.mark.parametrize("value", ["has space", "x" * 129, "semi;colon", "ünï"],
                         ids=["space", "too_long", "semicolon", "non_ascii"])
def test_invalid_correlation_id_is_422_on_simulate(api, value):
    response = api.simulate(simulate_body(), key="corr-bad", correlation=value)
    detail = issues(response)
    assert [(i["type"], i["loc"]) for i in detail] == [("string_pattern_mismatch", CORR_LOC)]
    # The untrusted value is not echoed: a fresh id is used for the response.
    assert response["X-Correlation-Id"].startswith("corr_")
    nothing_recorded()


def test_header_issues_come_first_key_then_correlation_then_body(api):
    detail = issues(api.simulate("{", key="", correlation="bad id"))
    assert [i["loc"][:2] for i in detail] == [KEY_LOC, CORR_LOC, ["body", 1]]


def test_invalid_correlation_id_is_422_on_analyze(api):
    detail = issues(api.analyze(analyze_body({"a": {}}), correlation="bad id"))
    assert [i["loc"] for i in detail] == [CORR_LOC]
    assert RebalanceRun.objects.count() == 0


# --- body decoding -------------------------------------------------------------------------


def test_malformed_json_is_json_invalid_with_the_offset(api):
    text = '{"portfolio_snapshot": {,}'
    detail = issues(api.simulate(text, key="bad-json"))
    assert len(detail) == 1
    issue = detail[0]
    assert issue["type"] == "json_invalid"
    assert issue["loc"] == ["body", 24]
    assert issue["msg"] == "JSON decode error"
    assert issue["ctx"] == {"error": "Expecting property name enclosed in double quotes"}
    nothing_recorded()


def test_truncated_json_offset_is_the_end_of_input(api):
    text = json.dumps(simulate_body())[:-1]
    issue = issues(api.simulate(text, key="trunc"))[0]
    assert (issue["type"], issue["loc"]) == ("json_invalid", ["body", len(text)])


@pytest.mark.parametrize("raw", ["", "   \n", "null"], ids=["empty", "blank", "null"])
def test_empty_body_and_null_are_missing_body(api, raw):
    detail = issues(api.simulate(raw, key="empty"))
    assert [(i["type"], i["loc"]) for i in detail] == [("missing", ["body"])]


@pytest.mark.parametrize("raw", ["[]", '"text"', "42"], ids=["array", "string", "number"])
def test_a_body_that_is_not_an_object_is_422(api, raw):
    detail = issues(api.simulate(raw, key="not-object"))
    assert [i["loc"] for i in detail] == [["body"]]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "text/json", "application/x-www-form-urlencoded"])
def test_non_json_media_type_is_model_attributes_type(api, content_type):
    text = json.dumps(simulate_body())
    detail = issues(api.simulate(text, key="media", content_type=content_type))
    assert [(i["type"], i["loc"]) for i in detail] == [("model_attributes_type", ["body"])]
    nothing_recorded()


@pytest.mark.parametrize(
    "content_type",
    [None, "application/json; charset=utf-8", "application/vnd.lotus+json"],
    ids=["absent", "charset", "plus_json"],
)
def test_absent_or_json_variant_content_type_is_parsed_as_json(api, content_type):
    response = api.simulate(simulate_body(), key="ct-ok", content_type=content_type)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "READY"


def test_non_utf8_body_is_422_not_500(api):
    detail = issues(api.simulate(b'{"a": "\xff"}', key="latin1"))
    assert detail[0]["type"] == "json_invalid"


# --- schema ----------------------------------------------------------------------------------


def test_wrong_type_deep_in_the_body_has_the_full_loc(api):
    body = simulate_body()
    body["market_data_snapshot"]["prices"][1]["price"] = True
    body["shelf_entries"][1]["status"] = "approved"
    detail = issues(api.simulate(body, key="deep"))
    assert [(i["type"], i["loc"]) for i in detail] == [
        ("decimal_type", ["body", "market_data_snapshot", "prices", 1, "price"]),
        ("literal_error", ["body", "shelf_entries", 1, "status"]),
    ]
    assert detail[1]["msg"] == (
        "Input should be 'APPROVED', 'RESTRICTED', 'BANNED', 'SUSPENDED' or 'SELL_ONLY'")
    nothing_recorded()


def test_string_field_given_a_number_is_string_type(api):
    body = simulate_body()
    body["portfolio_snapshot"]["portfolio_id"] = 5
    detail = issues(api.simulate(body, key="strtype"))
    assert [(i["type"], i["loc"]) for i in detail] == [
        ("string_type", ["body", "portfolio_snapshot", "portfolio_id"])]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"settlement_horizon_days": 11},
         ("less_than_equal", ["body", "options", "settlement_horizon_days"],
          "Input should be less than or equal to 10")),
        ({"max_turnover_pct": "1.5"},
         ("value_error", ["body", "options", "max_turnover_pct"],
          "Value error, max_turnover_pct must be between 0 and 1 inclusive")),
        ({"target_method": "heuristic"},
         ("enum", ["body", "options", "target_method"], "Input should be 'HEURISTIC' or 'SOLVER'")),
    ],
    ids=["horizon", "turnover", "enum_case"],
)
def test_out_of_range_option_is_422(api, options, expected):
    detail = issues(api.simulate(simulate_body(**options), key="opt"))
    assert [(i["type"], i["loc"], i["msg"]) for i in detail] == [expected]
    nothing_recorded()


def test_null_options_is_rejected(api):
    body = simulate_body()
    body["options"] = None
    detail = issues(api.simulate(body, key="null-opts"))
    assert [(i["type"], i["loc"]) for i in detail] == [
        ("model_attributes_type", ["body", "options"])]


# --- routing -----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "put", "delete", "patch"])
@pytest.mark.parametrize("path", [SIMULATE, ANALYZE])
def test_wrong_method_is_405_problem(api, path, method):
    response = getattr(api.client, method)(path)
    assert_problem(response, 405, "Method Not Allowed", "Method Not Allowed")
    assert "POST" in response["Allow"]


# (/rebalance/runs is the run listing since issue 8: tests/workbench.)
@pytest.mark.parametrize("path", ["/nope", "/rebalance", "/rebalance/run", "/rebalance/runs/a/b/c"])
def test_unknown_route_is_404_problem(api, path):
    response = api.get(path)
    assert_problem(response, 404, "Not Found", "Not Found")


def test_unknown_route_for_post_is_404_problem(api):
    assert_problem(api.post("/rebalance/simulat", simulate_body(), key="x"), 404, "Not Found")


# --- limits ------------------------------------------------------------------------------


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=512)
@pytest.mark.parametrize("path", [SIMULATE, ANALYZE])
def test_oversized_body_is_413_problem(api, path):
    text = json.dumps(simulate_body())
    assert len(text) > 512
    response = api.post(path, text, key="big")
    # The title is Python's phrase for 413 ("Request Entity Too Large" before 3.13).
    assert_problem(response, 413, "Request body exceeds the configured size limit.",
                   HTTPStatus(413).phrase)
    nothing_recorded()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=4096)
def test_body_under_the_limit_is_served(api):
    text = json.dumps(simulate_body())
    assert len(text) < 4096
    assert api.post(SIMULATE, text, key="small").status_code == 200


# --- unexpected exceptions ----------------------------------------------------------------


class EngineExploded(RuntimeError):
    pass


SECRET = "secret internal detail 0xDEADBEEF"


def _explode(*args, **kwargs):
    raise EngineExploded(SECRET)


def test_unexpected_exception_is_a_bare_500_and_nothing_is_kept(api, monkeypatch):
    monkeypatch.setattr("rebalance.services.simulate", _explode)

    response = api.simulate(simulate_body(), key="boom-1", correlation="corr-boom")

    body = assert_problem(response, 500, "An unexpected error occurred.", "Internal Server Error")
    assert body["instance"] == SIMULATE
    assert body["correlation_id"] == "corr-boom"
    text = response.content.decode()
    for leak in ("Traceback", SECRET, "EngineExploded", "services.py"):
        assert leak not in text
    nothing_recorded()
    assert api.get("/rebalance/runs/idempotency/boom-1").status_code == 404

    # The claim was released: the same key now works, even with another body.
    monkeypatch.undo()
    retry = api.simulate(simulate_body(max_turnover_pct="0.5"), key="boom-1")
    assert retry.status_code == 200
    assert retry["Idempotent-Replayed"] == "false"
    assert RebalanceRun.objects.filter(idempotency_key="boom-1").count() == 1


def test_unexpected_exception_with_replay_disabled_records_nothing(api, monkeypatch):
    monkeypatch.setenv("DPM_IDEMPOTENCY_REPLAY_ENABLED", "false")
    monkeypatch.setattr("rebalance.services.simulate", _explode)
    response = api.simulate(simulate_body(), key="boom-2")
    assert_problem(response, 500, "An unexpected error occurred.")
    nothing_recorded()


def test_unexpected_exception_in_analyze_outside_scenarios_is_500(api, monkeypatch):
    monkeypatch.setattr("rebalance.views.analyze_and_record", _explode)
    response = api.analyze(analyze_body({"a": {}}))
    body = assert_problem(response, 500, "An unexpected error occurred.")
    assert body["instance"] == ANALYZE
    assert SECRET not in response.content.decode()


# --- every response carries the correlation id ---------------------------------------------


def test_bad_host_400_still_carries_a_correlation_id(api):
    response = api.post(SIMULATE, simulate_body(), key="host", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["correlation_id"]
    assert response["X-Correlation-Id"] == response.json()["correlation_id"]


# --- identifiers the run store keeps in bounded columns ---------------------------------


def test_portfolio_id_longer_than_the_run_store_column_is_422_not_500(api):
    from dpm_runs.models import PORTFOLIO_ID_MAX_LENGTH
    from rebalance.boundary.limits import MAX_PORTFOLIO_ID_LENGTH

    assert MAX_PORTFOLIO_ID_LENGTH == PORTFOLIO_ID_MAX_LENGTH
    body = simulate_body()
    body["portfolio_snapshot"]["portfolio_id"] = "p" * (MAX_PORTFOLIO_ID_LENGTH + 1)
    detail = issues(api.simulate(body, key="long-portfolio-id"))
    assert [(i["type"], i["loc"], i["msg"], i.get("ctx")) for i in detail] == [
        ("string_too_long", ["body", "portfolio_snapshot", "portfolio_id"],
         f"String should have at most {MAX_PORTFOLIO_ID_LENGTH} characters",
         {"max_length": MAX_PORTFOLIO_ID_LENGTH}),
    ]
    nothing_recorded()


def test_portfolio_id_at_the_column_limit_is_accepted_and_recorded(api):
    from rebalance.boundary.limits import MAX_PORTFOLIO_ID_LENGTH

    body = simulate_body()
    body["portfolio_snapshot"]["portfolio_id"] = "p" * MAX_PORTFOLIO_ID_LENGTH
    assert api.simulate(body, key="max-portfolio-id").status_code == 200
    assert RebalanceRun.objects.get().portfolio_id == "p" * MAX_PORTFOLIO_ID_LENGTH
