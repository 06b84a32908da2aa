"""API clients, their hashed keys, the append-only access log and throttle counters.

``access_control`` depends on no other app of the project: the run store and the
simulation endpoints refer to clients, never the other way round.
"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from rest_framework_api_key.models import AbstractAPIKey

from .roles import Role

# The key model copies the name into its own 50-character `name` column.
CLIENT_NAME_MAX_LENGTH = 50
# Safe in URLs (?client=NAME), log lines, CSV cells and the actor column.
client_name_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._-]*\Z",
    "Use letters, digits, '.', '_' and '-', starting with a letter or digit.",
)


def validate_roles(value) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError("A client needs at least one role.")
    unknown = sorted(set(map(str, value)) - set(Role.values))
    if unknown:
        raise ValidationError(f"Unknown role(s): {', '.join(unknown)}.")
    if len(set(value)) != len(value):
        raise ValidationError("Roles must not repeat.")


class ApiClient(models.Model):
    """A caller of the API: runs and idempotency keys belong to one client.

    DRF's authentication puts the client in ``request.user``, so it answers
    the few questions DRF asks of a user (``is_authenticated``).
    """

    id = models.BigAutoField(primary_key=True)
    name = models.CharField(
        max_length=CLIENT_NAME_MAX_LENGTH, unique=True, validators=[client_name_validator]
    )
    roles = models.JSONField(default=list, validators=[validate_roles])
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by revoke_api_client / the admin action; all keys are revoked with it.
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API client"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    # -- what DRF and the views ask of request.user -------------------------

    is_authenticated = True
    is_anonymous = False

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_support(self) -> bool:
        return self.has_role(Role.SUPPORT)

    @property
    def actor(self) -> str:
        return f"api:{self.name}"


class ApiKey(AbstractAPIKey):
    """A hashed key of one client (djangorestframework-api-key: sha512, shown once).

    A client may hold several keys (rotation); revoking the client revokes all.
    """

    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="keys")

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API key"
        verbose_name_plural = "API keys"


class AccessEvent(models.Model):
    """One access to sensitive data, or one refused attempt (append-only).

    Nothing in the project updates or deletes these rows: the admin refuses
    every change, ``save`` refuses updates, and purging runs leaves them alone
    (no foreign key to runs: ``target`` is text).
    """

    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField()
    # api:<client name>, admin:<username> or cli:<operating-system user>.
    actor = models.CharField(max_length=200)
    action = models.CharField(max_length=64)
    # A run id, an idempotency key or a query, as text.
    target = models.CharField(max_length=2000, blank=True)
    # An HTTP status code, or 0 for a command that completed.
    outcome = models.PositiveSmallIntegerField()
    correlation_id = models.CharField(max_length=512, blank=True)
    source_address = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = "access event"
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["occurred_at", "id"], name="access_event_time_idx"),
            models.Index(fields=["actor", "occurred_at"], name="access_event_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("Access events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Access events are append-only.")


class ThrottleWindow(models.Model):
    """The request count of one (scope, client) in its current fixed window.

    One row per scope and client, updated in place by a single upsert, so the
    count is shared by every worker process (see throttling.py).
    """

    bucket = models.CharField(max_length=128, primary_key=True)
    window_start = models.BigIntegerField()
    count = models.IntegerField()

    class Meta:
        verbose_name = "throttle window"
