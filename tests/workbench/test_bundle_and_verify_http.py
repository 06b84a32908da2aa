"""GET .../support-bundle and POST .../verify: support only, 404 for unknown runs, logged."""
from __future__ import annotations

import json

import pytest

from access_control.models import AccessEvent
from dpm_runs.bundles import support_bundle
from dpm_runs.models import RebalanceRun
from tests.api.conftest import assert_problem

pytestmark = pytest.mark.django_db


def _bundle(caller, run_id):
    return caller.get(f"/rebalance/runs/{run_id}/support-bundle")


def _verify(caller, run_id):
    return caller.http.post(f"/rebalance/runs/{run_id}/verify")


@pytest.fixture
def run_id(alice) -> str:
    return alice.simulate(key="bundle-key", correlation="corr-b").json()["rebalance_run_id"]


def test_support_gets_the_bundle_and_the_read_is_logged(support, run_id):
    response = _bundle(support, run_id)
    assert response.status_code == 200
    body = response.json()
    expected = support_bundle(run_id)
    assert {k: v for k, v in body.items() if k != "generated_at"} == {
        k: v for k, v in expected.items() if k != "generated_at"}
    event = AccessEvent.objects.get(action="run.support_bundle")
    assert (event.actor, event.target, event.outcome) == ("api:helpdesk", run_id, 200)


def test_the_bundle_result_is_what_the_lookup_returns_byte_for_byte(support, run_id):
    lookup = support.get(f"/rebalance/runs/{run_id}").content.decode()
    bundle = _bundle(support, run_id).content.decode()
    stored = RebalanceRun.objects.get(rebalance_run_id=run_id).response_body
    assert lookup.endswith(',"result":' + stored + "}")
    assert ',"result":' + stored + ',"idempotency":' in bundle


def test_the_bundle_over_http_replays_for_the_runs_client(alice, support, run_id):
    bundle = _bundle(support, run_id).json()
    again = alice.simulate(key=bundle["run"]["idempotency_key"], body=bundle["request"])
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["rebalance_run_id"] == run_id


def test_a_simulate_only_client_cannot_get_bundles_or_verify_even_its_own(alice, run_id):
    assert_problem(_bundle(alice, run_id), 403, "DPM_ROLE_REQUIRED: support")
    assert_problem(_verify(alice, run_id), 403, "DPM_ROLE_REQUIRED: support")


def test_unknown_runs_are_404(support):
    assert_problem(_bundle(support, "rr_missing"), 404, "DPM_RUN_NOT_FOUND")
    assert_problem(_verify(support, "rr_missing"), 404, "DPM_RUN_NOT_FOUND")
    assert AccessEvent.objects.filter(action__in=["run.support_bundle", "run.verify"], outcome=404).count() == 2


def test_verify_matches_a_fresh_run_and_records_no_run(support, run_id):
    before = RebalanceRun.objects.count()
    response = _verify(support, run_id)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"rebalance_run_id", "outcome", "differences", "engine_version", "verified_at"}
    assert (body["rebalance_run_id"], body["outcome"], body["differences"]) == (run_id, "MATCH", [])
    assert RebalanceRun.objects.count() == before
    event = AccessEvent.objects.get(action="run.verify")
    assert (event.target, event.outcome) == (run_id, 200)


def test_verify_drifts_once_the_stored_result_is_tampered_with(support, run_id):
    row = RebalanceRun.objects.get(rebalance_run_id=run_id)
    tampered = json.loads(row.response_body)
    tampered["before"]["total_value"]["amount"] = "1.00"
    RebalanceRun.objects.filter(pk=row.pk).update(response_body=json.dumps(tampered, separators=(",", ":")))
    body = _verify(support, run_id).json()
    assert body["outcome"] == "DRIFT"
    assert body["differences"] == [{
        "path": "/before/total_value/amount", "stored": "1.00",
        "recomputed": json.loads(row.response_body)["before"]["total_value"]["amount"],
    }]


def test_verify_is_post_only_and_the_bundle_get_only(support, run_id):
    assert_problem(support.get(f"/rebalance/runs/{run_id}/verify"), 405)
    assert_problem(support.http.post(f"/rebalance/runs/{run_id}/support-bundle"), 405)


def test_switched_off_with_the_other_support_apis(support, run_id, monkeypatch):
    monkeypatch.setenv("DPM_SUPPORT_APIS_ENABLED", "false")
    assert_problem(_bundle(support, run_id), 404, "DPM_SUPPORT_APIS_DISABLED")
    assert_problem(_verify(support, run_id), 404, "DPM_SUPPORT_APIS_DISABLED")


def test_verify_with_a_trailing_slash_redirects_keeping_the_method(support, run_id):
    response = support.http.post(f"/rebalance/runs/{run_id}/verify/")
    assert response.status_code == 307
    assert response["Location"] == f"/rebalance/runs/{run_id}/verify"
