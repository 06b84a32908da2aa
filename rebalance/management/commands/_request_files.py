"""Reading and validating request-body files for the simulate / analyze commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from rebalance.boundary import validate_request_body


def validate_file(path: str, model) -> tuple[Any, list[dict[str, Any]]]:
    """Return ``(request, [])`` for a valid body or ``(None, issues)`` otherwise.

    An unreadable file is a ``CommandError`` straight away.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(f"{path}: cannot read file ({exc.strerror})") from exc
    return validate_request_body(raw, model)


def report_invalid(stderr, failures: list[tuple[str, list[dict[str, Any]]]], total: int) -> CommandError:
    """Write every file's issues to stderr (one JSON document per file) and return the
    error to raise."""
    for path, issues in failures:
        stderr.write(json.dumps({"file": path, "detail": issues}, ensure_ascii=False, default=str))
    return CommandError(f"{len(failures)} of {total} request file(s) failed validation; nothing was run")
