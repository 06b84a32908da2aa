"""The run listing (GET /rebalance/runs): filtered summaries, newest first, by keyset.

Order is (created_at DESC, id DESC): both columns are written once and never
change, so a position in that order stays valid while runs are added. Every
filter has an index that leads with the filtered column and ends in
(created_at, id) (or is selective enough on its own), so a page is one index
range scan that starts at the cursor, however deep: see
benchmarks/run_listing.py for the figures at 1,000,000 runs.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Q

from .cursors import Position
from .models import RebalanceRun
from .repository import RunSummary

_SUMMARY_FIELDS = (
    "id", "rebalance_run_id", "correlation_id", "request_hash", "idempotency_key",
    "batch_run_id", "portfolio_id", "status", "created_at",
)


@dataclass(frozen=True, slots=True)
class RunListFilters:
    """The listing's filters; ``created_from`` is inclusive, ``created_to`` exclusive."""

    portfolio_id: str | None = None
    status: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    correlation_id: str | None = None
    idempotency_key: str | None = None
    request_hash: str | None = None
    batch_run_id: str | None = None

    def as_fingerprint_source(self) -> dict[str, object]:
        return {name: value for name, value in asdict(self).items() if value is not None}


@dataclass(frozen=True, slots=True)
class RunPage:
    runs: list[RunSummary]
    # Where the next page starts; None on the last page.
    next_position: Position | None


def list_runs(
    filters: RunListFilters,
    *,
    client_id: int | None,
    after: Position | None,
    limit: int,
    using: str = DEFAULT_DB_ALIAS,
) -> RunPage:
    """One page of ``limit`` runs, newest first, strictly after ``after``.

    ``client_id`` confines the listing to that client's runs; None lists every
    client's (support staff). One query: ``limit + 1`` rows tell whether
    another page follows.
    """
    qs = RebalanceRun.objects.using(using).all()
    if client_id is not None:
        qs = qs.filter(client_id=client_id)
    for name in ("portfolio_id", "status", "correlation_id", "idempotency_key", "request_hash", "batch_run_id"):
        value = getattr(filters, name)
        if value is not None:
            qs = qs.filter(**{name: value})
    if filters.created_from is not None:
        qs = qs.filter(created_at__gte=filters.created_from)
    if filters.created_to is not None:
        qs = qs.filter(created_at__lt=filters.created_to)
    if after is not None:
        # (created_at, id) < after. The plain ``created_at <= t`` lets the index
        # scan start at t; the OR alone would be a filter over the whole index.
        qs = qs.filter(
            Q(created_at__lte=after.created_at),
            Q(created_at__lt=after.created_at) | Q(id__lt=after.pk),
        )
    rows = list(qs.order_by("-created_at", "-id").only(*_SUMMARY_FIELDS)[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    runs = [RunSummary(**{name: getattr(row, name) for name in _SUMMARY_FIELDS[1:]}) for row in rows]
    last = rows[-1] if rows else None
    return RunPage(runs, Position(last.created_at, last.id) if more and last is not None else None)
