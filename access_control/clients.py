"""Creating, revoking and finding API clients (used by commands, admin and views)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .models import ApiClient, ApiKey, client_name_validator


@dataclass(frozen=True)
class IssuedKey:
    """A freshly created key: ``key`` is the only copy of the secret, shown once."""

    client: ApiClient
    api_key: ApiKey
    key: str


def create_client(name: str, roles: list[str], expires_days: int | None = None) -> IssuedKey:
    """A new client with its first key. Raises ValidationError on a bad name or roles
    (including a name already taken)."""
    client = ApiClient(name=name, roles=list(dict.fromkeys(roles)))
    client.full_clean()
    with transaction.atomic():
        client.save()
        return issue_key(client, expires_days)


def issue_key(client: ApiClient, expires_days: int | None = None) -> IssuedKey:
    """Another key for ``client`` (rotation); ``expires_days`` from now, or never."""
    if expires_days is not None and expires_days < 1:
        raise ValueError("expires_days must be at least 1")
    expiry = timezone.now() + timedelta(days=expires_days) if expires_days else None
    api_key, key = ApiKey.objects.create_key(name=client.name, client=client, expiry_date=expiry)
    return IssuedKey(client, api_key, key)


def revoke_client(client: ApiClient) -> int:
    """Revoke the client and all its keys (irreversible). Returns the keys revoked now."""
    with transaction.atomic():
        if client.revoked_at is None:
            client.revoked_at = timezone.now()
            client.save(update_fields=["revoked_at"])
        return ApiKey.objects.filter(client=client, revoked=False).update(revoked=True)


def client_id_by_name(name: str) -> int | None:
    if not client_name_validator.regex.match(name):
        return None  # no client can have it (and PostgreSQL refuses a NUL in a query)
    return ApiClient.objects.filter(name=name).values_list("pk", flat=True).first()
