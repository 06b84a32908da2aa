"""manage.py list_api_clients"""
from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db.models import Count, Q
from django.utils import timezone

from access_control.models import ApiClient

COLUMNS = ("NAME", "ROLES", "STATUS", "ACTIVE KEYS", "CREATED")


class Command(BaseCommand):
    help = "List API clients: name, roles, status, usable keys and creation time."

    def handle(self, *args, **options):
        now = timezone.now()
        usable = Q(keys__revoked=False) & (Q(keys__expiry_date__isnull=True) | Q(keys__expiry_date__gt=now))
        clients = ApiClient.objects.annotate(active_keys=Count("keys", filter=usable)).order_by("name")
        rows = [
            (
                client.name,
                ",".join(client.roles) or "-",
                "revoked" if client.revoked_at else "active",
                str(client.active_keys),
                client.created_at.isoformat(timespec="seconds"),
            )
            for client in clients
        ]
        widths = [max(len(row[i]) for row in [COLUMNS, *rows]) for i in range(len(COLUMNS))]
        for row in [COLUMNS, *rows]:
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
