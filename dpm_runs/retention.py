"""Retention: delete runs older than a cutoff, in batches, never a run on legal hold.

A batch is one short transaction: pick the oldest ``batch_size`` unheld runs
before the cutoff (an index range scan of (created_at, id)), delete the
idempotency records that point at them (their keys are free again), those
keys' history and the history entries of the runs, then the runs. Memory is
bounded by the batch, whatever the table size; an interrupted purge has
deleted whole batches only and can simply run again. The access log is never
touched: it is the record of who read what, kept by its own rules.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction

from .models import IdempotencyEvent, IdempotencyRecord, RebalanceRun

DEFAULT_BATCH_SIZE = 1000


@dataclass(frozen=True, slots=True)
class PurgeReport:
    # Runs deleted, or that a dry run would delete.
    purged: int
    # Runs older than the cutoff kept because they are on legal hold.
    held_kept: int
    batches: int


def _expired(cutoff: datetime):
    return RebalanceRun.objects.filter(created_at__lt=cutoff)


def count_held(cutoff: datetime) -> int:
    return _expired(cutoff).filter(held_at__isnull=False).count()


def purge_runs(cutoff: datetime, *, batch_size: int = DEFAULT_BATCH_SIZE, dry_run: bool = False) -> PurgeReport:
    """Delete (or, dry, count) the unheld runs created before ``cutoff``."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    held = count_held(cutoff)
    if dry_run:
        return PurgeReport(_expired(cutoff).filter(held_at__isnull=True).count(), held, 0)
    purged = batches = 0
    while True:
        deleted = _purge_batch(cutoff, batch_size)
        if not deleted:
            return PurgeReport(purged, held, batches)
        purged += deleted
        batches += 1


def _purge_batch(cutoff: datetime, batch_size: int) -> int:
    with transaction.atomic():
        batch = list(
            _expired(cutoff).filter(held_at__isnull=True)
            .order_by("created_at", "id")
            .select_for_update(skip_locked=True)
            .values_list("id", "rebalance_run_id")[:batch_size]
        )
        if not batch:
            return 0
        pks = [pk for pk, _ in batch]
        run_ids = [run_id for _, run_id in batch]
        mappings = IdempotencyRecord.objects.filter(run_id__in=pks)
        freed: dict[int, list[str]] = defaultdict(list)
        for client_id, key in mappings.values_list("client_id", "key"):
            freed[client_id].append(key)
        mappings.delete()
        # A freed key starts a new life: its earlier history (conflicts included) goes too.
        for client_id, keys in freed.items():
            IdempotencyEvent.objects.filter(client_id=client_id, key__in=keys).delete()
        IdempotencyEvent.objects.filter(rebalance_run_id__in=run_ids).delete()
        _delete_runs(pks)
        return len(pks)


_RUNS = RebalanceRun._meta.db_table


def _delete_runs(pks: list[int]) -> None:
    """One DELETE by primary key. Not QuerySet.delete(): the PROTECT relation from
    IdempotencyRecord makes Django load every run first, multi-megabyte results
    included, to check it; the mappings are already gone here."""
    placeholders = ",".join(["%s"] * len(pks))
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_RUNS} WHERE id IN ({placeholders})", pks)
