"""Log records carry the correlation id of the request being served."""

from __future__ import annotations

import logging

from django.http import HttpResponse
from django.test import RequestFactory

from lotus_manage.middleware import CorrelationIdLogFilter, CorrelationIdMiddleware


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []
        self.addFilter(CorrelationIdLogFilter())

    def emit(self, record):
        self.records.append(record)


def test_records_inside_a_request_carry_its_correlation_id_and_outside_a_dash():
    logger = logging.getLogger("tests.correlation")
    handler = _Collect()
    logger.addHandler(handler)
    try:
        def view(request):
            logger.warning("inside")
            return HttpResponse("ok")

        request = RequestFactory().get("/x", HTTP_X_CORRELATION_ID="support-trace-42")
        response = CorrelationIdMiddleware(view)(request)
        logger.warning("outside")
    finally:
        logger.removeHandler(handler)
    assert response["X-Correlation-Id"] == "support-trace-42"
    assert [(r.getMessage(), r.correlation_id) for r in handler.records] == [
        ("inside", "support-trace-42"),
        ("outside", "-"),
    ]
