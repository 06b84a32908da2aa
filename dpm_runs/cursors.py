"""Opaque, signed keyset cursors of the run listing (GET /rebalance/runs).

A cursor carries the position after the last run of a page, (created_at, id),
and a fingerprint of the filters and scope it was issued for. It is signed
with SECRET_KEY (django.core.signing), so a client can neither forge a
position nor reuse a cursor with other filters or as another client: either
is answered 400 DPM_CURSOR_INVALID.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from django.core import signing

_SALT = "dpm_runs.cursors"
# The shape of every cursor this module issues (django.core.signing: payload, timestamp
# and signature, each URL-safe base64), as the OpenAPI document states it.
CURSOR_PATTERN = r"^[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$"
_VERSION = 1


class InvalidCursor(Exception):
    """Tampered, truncated, or issued for other filters or another caller."""


@dataclass(frozen=True, slots=True)
class Position:
    """Where the next page starts: strictly after this run, in newest-first order."""

    created_at: datetime
    pk: int


def fingerprint(filters: dict[str, object], scope: int | None) -> str:
    """A short digest of what a cursor is valid for."""
    text = json.dumps({"filters": filters, "scope": scope}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def encode_cursor(position: Position, fingerprint_: str) -> str:
    payload = {"v": _VERSION, "t": position.created_at.isoformat(), "i": position.pk, "f": fingerprint_}
    return signing.dumps(payload, salt=_SALT, compress=False)


def decode_cursor(cursor: str, fingerprint_: str) -> Position:
    """The position of a cursor issued for ``fingerprint_``, or InvalidCursor."""
    try:
        payload = signing.loads(cursor, salt=_SALT)
        if payload["v"] != _VERSION or payload["f"] != fingerprint_:
            raise InvalidCursor
        created_at = datetime.fromisoformat(payload["t"])
        pk = payload["i"]
        if created_at.tzinfo is None or not isinstance(pk, int) or isinstance(pk, bool):
            raise InvalidCursor
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise InvalidCursor from exc
    return Position(created_at, pk)
