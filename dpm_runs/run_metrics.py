"""``dpm_runs_recorded_total{status}``: counted when a new run row is committed.

A signal on the model rather than calls in the run store: every path that writes
a run (simulate with or without replay, analyze) is counted, and ``on_commit``
leaves out rows whose transaction rolled back (a run-id collision, a database
lost before the commit).
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
        status = instance.status
        transaction.on_commit(lambda: metrics.RUNS_RECORDED.labels(status=status).inc(), using=using)
