"""Health checks for load balancers and orchestrators: GET /health/live, GET /health/ready.

* live: the process serves requests. It touches nothing else, the database least of
  all, so a database outage never gets healthy workers restarted.
* ready: the database answers and every migration of this code is applied, so the
  instance can take traffic. Otherwise 503 problem+json with ``detail``
  ``DATABASE_UNAVAILABLE`` or ``MIGRATIONS_PENDING``.

Both are public (no API key: probes carry none, and authentication itself needs
the database), never throttled and not written to the access log: probes every few
seconds would drown the real events.
"""
from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from typing import Literal

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView
from typing_extensions import TypedDict

from .database_outage import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS
from .openapi import CORRELATION_ID_RESPONSE_HEADER, Problem, problem_body
from .problems import PROBLEM_CONTENT_TYPE, problem_response

MIGRATIONS_PENDING = "MIGRATIONS_PENDING"
READY_PATH = "/health/ready"


class HealthStatus(TypedDict):
    """A healthy probe's answer."""

    status: Literal["ok"]


def _ok() -> JsonResponse:
    return JsonResponse({"status": "ok"})


class _ProbeView(APIView):
    # No credentials, no throttle, no access log (not an AccessLoggedViewMixin).
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []


def pending_migrations(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """``app.migration`` names this code has and the database has not applied.

    Reads ``django_migrations`` (one query); raises the database's error when it
    cannot be reached.
    """
    executor = MigrationExecutor(connections[using])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


class LiveView(_ProbeView):
    @extend_schema(
        operation_id="health_live",
        summary="Liveness: the process serves requests",
        description="No database access, no credentials. 200 while the process can answer.",
        parameters=[CORRELATION_ID_RESPONSE_HEADER],
        responses={200: OpenApiResponse(HealthStatus, examples=[
            OpenApiExample("Live", value={"status": "ok"})])},
        auth=[],
        tags=["operations"],
    )
    def get(self, request):
        return _ok()


class ReadyView(_ProbeView):
    @extend_schema(
        operation_id="health_ready",
        summary="Readiness: the database answers and the schema is migrated",
        description="No credentials. 200 when the database answers and every migration is "
        f"applied; otherwise 503 with `detail` `{DATABASE_UNAVAILABLE}` or `{MIGRATIONS_PENDING}`.",
        parameters=[CORRELATION_ID_RESPONSE_HEADER],
        responses={
            200: OpenApiResponse(HealthStatus, examples=[
                OpenApiExample("Ready", value={"status": "ok"})]),
            (503, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                Problem,
                description="Not ready: the database cannot be reached, or migrations are pending "
                "(run `manage.py migrate`).",
                examples=[
                    OpenApiExample(code, value=problem_body(503, code, READY_PATH))
                    for code in (DATABASE_UNAVAILABLE, MIGRATIONS_PENDING)
                ],
            ),
        },
        auth=[],
        tags=["operations"],
    )
    def get(self, request):
        # A database error propagates to the problems handler: 503 DATABASE_UNAVAILABLE.
        pending = pending_migrations()
        if pending:
            return problem_response(request._request, 503, MIGRATIONS_PENDING,
                                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        return _ok()
