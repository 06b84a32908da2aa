"""manage.py revoke_api_client NAME"""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from access_control.clients import revoke_client
from access_control.models import ApiClient


class Command(BaseCommand):
    help = "Revoke an API client and every key it holds, at once and for good."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The client's name.")

    def handle(self, *args, name, **options):
        client = ApiClient.objects.filter(name=name).first()
        if client is None:
            raise CommandError(f"no API client named {name!r}")
        already = client.revoked_at is not None
        keys = revoke_client(client)
        if already and not keys:
            self.stdout.write(f"API client {name!r} was already revoked.")
        else:
            self.stdout.write(f"Revoked API client {name!r} ({keys} key(s) revoked).")
