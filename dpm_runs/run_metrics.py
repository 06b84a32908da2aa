"""``dpm_runs_recorded_total{status}``: counted when a new run row is committed.

A signal on the model counts every run the ORM writes (simulate with or without
replay, analyze); the run store's one-statement completion on PostgreSQL writes
without the ORM and calls ``count_recorded`` itself. ``on_commit`` leaves out rows
whose transaction rolled back (a run-id collision, a database lost before the
commit).
"""
from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from lotus_manage import metrics

from .models import RebalanceRun


@receiver(post_save, sender=RebalanceRun, dispatch_uid="dpm_runs.count_recorded_runs")
def count_recorded_run(sender, instance: RebalanceRun, created: bool, using: str, **kwargs) -> None:
    if created:
        count_recorded(instance.status, using)


def count_recorded(status: str, using: str) -> None:
    """Count one run of ``status`` once its transaction commits (at once outside one)."""
    transaction.on_commit(lambda: metrics.RUNS_RECORDED.labels(status=status).inc(), using=using)
