"""Runs and idempotency keys belong to the client that created them (OWASP API1)."""
from __future__ import annotations

import pytest

from dpm_runs.models import IdempotencyRecord, RebalanceRun

from callers import events, other_body

pytestmark = pytest.mark.django_db


def test_two_clients_with_one_key_and_one_body_get_two_runs(alice, bob):
    first = alice.simulate(key="shared-key", correlation="corr-a")
    second = bob.simulate(key="shared-key", correlation="corr-b")
    assert (first.status_code, second.status_code) == (200, 200)
    assert first["Idempotent-Replayed"] == second["Idempotent-Replayed"] == "false"
    assert first.json()["rebalance_run_id"] != second.json()["rebalance_run_id"]
    assert RebalanceRun.objects.count() == 2
    assert IdempotencyRecord.objects.filter(key="shared-key").count() == 2
    # Each replays its own run, never the other's.
    assert alice.simulate(key="shared-key").content == first.content
    assert bob.simulate(key="shared-key").content == second.content


def test_a_key_in_use_by_one_client_never_conflicts_for_another(alice, bob):
    assert alice.simulate(key="k").status_code == 200
    assert bob.simulate(key="k", body=other_body()).status_code == 200


def test_another_clients_run_is_404_for_every_lookup(alice, bob):
    run_id = alice.simulate(key="alice-key", correlation="corr-alice").json()["rebalance_run_id"]
    for path, code in (
        (f"/rebalance/runs/{run_id}", "DPM_RUN_NOT_FOUND"),
        ("/rebalance/runs/by-correlation/corr-alice", "DPM_RUN_NOT_FOUND"),
        ("/rebalance/runs/idempotency/alice-key", "DPM_IDEMPOTENCY_KEY_NOT_FOUND"),
    ):
        response = bob.get(path)
        assert response.status_code == 404, path
        assert response.json()["detail"] == code
        # The owner reads the same path.
        assert alice.get(path).status_code == 200, path
    refused = events(actor="api:bob")
    assert [(e.action, e.outcome) for e in refused] == [
        ("run.lookup", 404),
        ("run.lookup_by_correlation", 404),
        ("idempotency.lookup", 404),
    ]
    assert refused[0].target == run_id


def test_negative_control_without_scoping_the_same_read_leaks(alice, bob, monkeypatch):
    """The probe above can fail: with the scope removed, bob reads alice's run."""
    import dpm_runs.views

    run_id = alice.simulate(key="alice-key").json()["rebalance_run_id"]
    monkeypatch.setattr(dpm_runs.views, "run_scope", lambda request: None)
    assert bob.get(f"/rebalance/runs/{run_id}").status_code == 200


def test_by_correlation_returns_the_callers_latest_run(alice, bob, support):
    mine = alice.simulate(key="a1", correlation="corr-shared").json()["rebalance_run_id"]
    theirs = bob.simulate(key="b1", correlation="corr-shared").json()["rebalance_run_id"]
    assert alice.get("/rebalance/runs/by-correlation/corr-shared").json()["rebalance_run_id"] == mine
    assert bob.get("/rebalance/runs/by-correlation/corr-shared").json()["rebalance_run_id"] == theirs
    # Support: the latest across clients.
    assert support.get("/rebalance/runs/by-correlation/corr-shared").json()["rebalance_run_id"] == theirs


def test_support_reads_any_run_and_the_read_is_logged(alice, support):
    run_id = alice.simulate(key="alice-key").json()["rebalance_run_id"]
    response = support.get(f"/rebalance/runs/{run_id}")
    assert response.status_code == 200
    assert response.json()["rebalance_run_id"] == run_id
    [event] = events(actor="api:helpdesk")
    assert (event.action, event.target, event.outcome) == ("run.lookup", run_id, 200)
    assert event.correlation_id == response["X-Correlation-Id"]


def test_support_key_lookup_uses_its_own_key_space_unless_it_names_another(alice, support):
    run_id = alice.simulate(key="alice-key").json()["rebalance_run_id"]
    own = support.get("/rebalance/runs/idempotency/alice-key")
    assert own.status_code == 404
    assert own.json()["detail"] == "DPM_IDEMPOTENCY_KEY_NOT_FOUND"
    named = support.get("/rebalance/runs/idempotency/alice-key?client=alice")
    assert named.status_code == 200
    assert named.json()["rebalance_run_id"] == run_id
    unknown = support.get("/rebalance/runs/idempotency/alice-key?client=nobody")
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "DPM_IDEMPOTENCY_KEY_NOT_FOUND"
    assert [e.target for e in events(actor="api:helpdesk")] == [
        "alice-key", "alice-key?client=alice", "alice-key?client=nobody",
    ]


def test_client_parameter_without_support_role_is_403(alice, bob):
    alice.simulate(key="alice-key")
    for who in (alice, bob):
        response = who.get("/rebalance/runs/idempotency/alice-key?client=alice")
        assert response.status_code == 403
        assert response.json()["detail"] == "DPM_ROLE_REQUIRED: support"
    assert [e.action for e in events(outcome=403)] == ["authorization.failed"] * 2


def test_analyze_runs_belong_to_the_caller(alice, bob):
    response = alice.analyze(correlation="corr-batch")
    assert response.status_code == 200
    assert bob.get("/rebalance/runs/by-correlation/corr-batch:base").status_code == 404
    assert alice.get("/rebalance/runs/by-correlation/corr-batch:base").status_code == 200
    assert set(RebalanceRun.objects.values_list("client__name", flat=True)) == {"alice"}
