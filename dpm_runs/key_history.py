"""The history of an idempotency key: one entry per simulate request that presented it.

Entries are written by the run store with the statements that decide the outcome
(repository.py): in the claim's statement for a replay, in the completing transaction
for an execution, so an entry costs no round trip of its own on PostgreSQL and commits
as durably as the run and the mapping. ``record_key_event`` is the single INSERT the
other outcomes use. Reads are one index range scan of (client, key, id).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from .models import IdempotencyEvent, KeyOutcome


@dataclass(frozen=True, slots=True)
class KeyEvent:
    """One history entry, as GET .../idempotency/{key}/history reports it."""

    occurred_at: datetime
    correlation_id: str
    request_hash: str
    outcome: str
    rebalance_run_id: str | None


# Columns of one entry, as this INSERT and the run store's statements list them.
EVENT_TABLE = IdempotencyEvent._meta.db_table
EVENT_COLUMNS = "client_id, key, occurred_at, outcome, request_hash, correlation_id, rebalance_run_id"
_INSERT_EVENT_SQL = f"INSERT INTO {EVENT_TABLE} ({EVENT_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)"


def record_key_event(
    *,
    client_id: int,
    key: str,
    outcome: KeyOutcome,
    request_hash: str,
    correlation_id: str,
    rebalance_run_id: str | None,
    occurred_at: datetime | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> None:
    """Append one entry to ``key``'s history in ``client_id``'s key space (one INSERT,
    committed with the caller's transaction if there is one)."""
    connection = connections[using]
    moment = IdempotencyEvent._meta.get_field("occurred_at").get_db_prep_value(
        occurred_at or timezone.now(), connection
    )
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_EVENT_SQL, [
            client_id, key, moment, KeyOutcome(outcome).value, request_hash, correlation_id, rebalance_run_id,
        ])


def key_history(key: str, *, client_id: int, using: str = DEFAULT_DB_ALIAS) -> list[KeyEvent]:
    """Every entry of ``key`` in ``client_id``'s key space, oldest first."""
    rows = (
        IdempotencyEvent.objects.using(using)
        .filter(client_id=client_id, key=key)
        .order_by("id")
        .values_list("occurred_at", "correlation_id", "request_hash", "outcome", "rebalance_run_id")
    )
    return [KeyEvent(*row) for row in rows]
