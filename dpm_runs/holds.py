"""Legal hold on recorded runs: retention (purge_runs) never deletes a held run.

Used by ``manage.py hold_runs`` and the admin actions. A hold records who placed
it (``admin:<user>``, ``cli:<user>``), when and why; placing a hold on a held
run replaces those with the new ones. Each call writes one access event.
"""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from access_control import audit

from .models import HELD_BY_MAX_LENGTH, RebalanceRun


def _outcome(actor: str) -> int:
    # The access log's convention: exit status 0 for commands, HTTP status for the admin.
    return 0 if actor.startswith("cli:") else 200


def _target(run_ids: list[str]) -> str:
    return ",".join(run_ids)


def unknown_run_ids(run_ids: list[str]) -> list[str]:
    """The ids among ``run_ids`` that name no recorded run, in the given order."""
    known = set(RebalanceRun.objects.filter(rebalance_run_id__in=run_ids).values_list("rebalance_run_id", flat=True))
    return [run_id for run_id in run_ids if run_id not in known]


def place_hold(run_ids: list[str], reason: str, actor: str) -> int:
    """Hold the named runs; returns how many exist (and are now held)."""
    if not reason.strip():
        raise ValueError("a hold needs a reason")
    with transaction.atomic():
        held = RebalanceRun.objects.filter(rebalance_run_id__in=run_ids).update(
            held_at=timezone.now(), held_by=actor[:HELD_BY_MAX_LENGTH], hold_reason=reason
        )
        audit.record(actor=actor, action=audit.HOLD_PLACED, target=_target(run_ids), outcome=_outcome(actor))
    return held


def release_hold(run_ids: list[str], actor: str) -> int:
    """Release the holds on the named runs; returns how many were held."""
    with transaction.atomic():
        released = RebalanceRun.objects.filter(
            rebalance_run_id__in=run_ids, held_at__isnull=False
        ).update(held_at=None, held_by="", hold_reason="")
        audit.record(actor=actor, action=audit.HOLD_RELEASED, target=_target(run_ids), outcome=_outcome(actor))
    return released
