"""manage.py export_access_log [--since ISO] [--until ISO] [--output FILE]"""
from __future__ import annotations

import json
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from access_control.models import AccessEvent
from lotus_manage.command_io import Sink, parse_bound

FIELDS = ("time", "actor", "action", "target", "outcome", "correlation_id", "source_address")
CHUNK_SIZE = 1000


def event_line(event: AccessEvent) -> str:
    return json.dumps(
        {
            "time": event.occurred_at.isoformat(),
            "actor": event.actor,
            "action": event.action,
            "target": event.target,
            "outcome": event.outcome,
            "correlation_id": event.correlation_id,
            "source_address": event.source_address,
        },
        ensure_ascii=False,
    )


class Command(BaseCommand):
    help = (
        "Write access events as JSON Lines in the order they were recorded, one event per line with the "
        f"fields {', '.join(FIELDS)}. --since is inclusive and --until exclusive (ISO date "
        "or datetime; UTC without an offset)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", metavar="ISO", help="Events at or after this time.")
        parser.add_argument("--until", metavar="ISO", help="Events before this time.")
        parser.add_argument("--output", "-o", metavar="FILE", help="Write to FILE instead of standard output.")

    def handle(self, *args, since, until, output, **options):
        events = AccessEvent.objects.order_by("id")
        if since:
            events = events.filter(occurred_at__gte=parse_bound("--since", since))
        if until:
            events = events.filter(occurred_at__lt=parse_bound("--until", until))
        if output in (None, "-"):
            written = _write(events, Sink(self.stdout))
            self.stderr.write(f"exported {written} access events")
            return
        target = Path(output)
        if not target.parent.is_dir():
            raise CommandError(f"--output: directory {str(target.parent)!r} does not exist")
        partial = target.with_name(target.name + ".part")
        try:
            with open(partial, "w", encoding="utf-8") as stream:
                written = _write(events, stream)
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        self.stderr.write(f"exported {written} access events to {target}")


def _write(events, stream) -> int:
    """Stream ``events`` in keyset chunks: memory stays flat however long the log."""
    written, after = 0, None
    while True:
        chunk = events if after is None else events.filter(id__gt=after)
        rows = list(chunk[:CHUNK_SIZE])
        for event in rows:
            stream.write(event_line(event))
            stream.write("\n")
        written += len(rows)
        if len(rows) < CHUNK_SIZE:
            return written
        after = rows[-1].id
