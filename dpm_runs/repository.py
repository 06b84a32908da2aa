"""The run store: the only code that reads or writes dpm_runs models.

Callers (the rebalance views, the support lookups, the export command) get
small frozen dataclasses back, never model instances, so nothing outside this
module can lazily load a multi-megabyte JSON column by accident.

Idempotency follows the "claim" protocol described in docs/idempotency.md:
``claim`` in a short transaction of its own, the engine runs outside any
transaction, then ``complete`` (or ``release`` on failure). With replay
disabled, ``record_simulate_run`` is used instead.

Ownership: every run and idempotency record belongs to an API client
(``client_id``). Writes always name the owner; idempotency keys are scoped to
it. Reads take ``client_id`` as a required keyword: a client's id confines the
read to that client's rows, ``None`` reads every client's (support staff).
"""
from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from . import claim_locks
from .models import (
    CORRELATION_ID_MAX_LENGTH,
    IDEMPOTENCY_KEY_MAX_LENGTH,
    PORTFOLIO_ID_MAX_LENGTH,
    REQUEST_HASH_MAX_LENGTH,
    RUN_ID_MAX_LENGTH,
    IdempotencyRecord,
    IdempotencyState,
    RebalanceRun,
    RunStatus,
)

DEFAULT_LEASE_SECONDS = 60
DEFAULT_CHUNK_SIZE = 100
# Retry-After for a duplicate of a claim whose holder is known alive (PostgreSQL): it
# is computing, most runs take well under a second, and a dead holder's claim is taken
# over at once, so the key is usable as soon as the computation ends (docs/idempotency.md).
LIVE_HOLDER_RETRY_AFTER_SECONDS = 1
# Pause between looks for the claim row of a live lock holder that has not written it yet.
_HOLDER_ROW_WAIT_SECONDS = 0.02

# Columns of a run without the three large ones.
_SUMMARY_FIELDS = (
    "id",
    "rebalance_run_id",
    "correlation_id",
    "request_hash",
    "idempotency_key",
    "batch_run_id",
    "portfolio_id",
    "status",
    "created_at",
)


# --- Values handed to and returned by the repository ------------------------


@dataclass(frozen=True, slots=True)
class NewRun:
    """A finished engine execution, ready to be recorded.

    ``response_body`` is the exact JSON text sent to the client; replays and
    lookups return it byte for byte. ``result`` is the same result as a JSON
    tree for the jsonb column; when omitted it is parsed from ``response_body``.
    ``request`` is the canonical request tree the hash was computed from.
    """

    rebalance_run_id: str
    correlation_id: str
    request_hash: str
    portfolio_id: str
    status: str
    response_body: str
    request: Mapping[str, Any]
    result: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class RunSummary:
    """A recorded run without its JSON payloads."""

    rebalance_run_id: str
    correlation_id: str
    request_hash: str
    idempotency_key: str | None
    batch_run_id: str | None
    portfolio_id: str
    status: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StoredRun(RunSummary):
    """A recorded run with the exact JSON text its client received."""

    response_body: str


@dataclass(frozen=True, slots=True)
class IdempotencyMapping:
    """What GET /rebalance/runs/idempotency/{key} reports (api spec §4.16)."""

    idempotency_key: str
    request_hash: str
    rebalance_run_id: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Claimed:
    """The caller now holds the key: run the engine, then ``complete`` or ``release``."""

    client_id: int
    key: str
    request_hash: str
    token: str
    lease_expires_at: datetime


@dataclass(frozen=True, slots=True)
class Replay:
    """The key already completed with the same request: answer ``run.response_body``."""

    run: StoredRun


@dataclass(frozen=True, slots=True)
class Conflict:
    """The key is held or completed for a different request hash (409)."""

    key: str


@dataclass(frozen=True, slots=True)
class InProgress:
    """Another request with the same key and body is running (409 + Retry-After)."""

    key: str
    retry_after: int


ClaimOutcome = Claimed | Replay | Conflict | InProgress


@dataclass(frozen=True, slots=True)
class RunFilters:
    """Filters of ``iter_runs``; ``since`` is inclusive, ``until`` exclusive."""

    since: datetime | None = None
    until: datetime | None = None
    portfolio_id: str | None = None
    status: str | None = None
    correlation_id: str | None = None


