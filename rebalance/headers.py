"""Header validation of the simulation endpoints (422 issues located at ``header``)."""

from __future__ import annotations

import re
from typing import Any

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX_LENGTH = 256
# Printable characters only: keys end up in logs, URLs and the admin.
_PRINTABLE = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")


def idempotency_key_issue(value: str | None) -> dict[str, Any] | None:
    """The 422 issue for a missing, empty or malformed ``Idempotency-Key``, else None.

    Stricter than the reference, which accepted ``""`` and any text: a blank key would
    make unrelated requests replay each other.
    """
    loc = ["header", IDEMPOTENCY_HEADER]
    if value is None:
        return {"type": "missing", "loc": loc, "msg": "Field required", "input": None}
    if value == "":
        return {"type": "string_too_short", "loc": loc,
                "msg": "Idempotency-Key must not be empty", "input": value}
    if len(value) > IDEMPOTENCY_KEY_MAX_LENGTH or not _PRINTABLE.fullmatch(value):
        return {
            "type": "string_pattern_mismatch",
            "loc": loc,
            "msg": f"Idempotency-Key must be 1-{IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII "
                   "characters without leading or trailing spaces",
            "input": value[:IDEMPOTENCY_KEY_MAX_LENGTH],
        }
    return None
