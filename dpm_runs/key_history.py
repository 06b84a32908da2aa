"""The history of an idempotency key: one entry per simulate request that presented it.

Recording is one single-row INSERT in a transaction of its own, after the
request's run store statements, so the simulate path's claim and complete stay
as they are. On PostgreSQL that transaction commits with synchronous_commit
off: it does not wait for its WAL flush, which was most of what the entry cost
a replay (a replay otherwise writes nothing). The trade-off: if the database
server crashes, the entries of the last fraction of a second can be lost; never
a run or a mapping, which commit as before. benchmarks/key_history_replay_cost.py
measures it. Reads are one index range scan of (client, key, id).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import DEFAULT_DB_ALIAS, connections, transaction
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


def record_key_event(
    *,
    client_id: int,
    key: str,
    outcome: KeyOutcome,
    request_hash: str,
    correlation_id: str,
    rebalance_run_id: str | None,
    using: str = DEFAULT_DB_ALIAS,
) -> None:
    """Append one entry to ``key``'s history in ``client_id``'s key space."""
    connection = connections[using]
    # Inside a caller's transaction, SET LOCAL would relax that transaction's
    # commit too; there the entry simply commits with it.
    asynchronous = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic(using=using):
        if asynchronous:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        IdempotencyEvent.objects.using(using).create(
            client_id=client_id,
            key=key,
            occurred_at=timezone.now(),
            outcome=outcome,
            request_hash=request_hash,
            correlation_id=correlation_id,
            rebalance_run_id=rebalance_run_id,
        )


def key_history(key: str, *, client_id: int, using: str = DEFAULT_DB_ALIAS) -> list[KeyEvent]:
    """Every entry of ``key`` in ``client_id``'s key space, oldest first."""
    rows = (
        IdempotencyEvent.objects.using(using)
        .filter(client_id=client_id, key=key)
        .order_by("id")
        .values_list("occurred_at", "correlation_id", "request_hash", "outcome", "rebalance_run_id")
    )
    return [KeyEvent(*row) for row in rows]
