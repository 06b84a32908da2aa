"""Reading and validating request-body files for the simulate / analyze commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from rebalance.json_body import BodyDecodeError, decode_json_body, missing_body_issue
from rebalance.validation_issues import flatten_errors


def validate_file(path: str, serializer_class) -> tuple[Any, list[dict[str, Any]]]:
    """Return ``(serializer, [])`` for a valid body or ``(None, issues)`` otherwise.

    An unreadable file is a ``CommandError`` straight away.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(f"{path}: cannot read file ({exc.strerror})") from exc
    try:
        body = decode_json_body(raw) if raw.strip() else None
    except (BodyDecodeError, UnicodeDecodeError) as exc:
        issue = exc.issue if isinstance(exc, BodyDecodeError) else {
            "type": "json_invalid", "loc": ["body"], "msg": "Body is not UTF-8 text"}
        return None, [issue]
    if body is None:
        return None, [missing_body_issue()]
    serializer = serializer_class(data=body)
    if not serializer.is_valid():
        return None, flatten_errors(serializer.errors, body=body)
    return serializer, []


def report_invalid(stderr, failures: list[tuple[str, list[dict[str, Any]]]], total: int) -> CommandError:
    """Write every file's issues to stderr (one JSON document per file) and return the
    error to raise."""
    import json

    for path, issues in failures:
        stderr.write(json.dumps({"file": path, "detail": issues}, ensure_ascii=False, default=str))
    return CommandError(f"{len(failures)} of {total} request file(s) failed validation; nothing was run")
