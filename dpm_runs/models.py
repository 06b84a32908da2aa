"""Recorded runs and idempotency mappings (api spec §2.5, §7 items 1-4).

Only dpm_runs reads or writes these models: repository.py (the simulate path and
the lookups), listing.py, key_history.py, holds.py and retention.py (the support
workbench), and the Django admin.

Index notes, for tables of millions of rows:

* Uniqueness and indexes are declared in ``Meta`` rather than with
  ``unique=True`` / ``db_index=True``: on PostgreSQL the field options also build
  a second ``varchar_pattern_ops`` ("_like") index per column that no query here
  uses.
* Every lookup and every admin exact-match search has an index whose leading
  column is the searched one, so each is an index scan.
* Composite indexes end in ``created_at, id`` so that ordered scans ("latest",
  exports in time order, the admin changelist) read the index in order and stop
  early instead of sorting.
"""
from __future__ import annotations

from django.db import models
from django.db.models import Q

from access_control.models import ApiClient

RUN_ID_MAX_LENGTH = 64
CORRELATION_ID_MAX_LENGTH = 512
REQUEST_HASH_MAX_LENGTH = 128
IDEMPOTENCY_KEY_MAX_LENGTH = 256
PORTFOLIO_ID_MAX_LENGTH = 256
ENGINE_VERSION_MAX_LENGTH = 64
HELD_BY_MAX_LENGTH = 200


class RunStatus(models.TextChoices):
    """Domain outcome of a run (api spec §4.1)."""

    READY = "READY"
    PENDING_REVIEW = "PENDING_REVIEW"
    BLOCKED = "BLOCKED"


