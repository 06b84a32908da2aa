"""Pieces shared by the management commands that export, verify and purge runs."""
from __future__ import annotations

from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError


class LaidOutHelpCommand(BaseCommand):
    """A command whose ``help`` keeps its own line breaks (examples, cron lines)
    instead of being re-wrapped by argparse."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        from argparse import RawDescriptionHelpFormatter

        kwargs.setdefault("formatter_class", RawDescriptionHelpFormatter)
        return super().create_parser(prog_name, subcommand, **kwargs)


def parse_bound(option: str, raw: str) -> datetime:
    """An aware UTC datetime from an ISO date or datetime, or CommandError.

    A bare date is its midnight UTC; a datetime without an offset is UTC.
    """
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise CommandError(
            f"{option}: {raw!r} is not an ISO date (YYYY-MM-DD) or datetime (YYYY-MM-DDTHH:MM[:SS][+HH:MM])"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class Sink:
    """A writable text stream over a management command OutputWrapper, without
    the wrapper's automatic line endings."""

    def __init__(self, wrapper) -> None:
        self._wrapper = wrapper

    def write(self, text: str) -> int:
        self._wrapper.write(text, ending="")
        return len(text)

    def flush(self) -> None:
        self._wrapper.flush()


# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    """``cell``, with a leading apostrophe when a spreadsheet would read it as a formula."""
    return "'" + cell if cell.startswith(_FORMULA_PREFIXES) else cell