class RunIdCollision(Exception):
    """A run with this ``rebalance_run_id`` already exists; nothing was written.

    Run ids have 32 random bits (api spec §1.7), so collisions become likely
    once a table holds tens of thousands of runs. The reference overwrote the
    earlier run; here the earlier run (and any key mapped to it) stays intact
    and the caller decides, e.g. by issuing a fresh id.
    """

    def __init__(self, rebalance_run_id: str) -> None:
        super().__init__(f"rebalance_run_id {rebalance_run_id!r} is already recorded")
        self.rebalance_run_id = rebalance_run_id


# --- The repository ---------------------------------------------------------


@dataclass
class RunRepository:
    """Reads and writes recorded runs and idempotency records.

    Stateless apart from its configuration, so one instance can be shared by
    threads. ``clock`` returns an aware UTC datetime; tests inject their own.
    ``lease_seconds`` defaults to ``settings.DPM_IDEMPOTENCY_LEASE_SECONDS``
    (60 when unset).
    """

    using: str = DEFAULT_DB_ALIAS
    lease_seconds: int | None = None
    clock: Callable[[], datetime] = field(default=timezone.now)

    # -- idempotent simulate, replay enabled --------------------------------

    def claim(self, client_id: int, key: str, request_hash: str) -> ClaimOutcome:
        """Reserve ``key`` in ``client_id``'s key space for ``request_hash`` before the engine runs.

        Commits on return (when not nested in an outer transaction), so every
        other process sees the claim at once. The unique constraint on the key
        decides between concurrent claimants; the loser reads the winner's row
        under a row lock.
        """
        _check_length("idempotency key", key, IDEMPOTENCY_KEY_MAX_LENGTH)
        _check_length("request_hash", request_hash, REQUEST_HASH_MAX_LENGTH)
        # Taken before the claim row is written, kept until the run is recorded or the
        # claim released: whether a claimer is alive (claim_locks.py).
        holder_alive = claim_locks.acquire(self.using, client_id, key)
        try:
            outcome = self._claim(client_id, key, request_hash, holder_alive)
        except BaseException:
            if holder_alive is False:
                claim_locks.release(self.using, client_id, key)
            raise
        if holder_alive is False and not isinstance(outcome, Claimed):
            claim_locks.release(self.using, client_id, key)
        return outcome

    def _claim(self, client_id: int, key: str, request_hash: str, holder_alive: bool | None) -> ClaimOutcome:
        """``claim`` once the key's lock was tried (``holder_alive`` as ``claim_locks.acquire``)."""
        # A few rounds only matter when a claim is released between our failed
        # insert and our read; each round is a fresh attempt.
        for round_ in range(5):
            with transaction.atomic(using=self.using):
                now = self.clock()
                token = uuid.uuid4().hex
                lease_expires_at = now + self._lease()
                if holder_alive:
                    # A live session holds the key's lock and is about to write (or has
                    # just removed) its claim: never claim beside it. Its row appears
                    # within milliseconds; wait briefly to tell a conflict from a duplicate.
                    record = self._locked_record(client_id, key)
                    if record is None and round_ < 4:
                        time.sleep(_HOLDER_ROW_WAIT_SECONDS)
                        continue
                    if record is None:
                        return InProgress(key, retry_after=LIVE_HOLDER_RETRY_AFTER_SECONDS)
                    return self._resolve_existing(record, request_hash, now, holder_alive)
                try:
                    # Savepoint, so the transaction survives the IntegrityError.
                    with transaction.atomic(using=self.using):
                        IdempotencyRecord.objects.using(self.using).create(
                            client_id=client_id,
                            key=key,
                            request_hash=request_hash,
                            state=IdempotencyState.IN_PROGRESS,
                            claim_token=token,
                            lease_expires_at=lease_expires_at,
                            created_at=now,
                            updated_at=now,
                        )
                    return Claimed(client_id, key, request_hash, token, lease_expires_at)
                except IntegrityError:
                    pass
                record = self._locked_record(client_id, key)
                if record is None:
                    continue
                return self._resolve_existing(record, request_hash, now, holder_alive)
        raise RuntimeError(f"could not claim idempotency key {key!r}: claim kept disappearing")

    def complete(self, claim: Claimed, run: NewRun) -> StoredRun:
        """Record the run and point the claimed key at it, in one transaction.

        Returns the run the key now maps to, which is the one to answer with.
        That is normally ``run``; but when this claim's lease expired and a
        second worker took over and finished first, the key already maps to
        that worker's run (same request hash): it is returned and ``run`` is
        not recorded, so one key never maps to two runs.

        Raises RunIdCollision (and writes nothing) if the run id exists.
        """
        if run.request_hash != claim.request_hash:
            raise ValueError("run.request_hash differs from the claimed request hash")
        with transaction.atomic(using=self.using):
            record = self._locked_record(claim.client_id, claim.key)
            if (
                record is not None
                and record.state == IdempotencyState.COMPLETED
                and record.request_hash == claim.request_hash
            ):
                stored = self._stored_run_by_pk(record.run_id)
                claim_locks.release(self.using, claim.client_id, claim.key)
                return stored
            row = self._insert_run(run, claim.client_id, idempotency_key=claim.key)
            self._point_key_at(claim.client_id, claim.key, record, row)
        # Only once the run is committed (a failed attempt keeps the lock for a retry
        # under a fresh run id, or for ``release``).
        claim_locks.release(self.using, claim.client_id, claim.key)
        return _stored(row)

    def release(self, claim: Claimed) -> bool:
        """Drop an IN_PROGRESS claim after the engine failed (nothing is recorded).

        Only the current holder can release: a claim taken over by another
        worker is left alone. Returns whether a claim was removed.
        """
        try:
            with transaction.atomic(using=self.using):
                deleted, _ = (
                    IdempotencyRecord.objects.using(self.using)
                    .filter(
                        client_id=claim.client_id,
                        key=claim.key,
                        state=IdempotencyState.IN_PROGRESS,
                        claim_token=claim.token,
                    )
                    .delete()
                )
        finally:
            claim_locks.release(self.using, claim.client_id, claim.key)
        return deleted > 0

    # -- simulate with replay disabled; analyze ------------------------------

    def record_simulate_run(self, client_id: int, key: str, run: NewRun) -> StoredRun:
        """Record a simulate run executed with replay disabled (api spec §2.3).

        The run is written and the key's mapping is created or overwritten to
        point at it (COMPLETED, this run's hash), in one transaction. Never
        conflicts. Raises RunIdCollision (and writes nothing) if the run id exists.
        """
        _check_length("idempotency key", key, IDEMPOTENCY_KEY_MAX_LENGTH)
        with transaction.atomic(using=self.using):
            record = self._locked_record(client_id, key)
            row = self._insert_run(run, client_id, idempotency_key=key)
            self._point_key_at(client_id, key, record, row)
            return _stored(row)

    def record_analyze_run(self, client_id: int, run: NewRun, batch_run_id: str) -> StoredRun:
        """Record one successful analyze scenario run (no idempotency key).

        Raises RunIdCollision (and writes nothing) if the run id exists.
        """
        _check_length("batch_run_id", batch_run_id, RUN_ID_MAX_LENGTH)
        with transaction.atomic(using=self.using):
            row = self._insert_run(run, client_id, idempotency_key=None, batch_run_id=batch_run_id)
        return _stored(row)

    # -- reads ----------------------------------------------------------------

    def get_run(self, rebalance_run_id: str, *, client_id: int | None) -> StoredRun | None:
        """The run with this exact (case-sensitive) id, or None (also when another
        client owns it and ``client_id`` is not None)."""
        row = _one(
            self._owned_runs(client_id)
            .filter(rebalance_run_id=rebalance_run_id)
            .only(*_SUMMARY_FIELDS, "response_body")
        )
        return None if row is None else _stored(row)

    def get_latest_by_correlation(self, correlation_id: str, *, client_id: int | None) -> StoredRun | None:
        """The latest run recorded with exactly this correlation id, or None.

        Latest = greatest ``created_at``; among equal timestamps, the greatest
        primary key (the row inserted last). This is the first entry of the
        ([client,] correlation_id, created_at DESC, id DESC) index.
        """
        row = (
            self._owned_runs(client_id)
            .filter(correlation_id=correlation_id)
            .order_by("-created_at", "-id")
            .only(*_SUMMARY_FIELDS, "response_body")
            .first()
        )
        return None if row is None else _stored(row)

    def get_idempotency(self, key: str, *, client_id: int) -> IdempotencyMapping | None:
        """The completed mapping of ``key`` in ``client_id``'s key space, or None
        (also while still IN_PROGRESS)."""
        row = _one(
            IdempotencyRecord.objects.using(self.using)
            .filter(client_id=client_id, key=key, state=IdempotencyState.COMPLETED)
            .select_related("run")
            .only("key", "request_hash", "run", "run__rebalance_run_id", "run__created_at")
        )
        if row is None:
            return None
        return IdempotencyMapping(
            idempotency_key=row.key,
            request_hash=row.request_hash,
            rebalance_run_id=row.run.rebalance_run_id,
            created_at=row.run.created_at,
        )

    def count_runs(self, filters: RunFilters) -> int:
        """Number of runs matching ``filters`` (a COUNT over an index range)."""
        return self._filtered(filters).count()

    def iter_run_summaries(
        self, filters: RunFilters, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> Iterator[RunSummary]:
        """Runs matching ``filters``, oldest first, without their JSON payloads."""
        for row in self._keyset_chunks(filters, chunk_size, _SUMMARY_FIELDS):
            yield _summary(row)

    def iter_runs(self, filters: RunFilters, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[StoredRun]:
        """Runs matching ``filters``, oldest first, with their stored response text.

        Memory stays bounded by ``chunk_size`` rows, whatever the table size.
        """
        for row in self._keyset_chunks(filters, chunk_size, (*_SUMMARY_FIELDS, "response_body")):
            yield _stored(row)

    # -- internals ----------------------------------------------------------

    def _lease(self) -> timedelta:
        seconds = self.lease_seconds
        if seconds is None:
            seconds = getattr(settings, "DPM_IDEMPOTENCY_LEASE_SECONDS", DEFAULT_LEASE_SECONDS)
        return timedelta(seconds=seconds)

    def _runs(self):
        return RebalanceRun.objects.using(self.using)

    def _owned_runs(self, client_id: int | None):
        runs = self._runs()
        return runs if client_id is None else runs.filter(client_id=client_id)

    def _locked_record(self, client_id: int, key: str) -> IdempotencyRecord | None:
        return _one(
            IdempotencyRecord.objects.using(self.using)
            .select_for_update()
            .filter(client_id=client_id, key=key)
        )

    def _resolve_existing(
        self, record: IdempotencyRecord, request_hash: str, now: datetime, holder_alive: bool | None
    ) -> ClaimOutcome:
        """Outcome of a claim on a key that already has a (locked) record.

        An IN_PROGRESS claim is taken over when its holder is known dead
        (``holder_alive`` False), never while it is known alive, and otherwise
        (None: no advisory locks) once its lease has run out.
        """
        if record.request_hash != request_hash:
            return Conflict(record.key)
        if record.state == IdempotencyState.COMPLETED:
            return Replay(self._stored_run_by_pk(record.run_id))
        if holder_alive:
            # Alive and computing: its key frees the moment it finishes or dies.
            return InProgress(record.key, retry_after=LIVE_HOLDER_RETRY_AFTER_SECONDS)
        lease_left = (record.lease_expires_at - now).total_seconds() if record.lease_expires_at else 0.0
        if holder_alive is None and lease_left > 0:
            # Liveness unknown: the key frees when the lease ends, in whole seconds rounded up.
            return InProgress(record.key, retry_after=max(1, math.ceil(lease_left)))
        # The holder is dead (its lock is free) or its lease ran out: take the claim over.
        record.claim_token = uuid.uuid4().hex
        record.lease_expires_at = now + self._lease()
        record.updated_at = now
        record.save(using=self.using, update_fields=["claim_token", "lease_expires_at", "updated_at"])
        return Claimed(record.client_id, record.key, request_hash, record.claim_token, record.lease_expires_at)

    def _stored_run_by_pk(self, pk: int) -> StoredRun:
        return _stored(self._runs().only(*_SUMMARY_FIELDS, "response_body").get(pk=pk))

    def _insert_run(
        self, run: NewRun, client_id: int, idempotency_key: str | None, batch_run_id: str | None = None
    ) -> RebalanceRun:
        _validate_new_run(run)
        result = run.result if run.result is not None else json.loads(run.response_body)
        row = RebalanceRun(
            client_id=client_id,
            rebalance_run_id=run.rebalance_run_id,
            correlation_id=run.correlation_id,
            request_hash=run.request_hash,
            idempotency_key=idempotency_key,
            batch_run_id=batch_run_id,
            portfolio_id=run.portfolio_id,
            status=run.status,
            created_at=self.clock(),
            result=result,
            response_body=run.response_body,
            request=run.request,
        )
        try:
            with transaction.atomic(using=self.using):
                row.save(using=self.using, force_insert=True)
        except IntegrityError as exc:
            if self._runs().filter(rebalance_run_id=run.rebalance_run_id).exists():
                raise RunIdCollision(run.rebalance_run_id) from exc
            raise
        return row

    def _point_key_at(
        self, client_id: int, key: str, record: IdempotencyRecord | None, row: RebalanceRun
    ) -> None:
        """Make ``key`` a COMPLETED mapping to ``row`` (``record`` is locked or None)."""
        if record is None:
            try:
                with transaction.atomic(using=self.using):
                    IdempotencyRecord.objects.using(self.using).create(
                        client_id=client_id,
                        key=key,
                        request_hash=row.request_hash,
                        state=IdempotencyState.COMPLETED,
                        run=row,
                        created_at=row.created_at,
                        updated_at=row.created_at,
                    )
                return
            except IntegrityError:
                # A claim appeared since we looked; lock it and overwrite it.
                record = self._locked_record(client_id, key)
                if record is None:
                    raise
        record.request_hash = row.request_hash
        record.state = IdempotencyState.COMPLETED
        record.run = row
        record.claim_token = None
        record.lease_expires_at = None
        record.updated_at = row.created_at
        record.save(
            using=self.using,
            update_fields=["request_hash", "state", "run", "claim_token", "lease_expires_at", "updated_at"],
        )

    def _filtered(self, filters: RunFilters):
        qs = self._runs()
        if filters.since is not None:
            qs = qs.filter(created_at__gte=filters.since)
        if filters.until is not None:
            qs = qs.filter(created_at__lt=filters.until)
        if filters.portfolio_id is not None:
            qs = qs.filter(portfolio_id=filters.portfolio_id)
        if filters.status is not None:
            qs = qs.filter(status=filters.status)
        if filters.correlation_id is not None:
            qs = qs.filter(correlation_id=filters.correlation_id)
        return qs

    def _keyset_chunks(self, filters: RunFilters, chunk_size: int, fields: tuple[str, ...]) -> Iterator[RebalanceRun]:
        """Rows in (created_at, id) order, one short query per chunk.

        Keyset pagination rather than one server-side cursor: a cursor would
        need either a transaction open for the whole export (holding back
        vacuum) or a WITH HOLD cursor, which PostgreSQL materialises in full.
        Each chunk here is an index range scan that starts where the last ended.
        """
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        base = self._filtered(filters).order_by("created_at", "id").only(*fields)
        after: tuple[datetime, int] | None = None
        while True:
            qs = base
            if after is not None:
                # (created_at, id) > after. The plain ``created_at >= t`` is what
                # lets the index start the scan at t; the OR alone would be a
                # filter over the index from its beginning, every chunk.
                qs = qs.filter(
                    Q(created_at__gte=after[0]),
                    Q(created_at__gt=after[0]) | Q(id__gt=after[1]),
                )
            rows = list(qs[:chunk_size])
            yield from rows
            if len(rows) < chunk_size:
                return
            after = (rows[-1].created_at, rows[-1].id)


# --- helpers -------------------------------------------------------------


def _check_length(name: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise ValueError(f"{name} is longer than {limit} characters")


def _validate_new_run(run: NewRun) -> None:
    """Reject what the columns cannot hold, identically on every database."""
    _check_length("rebalance_run_id", run.rebalance_run_id, RUN_ID_MAX_LENGTH)
    _check_length("correlation_id", run.correlation_id, CORRELATION_ID_MAX_LENGTH)
    _check_length("request_hash", run.request_hash, REQUEST_HASH_MAX_LENGTH)
    _check_length("portfolio_id", run.portfolio_id, PORTFOLIO_ID_MAX_LENGTH)
    if run.status not in RunStatus.values:
        raise ValueError(f"status must be one of {', '.join(RunStatus.values)}, not {run.status!r}")


def _one(queryset):
    """The single row of a lookup on a unique column, or None (no ORDER BY added)."""
    try:
        return queryset.get()
    except queryset.model.DoesNotExist:
        return None


def _summary_values(row: RebalanceRun) -> dict[str, Any]:
    return {name: getattr(row, name) for name in _SUMMARY_FIELDS if name != "id"}


def _summary(row: RebalanceRun) -> RunSummary:
    return RunSummary(**_summary_values(row))


def _stored(row: RebalanceRun) -> StoredRun:
    return StoredRun(**_summary_values(row), response_body=row.response_body)
