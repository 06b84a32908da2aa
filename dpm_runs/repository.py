"""The run store: records runs and idempotency mappings, and serves the lookups.

The support workbench reads and writes the same models in modules of its own:
listing.py (the run listing), key_history.py (a key's history), holds.py (legal
hold) and retention.py (purge_runs).

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

import dataclasses
import json
import math
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.db.models import Q
from django.utils import timezone

from lotus_manage.bound_cursor import bound_cursor

from . import claim_locks
from .key_history import EVENT_COLUMNS, EVENT_TABLE, record_key_event
from .models import (
    CORRELATION_ID_MAX_LENGTH,
    ENGINE_VERSION_MAX_LENGTH,
    IDEMPOTENCY_KEY_MAX_LENGTH,
    PORTFOLIO_ID_MAX_LENGTH,
    REQUEST_HASH_MAX_LENGTH,
    RUN_ID_MAX_LENGTH,
    IdempotencyRecord,
    IdempotencyState,
    KeyOutcome,
    RebalanceRun,
    RunStatus,
)
from .run_metrics import count_recorded

DEFAULT_LEASE_SECONDS = 60
DEFAULT_CHUNK_SIZE = 100
# Retry-After for a duplicate of a claim whose holder is known alive (PostgreSQL): it
# is computing, most runs take well under a second, and a dead holder's claim is taken
# over at once, so the key is usable as soon as the computation ends (docs/idempotency.md).
LIVE_HOLDER_RETRY_AFTER_SECONDS = 1

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
    lookups return it byte for byte, and it is the only stored copy of the
    result (lz4-compressed on PostgreSQL). ``request`` is the canonical request
    tree the hash was computed from; it is stored as canonical JSON text.
    """

    rebalance_run_id: str
    correlation_id: str
    request_hash: str
    portfolio_id: str
    status: str
    response_body: str
    request: Mapping[str, Any]
    # The engine release that produced the result (rebalance.engine.version).
    engine_version: str
    # ``request`` as JSON text when the caller has it already (the canonical text the
    # hash was computed from), so that it is not encoded a second time.
    request_json: str | None = None


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
class RecordedRun(StoredRun):
    """Everything recorded about a run: what support bundles and verification read."""

    client_id: int
    request: Mapping[str, Any]
    engine_version: str
    held_at: datetime | None
    held_by: str
    hold_reason: str


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
    # The request's correlation id when the key's history records it (``claim``).
    correlation_id: str | None = None


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

    def claim(
        self, client_id: int, key: str, request_hash: str, *, correlation_id: str | None = None
    ) -> ClaimOutcome:
        """Reserve ``key`` in ``client_id``'s key space for ``request_hash`` before the engine runs.

        One autocommitted ``INSERT ... ON CONFLICT DO NOTHING`` claims a free key,
        so every other process sees the claim at once; the unique (client, key)
        constraint decides between concurrent claimants. On PostgreSQL the same
        statement also reads a key already taken, joined to its run (the stored
        body only when the hashes match, i.e. for a replay); elsewhere that read is
        a second statement.

        With ``correlation_id``, the key's history gets this request's entry: a
        replay's in that same statement on PostgreSQL, a conflict's or a wait's by
        one more INSERT, an execution's when ``complete`` records the run.
        """
        _check_length("idempotency key", key, IDEMPOTENCY_KEY_MAX_LENGTH)
        _check_length("request_hash", request_hash, REQUEST_HASH_MAX_LENGTH)
        # A few rounds only matter when a claim is released (or taken over)
        # between our insert and our read; each round is a fresh attempt.
        for _ in range(5):
            now = self.clock()
            token = uuid.uuid4().hex
            lease_expires_at = now + self._lease()
            # On PostgreSQL a replay's history entry is written by the claim's statement.
            one_statement = claim_locks.supported(self.using)
            if one_statement:
                inserted, existing = self._claim_or_read(
                    client_id, key, request_hash, token, lease_expires_at, now, correlation_id
                )
            else:
                inserted = self._insert_claim(client_id, key, request_hash, token, lease_expires_at, now)
                existing = None if inserted else self._claim_state(client_id, key, request_hash)
            if inserted:
                return Claimed(client_id, key, request_hash, token, lease_expires_at, correlation_id)
            if existing is None:
                continue
            outcome = self._resolve_existing(existing, client_id, key, request_hash, now)
            if outcome is None:
                continue
            if isinstance(outcome, Claimed):  # taken over from a dead or expired holder
                return dataclasses.replace(outcome, correlation_id=correlation_id)
            if correlation_id is not None and not (one_statement and isinstance(outcome, Replay)):
                self._record_outcome(outcome, client_id, key, request_hash, correlation_id, now)
            return outcome
        raise RuntimeError(f"could not claim idempotency key {key!r}: claim kept disappearing")

    def complete(self, claim: Claimed, run: NewRun) -> StoredRun:
        """Record the run and point the claimed key at it, atomically: on PostgreSQL
        in one statement, elsewhere in one transaction (insert the run, complete the
        claim). The key's history entry (``claim.correlation_id``) commits with them.

        Returns the run the key now maps to, which is the one to answer with.
        That is normally ``run``; but when this claim's lease expired and a
        second worker took over and finished first, the key already maps to
        that worker's run (same request hash): it is returned and ``run`` is
        not recorded, so one key never maps to two runs.

        Raises RunIdCollision (and writes nothing) if the run id exists.
        """
        if run.request_hash != claim.request_hash:
            raise ValueError("run.request_hash differs from the claimed request hash")
        try:
            if claim_locks.holds(self.using, claim.client_id, claim.key):
                with self._collision_guard(run):
                    return self._complete_in_one_statement(claim, run)
            with self._collision_guard(run), transaction.atomic(using=self.using):
                row = self._insert_run(run, claim.client_id, idempotency_key=claim.key)
                if not self._complete_claim(claim, row):
                    raise _ClaimLost
                self._record_execution(claim, row.rebalance_run_id, row.created_at)
                return _stored(row)
        except _ClaimLost:
            claim_locks.release(self.using, claim.client_id, claim.key)
        # Rare: the claim was taken over (lease ran out, or its session was lost).
        with self._collision_guard(run), transaction.atomic(using=self.using):
            record = self._locked_record(claim.client_id, claim.key)
            if (
                record is not None
                and record.state == IdempotencyState.COMPLETED
                and record.request_hash == claim.request_hash
            ):
                stored = self._stored_run_by_pk(record.run_id)
                self._record_execution(claim, stored.rebalance_run_id, self.clock())
                return stored
            row = self._insert_run(run, claim.client_id, idempotency_key=claim.key)
            self._point_key_at(claim.client_id, claim.key, record, row)
            self._record_execution(claim, row.rebalance_run_id, row.created_at)
            return _stored(row)

    def release(self, claim: Claimed) -> bool:
        """Drop an IN_PROGRESS claim after the engine failed (nothing is recorded).

        Only the current holder can release: a claim taken over by another
        worker is left alone. Returns whether a claim was removed.
        """
        try:
            with transaction.atomic(using=self.using):
                deleted = self._delete_claim(claim)
        finally:
            # No-op when the DELETE's own unlock ran; otherwise never keep the lock.
            claim_locks.release(self.using, claim.client_id, claim.key)
        return deleted > 0

    def _held_claim(self, claim: Claimed):
        """The claim's record while ``claim`` still holds it (nobody took it over)."""
        return IdempotencyRecord.objects.using(self.using).filter(
            client_id=claim.client_id,
            key=claim.key,
            state=IdempotencyState.IN_PROGRESS,
            claim_token=claim.token,
        )

    # -- simulate with replay disabled; analyze ------------------------------

    def record_simulate_run(
        self, client_id: int, key: str, run: NewRun, *, correlation_id: str | None = None
    ) -> StoredRun:
        """Record a simulate run executed with replay disabled (api spec §2.3).

        The run is written and the key's mapping is created or overwritten to
        point at it (COMPLETED, this run's hash), in one transaction, with the
        key's history entry when ``correlation_id`` is given. Never conflicts.
        Raises RunIdCollision (and writes nothing) if the run id exists.
        """
        _check_length("idempotency key", key, IDEMPOTENCY_KEY_MAX_LENGTH)
        with self._collision_guard(run), transaction.atomic(using=self.using):
            record = self._locked_record(client_id, key)
            row = self._insert_run(run, client_id, idempotency_key=key)
            self._point_key_at(client_id, key, record, row)
            if correlation_id is not None:
                record_key_event(
                    client_id=client_id, key=key, outcome=KeyOutcome.RE_EXECUTED, request_hash=run.request_hash,
                    correlation_id=correlation_id, rebalance_run_id=row.rebalance_run_id,
                    occurred_at=row.created_at, using=self.using,
                )
            return _stored(row)

    def record_analyze_run(self, client_id: int, run: NewRun, batch_run_id: str) -> StoredRun:
        """Record one successful analyze scenario run (no idempotency key).

        Raises RunIdCollision (and writes nothing) if the run id exists.
        """
        _check_length("batch_run_id", batch_run_id, RUN_ID_MAX_LENGTH)
        with self._collision_guard(run), transaction.atomic(using=self.using):
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

    def get_recorded_run(self, rebalance_run_id: str) -> RecordedRun | None:
        """Every column of the run with this id, request included, or None.

        Support staff only (bundles, verification): not scoped to a client.
        """
        row = _one(self._runs().filter(rebalance_run_id=rebalance_run_id))
        if row is None:
            return None
        return RecordedRun(
            **_summary_values(row),
            response_body=row.response_body,
            client_id=row.client_id,
            request=json.loads(row.request),
            engine_version=row.engine_version,
            held_at=row.held_at,
            held_by=row.held_by,
            hold_reason=row.hold_reason,
        )

    def related_runs(self, run: RunSummary, limit: int = 100) -> list[RunSummary]:
        """Up to ``limit`` other runs with ``run``'s correlation id or batch, newest first."""
        same = Q(correlation_id=run.correlation_id)
        if run.batch_run_id is not None:
            same |= Q(batch_run_id=run.batch_run_id)
        rows = (
            self._runs().filter(same).exclude(rebalance_run_id=run.rebalance_run_id)
            .order_by("-created_at", "-id").only(*_SUMMARY_FIELDS)[:limit]
        )
        return [_summary(row) for row in rows]

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

    def _insert_claim(
        self, client_id: int, key: str, request_hash: str, token: str, lease_expires_at: datetime, now: datetime
    ) -> bool:
        """Insert an IN_PROGRESS claim unless the key exists; whether it was inserted.

        Databases without advisory locks (SQLite); PostgreSQL claims with
        ``_claim_or_read``, which also takes the key's lock.
        """
        connection = connections[self.using]
        field = IdempotencyRecord._meta.get_field
        with connection.cursor() as cursor:
            cursor.execute(_INSERT_CLAIM_SQL, [
                client_id,
                key,
                request_hash,
                IdempotencyState.IN_PROGRESS.value,
                token,
                field("lease_expires_at").get_db_prep_value(lease_expires_at, connection),
                field("created_at").get_db_prep_value(now, connection),
                field("updated_at").get_db_prep_value(now, connection),
            ])
            return cursor.fetchone() is not None

    def _complete_claim(self, claim: Claimed, row: RebalanceRun) -> bool:
        """Point the claim at ``row`` (COMPLETED) if ``claim`` still holds it. For a claim
        whose session holds no advisory lock (SQLite, or a re-entrant take-over); one
        that does completes in ``_complete_in_one_statement``."""
        return bool(self._held_claim(claim).update(**_completed_mapping(row)))

    def _delete_claim(self, claim: Claimed) -> int:
        """Delete the claim if ``claim`` still holds it, dropping its lock in the same statement."""
        if not claim_locks.holds(self.using, claim.client_id, claim.key):
            return self._held_claim(claim).delete()[0]
        with connections[self.using].cursor() as cursor:
            cursor.execute(_DELETE_CLAIM_AND_UNLOCK_SQL, [
                claim.client_id, claim.key, IdempotencyState.IN_PROGRESS.value, claim.token,
                claim_locks.lock_id(claim.client_id, claim.key),
            ])
            deleted = cursor.fetchone() is not None
        if deleted:
            claim_locks.forget(self.using, claim.client_id, claim.key)
        return int(deleted)

    def _claim_state(self, client_id: int, key: str, request_hash: str) -> dict[str, Any] | None:
        """The key's record and its run, with the body when the record's hash is ``request_hash``."""
        with bound_cursor(self.using) as cursor:
            cursor.execute(_CLAIM_STATE_SQL, [request_hash, client_id, key])
            row = cursor.fetchone()
        return None if row is None else self._claim_state_values(row)

    def _claim_state_values(self, row) -> dict[str, Any]:
        values = dict(zip(_CLAIM_STATE_COLUMNS, row))
        convert = _datetime_converter(self.using)
        for name in ("lease_expires_at", "run_created_at"):
            values[name] = convert(values[name])
        return values

    def _claim_or_read(
        self, client_id: int, key: str, request_hash: str, token: str, lease_expires_at: datetime,
        now: datetime, correlation_id: str | None,
    ) -> tuple[bool, dict[str, Any] | None]:
        """PostgreSQL: claim a free key or read the taken one, in one statement, which
        also writes a replay's history entry (when ``correlation_id`` is given).

        Returns (claimed, the taken key's state). The statement's parts share one snapshot: the read sees the
        record only when the key was taken before the statement began, never the
        row this statement inserts; a claim committed in between is neither
        inserted nor seen (claimed False, state None: the caller tries again).
        """
        params = {
            "client": client_id, "key": key, "hash": request_hash, "token": token,
            "in_progress": IdempotencyState.IN_PROGRESS.value, "completed": IdempotencyState.COMPLETED.value,
            "lease": lease_expires_at, "now": now, "lock": claim_locks.lock_id(client_id, key),
            "correlation": correlation_id, "replayed": KeyOutcome.REPLAYED.value,
        }
        with bound_cursor(self.using) as cursor:
            cursor.execute(_CLAIM_OR_READ_SQL, params)
            claimed, got_lock, *state = cursor.fetchone()
        if claimed:
            claim_locks.taken(self.using, client_id, key, got_it=got_lock)
            return True, None
        return False, None if state[0] is None else self._claim_state_values(state)

    def _record_outcome(
        self, outcome: ClaimOutcome, client_id: int, key: str, request_hash: str, correlation_id: str,
        now: datetime,
    ) -> None:
        """The history entry of a claim that did not execute (one INSERT)."""
        if isinstance(outcome, Replay):
            kind, run_id = KeyOutcome.REPLAYED, outcome.run.rebalance_run_id
        elif isinstance(outcome, Conflict):
            kind, run_id = KeyOutcome.CONFLICT, None
        else:
            kind, run_id = KeyOutcome.IN_PROGRESS, None
        record_key_event(
            client_id=client_id, key=key, outcome=kind, request_hash=request_hash,
            correlation_id=correlation_id, rebalance_run_id=run_id, occurred_at=now, using=self.using,
        )

    def _record_execution(self, claim: Claimed, rebalance_run_id: str, moment: datetime) -> None:
        if claim.correlation_id is not None:
            record_key_event(
                client_id=claim.client_id, key=claim.key, outcome=KeyOutcome.EXECUTED,
                request_hash=claim.request_hash, correlation_id=claim.correlation_id,
                rebalance_run_id=rebalance_run_id, occurred_at=moment, using=self.using,
            )

    def _complete_in_one_statement(self, claim: Claimed, run: NewRun) -> StoredRun:
        """PostgreSQL, while this session holds the claim's lock: complete the claim,
        insert the run and the history entry, and drop the lock, in one statement.

        The run is inserted only if the claim is still this one's (its UPDATE feeds
        the INSERT), and the lock is dropped only once the run row is in, so a
        duplicate run id (RunIdCollision) leaves the claim and its lock as they
        were. Raises _ClaimLost if another worker took the claim over.
        """
        _validate_new_run(run)  # as _insert_run does on the other paths
        now = self.clock()
        params = {
            "client": claim.client_id, "key": claim.key, "hash": claim.request_hash, "token": claim.token,
            "in_progress": IdempotencyState.IN_PROGRESS.value, "completed": IdempotencyState.COMPLETED.value,
            "now": now, "lock": claim_locks.lock_id(claim.client_id, claim.key),
            "run_id": run.rebalance_run_id, "run_correlation": run.correlation_id,
            "portfolio": run.portfolio_id, "status": run.status, "body": run.response_body,
            "request": _request_text(run),
            "engine": run.engine_version,
            "correlation": claim.correlation_id, "executed": KeyOutcome.EXECUTED.value,
        }
        connection = connections[self.using]
        # Inside a caller's transaction, a savepoint keeps a failed statement from
        # aborting it; on its own the statement is its own transaction.
        guard = transaction.atomic(using=self.using) if connection.in_atomic_block else nullcontext()
        with guard, bound_cursor(self.using) as cursor:
            cursor.execute(_COMPLETE_IN_ONE_STATEMENT_SQL, params)
            completed = cursor.fetchone() is not None
        if not completed:
            raise _ClaimLost
        claim_locks.forget(self.using, claim.client_id, claim.key)
        count_recorded(run.status, self.using)
        return StoredRun(
            rebalance_run_id=run.rebalance_run_id, correlation_id=run.correlation_id,
            request_hash=run.request_hash, idempotency_key=claim.key, batch_run_id=None,
            portfolio_id=run.portfolio_id, status=run.status, created_at=now, response_body=run.response_body,
        )

    def _resolve_existing(
        self, record: dict[str, Any], client_id: int, key: str, request_hash: str, now: datetime
    ) -> ClaimOutcome | None:
        """Outcome of a claim on a key that already has a record; None: try again."""
        if record["request_hash"] != request_hash:
            return Conflict(key)
        if record["state"] == IdempotencyState.COMPLETED:
            return Replay(StoredRun(**{name: record[f"run_{name}"] for name in _RUN_STATE_FIELDS}))
        # IN_PROGRESS: is its holder alive? (claim_locks.py; None: unknown, the lease decides)
        holder_alive = claim_locks.acquire(self.using, client_id, key)
        if holder_alive:
            # Alive and computing, however long: never taken over.
            return InProgress(key, retry_after=LIVE_HOLDER_RETRY_AFTER_SECONDS)
        lease_expires_at = record["lease_expires_at"]
        if holder_alive is None and lease_expires_at is not None and lease_expires_at > now:
            # Liveness unknown: the key frees when the lease ends, in whole seconds rounded up.
            remaining = (lease_expires_at - now).total_seconds()
            return InProgress(key, retry_after=max(1, math.ceil(remaining)))
        # The holder is dead (we now hold its lock) or its lease ran out: take the
        # claim over, unless someone else did first (compare-and-set on the token).
        token = uuid.uuid4().hex
        lease_expires_at = now + self._lease()
        taken = (
            IdempotencyRecord.objects.using(self.using)
            .filter(pk=record["id"], state=IdempotencyState.IN_PROGRESS, claim_token=record["claim_token"])
            .update(claim_token=token, lease_expires_at=lease_expires_at, updated_at=now)
        )
        if taken:
            return Claimed(client_id, key, request_hash, token, lease_expires_at)
        if holder_alive is False:
            claim_locks.release(self.using, client_id, key)
        return None

    def _stored_run_by_pk(self, pk: int) -> StoredRun:
        return _stored(self._runs().only(*_SUMMARY_FIELDS, "response_body").get(pk=pk))

    def _insert_run(
        self, run: NewRun, client_id: int, idempotency_key: str | None, batch_run_id: str | None = None
    ) -> RebalanceRun:
        _validate_new_run(run)
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
            response_body=run.response_body,
            request=_request_text(run),
            engine_version=run.engine_version,
        )
        # No savepoint: callers wrap their transaction in _collision_guard, which
        # tells a duplicate run id apart after the rollback.
        row.save(using=self.using, force_insert=True)
        return row

    @contextmanager
    def _collision_guard(self, run: NewRun) -> Iterator[None]:
        """Around a transaction that inserts ``run``: a unique violation on its
        run id becomes RunIdCollision (checked once the transaction is gone)."""
        try:
            yield
        except IntegrityError as exc:
            if self._runs().filter(rebalance_run_id=run.rebalance_run_id).exists():
                raise RunIdCollision(run.rebalance_run_id) from exc
            raise

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
        IdempotencyRecord.objects.using(self.using).filter(pk=record.pk).update(**_completed_mapping(row))

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


