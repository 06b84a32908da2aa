"""OpenAPI shapes of the support lookups (api spec §4.16).

Documentation only: the views build their JSON text directly (see
dpm_runs/rendering.py) and never run these serializers.
"""
from __future__ import annotations

from rest_framework import serializers


class DpmRunLookupResponseSerializer(serializers.Serializer):
    """A recorded run with its full result."""

    rebalance_run_id = serializers.CharField(help_text="Run id, e.g. `rr_c24203fb`.")
    correlation_id = serializers.CharField(help_text="Correlation id stored with the run.")
    request_hash = serializers.CharField(
        help_text="`sha256:` + 64 hex (simulate) or `<batch_run_id>:<scenario>` (analyze)."
    )
    idempotency_key = serializers.CharField(
        allow_null=True, help_text="Idempotency-Key of a simulate run; null for analyze runs."
    )
    portfolio_id = serializers.CharField(help_text="From the request's portfolio snapshot.")
    created_at = serializers.CharField(
        help_text="When the run was recorded: ISO-8601 UTC with `+00:00`, microseconds "
        "when non-zero, e.g. `2026-02-20T12:00:00.123456+00:00`."
    )
    result = serializers.JSONField(
        help_text="The RebalanceResult exactly as the caller of POST /rebalance/simulate "
        "(or the analyze scenario) received it."
    )


class DpmRunIdempotencyLookupResponseSerializer(serializers.Serializer):
    """The Idempotency-Key -> run mapping of a simulate call."""

    idempotency_key = serializers.CharField(help_text="The key.")
    request_hash = serializers.CharField(help_text="Hash of the execution that last wrote the mapping.")
    rebalance_run_id = serializers.CharField(help_text="Run produced by that execution.")
    created_at = serializers.CharField(
        help_text="When the mapping was written; equals the run record's `created_at`."
    )


class DpmRunLookupErrorSerializer(serializers.Serializer):
    """404 body of the support lookups."""

    detail = serializers.CharField(
        help_text="`DPM_RUN_NOT_FOUND`, `DPM_IDEMPOTENCY_KEY_NOT_FOUND` or `DPM_SUPPORT_APIS_DISABLED`."
    )
