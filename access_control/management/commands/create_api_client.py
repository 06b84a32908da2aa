"""manage.py create_api_client NAME --role ROLE [--role ROLE] [--expires-days N]"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from access_control.clients import create_client
from access_control.roles import Role


class Command(BaseCommand):
    help = (
        "Create an API client with its first key. The key is printed once, alone on the "
        "last line of standard output; only its hash is stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="Unique client name (letters, digits, '.', '_', '-').")
        parser.add_argument(
            "--role", action="append", required=True, choices=Role.values, dest="roles",
            help="A role of the client; repeat for several.",
        )
        parser.add_argument(
            "--expires-days", type=int, metavar="N",
            help="The key expires N days from now (default: never).",
        )

    def handle(self, *args, name, roles, expires_days, **options):
        if expires_days is not None and expires_days < 1:
            raise CommandError("--expires-days must be at least 1")
        try:
            issued = create_client(name, roles, expires_days)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        expiry = issued.api_key.expiry_date
        self.stdout.write(
            f"Created API client {issued.client.name!r} with roles {', '.join(issued.client.roles)}; "
            f"key {issued.api_key.prefix}… expires {expiry.isoformat() if expiry else 'never'}."
        )
        self.stdout.write("Store this key now; it cannot be shown again:")
        self.stdout.write(issued.key)
