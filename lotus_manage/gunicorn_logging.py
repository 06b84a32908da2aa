"""gunicorn's own log lines (error log and access log) as JSON, for ``LOG_FORMAT=json``.

gunicorn.conf.py selects this class; no Django import here, as gunicorn's master
process loads it. The access line is written after the response has left Django:
it reads the correlation id from the response header and the API client's name
from the WSGI environ (lotus_manage/request_context.py).
"""
from __future__ import annotations

import traceback

from gunicorn.glogging import Logger

from .json_logs import JsonLineFormatter

# The key the service stores the client name under (lotus_manage.request_context);
# repeated here so this module stays free of Django imports.
CLIENT_ENVIRON_KEY = "lotus_manage.client_name"


class JsonGunicornLogger(Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonLineFormatter())

    def access(self, resp, req, environ, request_time) -> None:
        if not self.access_log_enabled:
            return
        headers = {name.lower(): value for name, value in (resp.headers or [])}
        status = str(resp.status).split(None, 1)[0] if resp.status else "-"
        path = req.path + ("?" + req.query if req.query else "")
        try:
            self.access_log.info(
                "%s %s %s", req.method, path, status,
                extra={
                    "correlation_id": headers.get("x-correlation-id", "-"),
                    "client": environ.get(CLIENT_ENVIRON_KEY, "-"),
                    "method": req.method,
                    "path": path,
                    "status": int(status) if status.isdigit() else status,
                    "duration_ms": round(request_time.total_seconds() * 1000, 3),
                    "response_bytes": getattr(resp, "sent", None),
                    "remote_addr": environ.get("REMOTE_ADDR", "-"),
                },
            )
        except Exception:
            self.error(traceback.format_exc())
