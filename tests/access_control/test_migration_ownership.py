"""The ownership migration keeps every run and key written before API keys existed."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("dpm_runs", "0002_lz4_compression"), ("access_control", "0001_initial")]
AFTER = [("dpm_runs", "0005_client_required")]


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_rows_are_kept_and_owned_by_the_legacy_client():
    old = _migrate(BEFORE)
    Run = old.get_model("dpm_runs", "RebalanceRun")
    Record = old.get_model("dpm_runs", "IdempotencyRecord")
    now = datetime(2026, 11, 1, tzinfo=UTC)
    run = Run.objects.create(
        rebalance_run_id="rr_0000beef", correlation_id="c", request_hash="sha256:x", idempotency_key="k",
        portfolio_id="pf", status="READY", created_at=now, result={}, response_body="{}", request={},
    )
    Record.objects.create(key="k", request_hash="sha256:x", state="COMPLETED", run=run,
                          created_at=now, updated_at=now)
    try:
        new = _migrate(AFTER)
        Run = new.get_model("dpm_runs", "RebalanceRun")
        Record = new.get_model("dpm_runs", "IdempotencyRecord")
        [kept] = Run.objects.all()
        assert (kept.rebalance_run_id, kept.client.name) == ("rr_0000beef", "pre-auth-legacy")
        assert kept.response_body == "{}"
        [record] = Record.objects.all()
        assert (record.key, record.client.name, record.run_id) == ("k", "pre-auth-legacy", kept.pk)
        legacy = new.get_model("access_control", "ApiClient").objects.get(name="pre-auth-legacy")
        assert legacy.roles == []
        assert not new.get_model("access_control", "ApiKey").objects.filter(client=legacy).exists()
    finally:
        _migrate(_latest())  # leave the schema as the other tests expect it


@pytest.mark.django_db(transaction=True)
def test_an_empty_database_gets_no_legacy_client():
    _migrate(BEFORE)
    try:
        new = _migrate(AFTER)
        assert not new.get_model("access_control", "ApiClient").objects.filter(name="pre-auth-legacy").exists()
    finally:
        _migrate(_latest())