class _ClaimLost(Exception):
    """The claim's token no longer matches: another worker took the key over."""


_IDEM = IdempotencyRecord._meta.db_table
# One statement; SQLite (3.35+) and PostgreSQL alike. RETURNING yields no row when
# the key is taken.
_INSERT_CLAIM_SQL = (
    f"INSERT INTO {_IDEM} (client_id, key, request_hash, state, claim_token, lease_expires_at, "
    "created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
    "ON CONFLICT (client_id, key) DO NOTHING RETURNING id"
)
_DELETE_CLAIM_AND_UNLOCK_SQL = (
    f"DELETE FROM {_IDEM} WHERE client_id = %s AND key = %s AND state = %s AND claim_token = %s "
    "RETURNING pg_advisory_unlock(%s)"
)


_RUNS = RebalanceRun._meta.db_table
# What a claim needs to know of a taken key: its record, and its run (with the body
# only when the hashes match: a conflict never reads the body).
_RUN_STATE_FIELDS = (*_SUMMARY_FIELDS[1:], "response_body")
_CLAIM_STATE_COLUMNS = (
    "id", "request_hash", "state", "claim_token", "lease_expires_at", *(f"run_{name}" for name in _RUN_STATE_FIELDS)
)
_RUN_STATE_SELECT = ", ".join(f"run.{name} AS run_{name}" for name in _SUMMARY_FIELDS[1:])
_CLAIM_STATE_SQL = (
    f"SELECT r.id, r.request_hash, r.state, r.claim_token, r.lease_expires_at, {_RUN_STATE_SELECT}, "
    "CASE WHEN r.request_hash = %s THEN run.response_body END "
    f"FROM {_IDEM} r LEFT JOIN {_RUNS} run ON run.id = r.run_id WHERE r.client_id = %s AND r.key = %s"
)
# PostgreSQL: _INSERT_CLAIM_SQL (taking the key's advisory lock when, and only when, a
# row is inserted) and _CLAIM_STATE_SQL in one statement, plus a replay's history
# entry (repository._claim_or_read). Always exactly one row.
_CLAIM_OR_READ_SQL = f"""
WITH claimed AS (
    INSERT INTO {_IDEM} (client_id, key, request_hash, state, claim_token, lease_expires_at, created_at, updated_at)
    VALUES (%(client)s, %(key)s, %(hash)s, %(in_progress)s, %(token)s, %(lease)s, %(now)s, %(now)s)
    ON CONFLICT (client_id, key) DO NOTHING
    RETURNING pg_try_advisory_lock(%(lock)s) AS got_lock
), existing AS (
    SELECT r.id, r.request_hash, r.state, r.claim_token, r.lease_expires_at, {_RUN_STATE_SELECT},
           CASE WHEN r.request_hash = %(hash)s THEN run.response_body END AS response_body
    FROM {_IDEM} r LEFT JOIN {_RUNS} run ON run.id = r.run_id
    WHERE r.client_id = %(client)s AND r.key = %(key)s
), replayed AS (
    INSERT INTO {EVENT_TABLE} ({EVENT_COLUMNS})
    SELECT %(client)s, %(key)s, %(now)s, %(replayed)s, %(hash)s, %(correlation)s::text, e.run_rebalance_run_id
    FROM existing e
    WHERE %(correlation)s::text IS NOT NULL AND e.state = %(completed)s AND e.request_hash = %(hash)s
)
SELECT (SELECT count(*) FROM claimed) > 0, (SELECT bool_and(got_lock) FROM claimed), e.*
FROM (VALUES (1)) AS one LEFT JOIN existing e ON TRUE
"""
# PostgreSQL: complete the claim, insert its run and the history entry, drop the lock
# (repository._complete_in_one_statement). The claim's UPDATE draws the run's id, so
# the INSERT has a row to write only while the claim is still this one's; the
# foreign key from the claim to the run is checked at commit, when both exist.
_COMPLETE_IN_ONE_STATEMENT_SQL = f"""
WITH claim AS (
    UPDATE {_IDEM} SET request_hash = %(hash)s, state = %(completed)s,
        run_id = nextval(pg_get_serial_sequence('{_RUNS}', 'id')),
        claim_token = NULL, lease_expires_at = NULL, updated_at = %(now)s
    WHERE client_id = %(client)s AND key = %(key)s AND state = %(in_progress)s AND claim_token = %(token)s
    RETURNING run_id
), run AS (
    INSERT INTO {_RUNS} (id, client_id, rebalance_run_id, correlation_id, request_hash, idempotency_key,
        batch_run_id, portfolio_id, status, created_at, response_body, request, engine_version,
        held_at, held_by, hold_reason)
    SELECT run_id, %(client)s, %(run_id)s, %(run_correlation)s, %(hash)s, %(key)s,
        NULL, %(portfolio)s, %(status)s, %(now)s, %(body)s, %(request)s, %(engine)s,
        NULL, '', ''
    FROM claim
    RETURNING id
), event AS (
    INSERT INTO {EVENT_TABLE} ({EVENT_COLUMNS})
    SELECT %(client)s, %(key)s, %(now)s, %(executed)s, %(hash)s, %(correlation)s::text, %(run_id)s
    FROM run WHERE %(correlation)s::text IS NOT NULL
    RETURNING 1
)
-- The count makes the entry's INSERT run before the unlock: whatever part fails,
-- it fails while the lock is still held.
SELECT pg_advisory_unlock(%(lock)s) FROM run WHERE (SELECT count(*) FROM event) >= 0
"""


