"""GET /health/live and GET /health/ready, in process (the outage case: test_database_outage.py)."""
from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client

from access_control.models import AccessEvent

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def test_live_answers_without_touching_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client().get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.has_header("X-Correlation-Id")


def test_ready_answers_200_when_the_database_is_migrated():
    response = Client().get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_answers_503_while_a_migration_is_pending():
    from django.db.migrations.loader import MigrationLoader

    # The newest dpm_runs migration (a leaf: an applied leaf hides an unapplied parent).
    [(_, newest)] = [node for node in MigrationLoader(connection).graph.leaf_nodes() if node[0] == "dpm_runs"]
    with connection.cursor() as cursor:  # rolled back with the test's transaction
        cursor.execute("DELETE FROM django_migrations WHERE app = 'dpm_runs' AND name = %s", [newest])
    response = Client().get("/health/ready")
    assert response.status_code == 503
    assert response["Content-Type"] == PROBLEM
    assert response.json()["detail"] == "MIGRATIONS_PENDING"
    assert int(response["Retry-After"]) >= 1


@pytest.mark.parametrize("path", ["/health/live", "/health/ready"])
def test_probes_need_no_key_ignore_a_bad_one_and_stay_out_of_the_access_log(path):
    before = AccessEvent.objects.count()
    for headers in ({}, {"Authorization": "Api-Key not-a-key"}, {"Authorization": "Bearer x"}):
        assert Client(headers=headers).get(path).status_code == 200
    assert AccessEvent.objects.count() == before


def test_probes_are_not_throttled(settings):
    settings.DPM_THROTTLE_SUPPORT = "1/min"
    settings.DPM_THROTTLE_SIMULATE = "1/min"
    statuses = {Client().get("/health/ready").status_code for _ in range(5)}
    assert statuses == {200}


def test_ready_maps_an_unreachable_database_to_503(monkeypatch):
    """The mapping alone (a real outage: test_database_outage.py): the executor's
    database error becomes 503 DATABASE_UNAVAILABLE, never a 500."""
    from django.db import OperationalError

    import lotus_manage.health as health

    def unreachable(using="default"):
        raise OperationalError("connection refused")

    monkeypatch.setattr(health, "pending_migrations", unreachable)
    response = Client().get("/health/ready")
    assert response.status_code == 503
    assert json.loads(response.content)["detail"] == "DATABASE_UNAVAILABLE"
    assert response["Retry-After"] == "5"