class RebalanceRun(models.Model):
    """One engine execution: a fresh simulate call or one analyze scenario."""

    id = models.BigAutoField(primary_key=True)
    # The API client that ran it; a simulate-only client sees only its own runs.
    # No index of its own: dpm_run_client_corr_idx leads with it.
    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="runs", db_index=False)
    rebalance_run_id = models.CharField(max_length=RUN_ID_MAX_LENGTH)
    correlation_id = models.CharField(max_length=CORRELATION_ID_MAX_LENGTH)
    request_hash = models.CharField(max_length=REQUEST_HASH_MAX_LENGTH)
    # Simulate only; analyze scenario runs have no key.
    idempotency_key = models.CharField(max_length=IDEMPOTENCY_KEY_MAX_LENGTH, null=True, blank=True)
    # Analyze only; groups the scenario runs of one analyze call.
    batch_run_id = models.CharField(max_length=RUN_ID_MAX_LENGTH, null=True, blank=True)
    portfolio_id = models.CharField(max_length=PORTFOLIO_ID_MAX_LENGTH)
    status = models.CharField(max_length=16, choices=RunStatus.choices)
    # Set by the repository when the record is written (UTC), not by the database
    # default, so one transaction can give the mapping the same timestamp.
    created_at = models.DateTimeField()
    # The exact JSON text returned to the client. jsonb keeps neither key order
    # nor number spelling, and replays and lookups must return the same bytes,
    # so they serve this text as stored, without parsing it.
    response_body = models.TextField()
    # The canonical request (api spec §2.2 step 2) so a run can be reproduced: the
    # exact JSON text the request hash was computed from (runs written before
    # migration 0009 hold the same JSON in PostgreSQL's spelling). Text rather than
    # jsonb: nothing queries inside it, and parsing it into jsonb cost a 5,000-
    # instrument simulate 40 ms.
    request = models.TextField()
    # The engine release that produced the result; a verification that drifts
    # tells an engine change apart from a damaged record with it.
    engine_version = models.CharField(max_length=ENGINE_VERSION_MAX_LENGTH)
    # Legal hold: retention (purge_runs) never deletes a run while held_at is set.
    held_at = models.DateTimeField(null=True, blank=True)
    # Who placed the hold: ``admin:<user>`` or ``cli:<user>``.
    held_by = models.CharField(max_length=HELD_BY_MAX_LENGTH, blank=True, default="")
    hold_reason = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = "rebalance run"
        ordering = ["-created_at", "-id"]
        # Support actions in the admin (runs are otherwise read-only for everyone).
        permissions = [
            ("hold_rebalancerun", "Can place or release a legal hold on a rebalance run"),
            ("verify_rebalancerun", "Can verify a rebalance run against the engine"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["rebalance_run_id"], name="dpm_run_run_id_uniq"),
            models.CheckConstraint(
                condition=Q(status__in=RunStatus.values), name="dpm_run_status_valid"
            ),
        ]
        indexes = [
            # "Latest run for a correlation id": the first entry of this index.
            models.Index(
                "correlation_id",
                models.F("created_at").desc(),
                models.F("id").desc(),
                name="dpm_run_corr_latest_idx",
            ),
            # The same within one client's runs (simulate-only callers).
            models.Index(
                "client",
                "correlation_id",
                models.F("created_at").desc(),
                models.F("id").desc(),
                name="dpm_run_client_corr_idx",
            ),
            models.Index(fields=["created_at", "id"], name="dpm_run_created_idx"),
            # The run listing of a simulate-only caller: its own runs, newest first.
            models.Index(fields=["client", "created_at", "id"], name="dpm_run_client_created_idx"),
            # Retention counts the held runs it keeps; few runs are ever held.
            models.Index(
                fields=["created_at"],
                name="dpm_run_held_idx",
                condition=Q(held_at__isnull=False),
            ),
            models.Index(fields=["portfolio_id", "created_at", "id"], name="dpm_run_portfolio_idx"),
            models.Index(fields=["status", "created_at", "id"], name="dpm_run_status_idx"),
            # Exact-match admin searches; partial where most rows are NULL.
            models.Index(fields=["request_hash"], name="dpm_run_hash_idx"),
            models.Index(
                fields=["idempotency_key"],
                name="dpm_run_idem_key_idx",
                condition=Q(idempotency_key__isnull=False),
            ),
            models.Index(
                fields=["batch_run_id"],
                name="dpm_run_batch_idx",
                condition=Q(batch_run_id__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.rebalance_run_id


class IdempotencyState(models.TextChoices):
    """Life cycle of an idempotency record (docs/idempotency.md)."""

    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"


class IdempotencyRecord(models.Model):
    """Idempotency-Key -> request hash and run of a simulate call.

    Keys are scoped per client. The unique constraint on (client, key) is what
    makes concurrent requests with one key agree: only one insert of a claim
    can succeed.
    """

    id = models.BigAutoField(primary_key=True)
    # No index of its own: the unique (client, key) constraint leads with it.
    client = models.ForeignKey(
        ApiClient, on_delete=models.PROTECT, related_name="idempotency_records", db_index=False
    )
    key = models.CharField(max_length=IDEMPOTENCY_KEY_MAX_LENGTH)
    request_hash = models.CharField(max_length=REQUEST_HASH_MAX_LENGTH)
    state = models.CharField(max_length=16, choices=IdempotencyState.choices)
    # NULL while IN_PROGRESS. PROTECT: a mapping must never point at nothing.
    run = models.ForeignKey(
        RebalanceRun,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="idempotency_records",
    )
    # Identifies the current holder of an IN_PROGRESS claim, so that a worker
    # whose claim was taken over cannot release the new holder's claim.
    claim_token = models.CharField(max_length=32, null=True, blank=True)
    # An IN_PROGRESS claim whose lease has passed belongs to a worker presumed
    # dead, and the next request with the same hash takes it over.
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    # When the mapping was last written; once COMPLETED it equals the run's created_at.
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "idempotency record"
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="dpm_idem_client_key_uniq"),
            models.CheckConstraint(
                condition=Q(state__in=IdempotencyState.values), name="dpm_idem_state_valid"
            ),
            # A completed mapping always points at its run.
            models.CheckConstraint(
                condition=Q(state=IdempotencyState.IN_PROGRESS) | Q(run__isnull=False),
                name="dpm_idem_completed_has_run",
            ),
        ]
        indexes = [
            models.Index(fields=["updated_at", "id"], name="dpm_idem_updated_idx"),
            models.Index(fields=["request_hash"], name="dpm_idem_hash_idx"),
        ]

    def __str__(self) -> str:
        return self.key


class KeyOutcome(models.TextChoices):
    """What one simulate request that presented an idempotency key came to."""

    EXECUTED = "executed"
    REPLAYED = "replayed"
    CONFLICT = "conflict"
    IN_PROGRESS = "in_progress"
    # Replay disabled (DPM_IDEMPOTENCY_REPLAY_ENABLED=false): run again, key overwritten.
    RE_EXECUTED = "re_executed"


class IdempotencyEvent(models.Model):
    """One simulate request that presented an idempotency key: its history entry.

    Append-only. The run is named by its public id, not a foreign key: conflict
    and in-progress entries have no run, and retention deletes the entries of
    the runs it purges together with them.
    """

    id = models.BigAutoField(primary_key=True)
    # No index of its own: dpm_idem_event_key_idx leads with it.
    client = models.ForeignKey(
        ApiClient, on_delete=models.PROTECT, related_name="idempotency_events", db_index=False
    )
    key = models.CharField(max_length=IDEMPOTENCY_KEY_MAX_LENGTH)
    occurred_at = models.DateTimeField()
    outcome = models.CharField(max_length=16, choices=KeyOutcome.choices)
    request_hash = models.CharField(max_length=REQUEST_HASH_MAX_LENGTH)
    correlation_id = models.CharField(max_length=CORRELATION_ID_MAX_LENGTH)
    rebalance_run_id = models.CharField(max_length=RUN_ID_MAX_LENGTH, null=True, blank=True)

    class Meta:
        verbose_name = "idempotency event"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=KeyOutcome.values), name="dpm_idem_event_outcome_valid"
            ),
        ]
        indexes = [
            # A key's history, oldest first (ids grow with time within one key).
            models.Index(fields=["client", "key", "id"], name="dpm_idem_event_key_idx"),
            # Retention deletes the entries of the runs it purges.
            models.Index(
                fields=["rebalance_run_id"],
                name="dpm_idem_event_run_idx",
                condition=Q(rebalance_run_id__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.outcome}"
