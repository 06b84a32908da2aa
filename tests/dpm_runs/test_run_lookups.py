"""GET /rebalance/runs/... through DRF's test client (api spec §2.6-§2.9, §8.3-§8.6)."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from rest_framework.test import APIClient

from dpm_runs.repository import RunRepository

pytestmark = pytest.mark.django_db

HASH = "sha256:594f6d575544ad2bea108779e626034f67064d36a0c474d72d333d51d1461634"


@pytest.fixture
def api(owner_headers):
    """Authenticated as ``owner``, the client that records the runs of these tests:
    a simulate client reading its own runs and its own idempotency keys."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=owner_headers["Authorization"])
    return client


@pytest.fixture
def simulate_run(repo, make_run, owner):
    """A simulate run recorded under key spec-idem-001, as in §8.3/§8.5."""
    new = make_run(run_id="rr_c24203fb", correlation_id="corr-spec-001", request_hash=HASH, portfolio_id="pf_spec_001")
    claim = repo.claim(owner.pk, "spec-idem-001", HASH)
    return repo.complete(claim, new)


def _detail(response, status: int = 404) -> str:
    """The contract code of an error answer, whatever envelope the project's
    exception handler wraps it in (it keeps ``detail`` as the code)."""
    assert response.status_code == status
    assert response["Content-Type"] in ("application/json", "application/problem+json")
    return response.json()["detail"]


def test_run_lookup_splices_the_stored_result_verbatim(api, simulate_run):
    response = api.get("/rebalance/runs/rr_c24203fb")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    expected = (
        '{"rebalance_run_id":"rr_c24203fb","correlation_id":"corr-spec-001",'
        f'"request_hash":"{HASH}","idempotency_key":"spec-idem-001","portfolio_id":"pf_spec_001",'
        '"created_at":"2026-11-28T22:43:58.709992+00:00","result":'
        + simulate_run.response_body
        + "}"
    )
    assert response.content == expected.encode("utf-8")
    body = json.loads(response.content)
    assert list(body) == [
        "rebalance_run_id",
        "correlation_id",
        "request_hash",
        "idempotency_key",
        "portfolio_id",
        "created_at",
        "result",
    ]


def test_analyze_run_lookup_has_a_null_key(api, repo, make_run, owner):
    new = make_run(correlation_id="corr-spec-batch:cap_half", request_hash="batch_4f8d5976:cap_half")
    repo.record_analyze_run(owner.pk, new, batch_run_id="batch_4f8d5976")
    body = api.get("/rebalance/runs/by-correlation/corr-spec-batch:cap_half").json()
    assert body["idempotency_key"] is None
    assert body["request_hash"] == "batch_4f8d5976:cap_half"
    assert body["result"]["rebalance_run_id"] == new.rebalance_run_id


def test_created_at_omits_a_zero_fraction(api, clock, make_run, owner):
    clock.now = datetime(2026, 2, 20, 12, 0, 0, tzinfo=UTC)
    RunRepository(clock=clock).record_analyze_run(owner.pk, make_run(run_id="rr_00000001"), batch_run_id="b")
    assert api.get("/rebalance/runs/rr_00000001").json()["created_at"] == "2026-02-20T12:00:00+00:00"


def test_unknown_and_differently_cased_run_ids_are_not_found(api, simulate_run):
    assert _detail(api.get("/rebalance/runs/rr_00000000")) == "DPM_RUN_NOT_FOUND"
    assert _detail(api.get("/rebalance/runs/RR_C24203FB")) == "DPM_RUN_NOT_FOUND"


def test_by_correlation_returns_the_latest_run(api, repo, make_run, clock, owner):
    repo.record_analyze_run(owner.pk, make_run(run_id="rr_00000001", correlation_id="c_none"), batch_run_id="b")
    clock.advance(1)
    repo.record_analyze_run(owner.pk, make_run(run_id="rr_00000002", correlation_id="c_none"), batch_run_id="b")
    repo.record_analyze_run(owner.pk, make_run(run_id="rr_00000003", correlation_id="c_none"), batch_run_id="b")  # same time
    body = api.get("/rebalance/runs/by-correlation/c_none").json()
    assert body["rebalance_run_id"] == "rr_00000003"
    assert body["result"]["rebalance_run_id"] == "rr_00000003"


def test_by_correlation_miss_uses_the_run_code(api):
    assert _detail(api.get("/rebalance/runs/by-correlation/corr-unknown")) == "DPM_RUN_NOT_FOUND"


def test_idempotency_lookup(api, simulate_run):
    response = api.get("/rebalance/runs/idempotency/spec-idem-001")
    assert response.status_code == 200
    assert response.content == (
        '{"idempotency_key":"spec-idem-001",'
        f'"request_hash":"{HASH}","rebalance_run_id":"rr_c24203fb",'
        '"created_at":"2026-11-28T22:43:58.709992+00:00"}'
    ).encode()