def _datetime_converter(using: str) -> Callable[[Any], Any]:
    """Makes a datetime read by a hand-written query what the ORM would return
    (SQLite hands back naive UTC; PostgreSQL aware values already)."""
    connection = connections[using]
    convert = getattr(connection.ops, "convert_datetimefield_value", None)
    if convert is None:
        return lambda value: value
    return lambda value: convert(value, None, connection)


def _completed_mapping(row: RebalanceRun) -> dict[str, Any]:
    """The columns of a COMPLETED mapping pointing at ``row``."""
    return {
        "request_hash": row.request_hash,
        "state": IdempotencyState.COMPLETED,
        "run": row,
        "claim_token": None,
        "lease_expires_at": None,
        "updated_at": row.created_at,
    }


def _request_text(run: NewRun) -> str:
    """The request as stored: the caller's canonical text, or the same canonical form
    (sorted keys, compact, ASCII) of ``run.request``."""
    if run.request_json is not None:
        return run.request_json
    return json.dumps(run.request, sort_keys=True, separators=(",", ":"))


def _check_length(name: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise ValueError(f"{name} is longer than {limit} characters")


def _validate_new_run(run: NewRun) -> None:
    """Reject what the columns cannot hold, identically on every database."""
    _check_length("rebalance_run_id", run.rebalance_run_id, RUN_ID_MAX_LENGTH)
    _check_length("correlation_id", run.correlation_id, CORRELATION_ID_MAX_LENGTH)
    _check_length("request_hash", run.request_hash, REQUEST_HASH_MAX_LENGTH)
    _check_length("portfolio_id", run.portfolio_id, PORTFOLIO_ID_MAX_LENGTH)
    _check_length("engine_version", run.engine_version, ENGINE_VERSION_MAX_LENGTH)
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
