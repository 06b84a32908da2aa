"""One JSON object per log line (``LOG_FORMAT=json``), for the app, Django and gunicorn.

Every line has ``time`` (ISO 8601, UTC), ``level``, ``logger``, ``message``,
``correlation_id`` and ``client`` (``-`` outside a request or before
authentication); lines about a run add ``rebalance_run_id``, gunicorn's access
lines ``duration_ms``, and errors their traceback as ``exc_info``. JSON string
escaping keeps every record on one line whatever it contains; the arguments are
also escaped by CorrelationIdLogFilter, as in the text format.

No Django import here: gunicorn's master process uses this module too.
"""
from __future__ import annotations

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

# Attributes Django and other libraries attach to records that are objects rather
# than facts worth a field (the request object, runserver's socket) or repeat the
# message (status_code is in the message of django.request lines).
_NOT_FIELDS = ("request", "server_time", "status_code", "color_message")


class JsonLineFormatter(JsonFormatter):
    def __init__(self) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
            reserved_attrs=[*RESERVED_ATTRS, *_NOT_FIELDS],
            json_ensure_ascii=False,
        )

    def add_fields(self, log_data, record, message_dict) -> None:
        super().add_fields(log_data, record, message_dict)
        # Records that bypassed CorrelationIdLogFilter (gunicorn's own) still get both.
        log_data.setdefault("correlation_id", getattr(record, "correlation_id", "-"))
        log_data.setdefault("client", getattr(record, "client", "-"))

    def process_log_record(self, log_data):
        # time, level, logger, message, correlation_id, client first; then the rest.
        first = ("time", "level", "logger", "message", "correlation_id", "client")
        ordered = {name: log_data[name] for name in first if name in log_data}
        ordered.update((name, value) for name, value in log_data.items() if name not in ordered)
        return ordered