def test_idempotency_lookup_misses(api, repo, owner):
    assert _detail(api.get("/rebalance/runs/idempotency/idem-unknown")) == "DPM_IDEMPOTENCY_KEY_NOT_FOUND"
    repo.claim(owner.pk, "in-flight", HASH)  # claimed, never completed
    assert _detail(api.get("/rebalance/runs/idempotency/in-flight")) == "DPM_IDEMPOTENCY_KEY_NOT_FOUND"


def test_percent_encoded_key(api, repo, make_run, owner):
    repo.record_simulate_run(owner.pk, "a b", make_run(request_hash=HASH))
    assert api.get("/rebalance/runs/idempotency/a%20b").json()["idempotency_key"] == "a b"


@pytest.mark.parametrize(
    "path",
    ["/rebalance/runs/rr_c24203fb", "/rebalance/runs/by-correlation/corr-spec-001", "/rebalance/runs/idempotency/spec-idem-001"],
)
def test_disabled_toggle_is_read_on_every_request(api, simulate_run, monkeypatch, path):
    assert api.get(path).status_code == 200
    for value in ("false", "", "y", "0", "enabled"):
        monkeypatch.setenv("DPM_SUPPORT_APIS_ENABLED", value)
        response = api.get(path)
        assert _detail(response) == "DPM_SUPPORT_APIS_DISABLED"
    monkeypatch.setenv("DPM_SUPPORT_APIS_ENABLED", " TRUE ")
    assert api.get(path).status_code == 200
    monkeypatch.delenv("DPM_SUPPORT_APIS_ENABLED")
    assert api.get(path).status_code == 200


def test_disabled_is_checked_before_the_lookup(api, monkeypatch):
    monkeypatch.setenv("DPM_SUPPORT_APIS_ENABLED", "off")
    assert _detail(api.get("/rebalance/runs/rr_missing")) == "DPM_SUPPORT_APIS_DISABLED"
    assert _detail(api.get("/rebalance/runs/idempotency/missing")) == "DPM_SUPPORT_APIS_DISABLED"


@pytest.mark.parametrize("path", ["/rebalance/runs/by-correlation", "/rebalance/runs/idempotency"])
def test_bare_prefixes_fall_through_to_the_run_route(api, path):
    assert _detail(api.get(path)) == "DPM_RUN_NOT_FOUND"


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/rebalance/runs/rr_x/", "/rebalance/runs/rr_x"),
        ("/rebalance/runs/by-correlation/c_none/", "/rebalance/runs/by-correlation/c_none"),
        ("/rebalance/runs/idempotency/a%20b/", "/rebalance/runs/idempotency/a%20b"),
        ("/rebalance/runs/by-correlation/?x=1", "/rebalance/runs/by-correlation?x=1"),
    ],
)
def test_trailing_slash_redirects_with_307(api, path, location):
    response = api.get(path)
    assert response.status_code == 307
    assert response["Location"] == location


def test_other_methods_are_not_allowed(api, simulate_run):
    response = api.post("/rebalance/runs/rr_c24203fb", {}, format="json")
    assert _detail(response, 405) == "Method Not Allowed"
    assert api.delete("/rebalance/runs/idempotency/spec-idem-001").status_code == 405
    assert api.options("/rebalance/runs/rr_c24203fb").status_code == 405


def test_accept_header_does_not_matter(api, simulate_run):
    ok = api.get("/rebalance/runs/rr_c24203fb", HTTP_ACCEPT="text/html")
    assert ok.status_code == 200 and ok["Content-Type"] == "application/json"
    miss = api.get("/rebalance/runs/rr_missing", HTTP_ACCEPT="application/xml")
    assert _detail(miss) == "DPM_RUN_NOT_FOUND"


def test_lookups_are_in_the_openapi_schema(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    run = paths["/rebalance/runs/{rebalance_run_id}"]["get"]
    assert run["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/DpmRunLookupResponse")
    assert "404" in run["responses"]
    mapping = paths["/rebalance/runs/idempotency/{idempotency_key}"]["get"]
    ref = mapping["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/DpmRunIdempotencyLookupResponse")
    component = schema["components"]["schemas"]["DpmRunLookupResponse"]
    assert list(component["properties"]) == [
        "rebalance_run_id",
        "correlation_id",
        "request_hash",
        "idempotency_key",
        "portfolio_id",
        "created_at",
        "result",
    ]
    assert component["properties"]["idempotency_key"]["nullable"] is True
    result = component["properties"]["result"]  # {"allOf": [{"$ref": ...}]} when it has help text
    assert json.dumps(result).count("#/components/schemas/RebalanceResult\"") == 1
    examples = run["responses"]["404"]["content"]["application/problem+json"]["examples"]
    assert {e["value"]["detail"] for e in examples.values()} == {"DPM_RUN_NOT_FOUND", "DPM_SUPPORT_APIS_DISABLED"}
    assert "/rebalance/runs/by-correlation/{correlation_id}" in paths
