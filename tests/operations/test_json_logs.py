"""Log lines in process: JSON fields, control characters, and Django's own 500 line.

gunicorn's lines and the whole-server check: test_served_metrics_and_logs.py.
"""
from __future__ import annotations

import io
import json
import logging

import pytest
from django.test import Client

from lotus_manage.json_logs import JsonLineFormatter
from lotus_manage.middleware import CorrelationIdLogFilter, current_correlation_id
from tests.api.conftest import simulate_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def console():
    """The root console handler (settings.LOGGING) writing JSON into a buffer."""
    [handler] = [h for h in logging.getLogger().handlers
                 if any(isinstance(f, CorrelationIdLogFilter) for f in h.filters)]
    stream, formatter = io.StringIO(), handler.formatter
    old = handler.setStream(stream)
    handler.setFormatter(JsonLineFormatter())
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        handler.setStream(old)
        handler.setFormatter(formatter)


def test_djangos_500_line_keeps_the_requests_correlation_id(console, auth_headers, monkeypatch):
    import rebalance.views

    seen_outside = []

    def broken(*args, **kwargs):
        raise RuntimeError("engine bug")

    class Spy(logging.Handler):
        def emit(self, record):
            if record.name == "django.request":
                seen_outside.append(current_correlation_id.get())

    monkeypatch.setattr(rebalance.views, "simulate_idempotently", broken)
    spy = Spy()
    logging.getLogger("django.request").addHandler(spy)
    try:
        response = Client(headers=auth_headers, raise_request_exception=False).post(
            "/rebalance/simulate", json.dumps(simulate_body()), content_type="application/json",
            headers={"Idempotency-Key": "k-500", "X-Correlation-Id": "corr-500-line"})
    finally:
        logging.getLogger("django.request").removeHandler(spy)
    assert response.status_code == 500
    [django_line] = [r for r in console() if r["logger"] == "django.request"]
    assert django_line["message"] == "Internal Server Error: /rebalance/simulate"
    assert django_line["correlation_id"] == "corr-500-line"
    assert django_line["client"] == "test-all-roles"
    assert "request" not in django_line  # the request object is not dumped
    # Negative control: Django writes this line after the request's context is gone, so
    # the id comes from the request the record carries, not from the context.
    assert seen_outside == ["-"]


def test_app_lines_carry_correlation_client_and_run_id_but_no_contents(console, client):
    body = simulate_body()
    body["portfolio_snapshot"]["portfolio_id"] = "pf_1\r\nforged line"
    response = client.post("/rebalance/simulate", json.dumps(body), content_type="application/json",
                           headers={"Idempotency-Key": "k-json", "X-Correlation-Id": "corr-json-app"})
    assert response.status_code == 200
    [line] = [r for r in console() if r["message"].startswith("simulate recorded")]
    assert line["correlation_id"] == "corr-json-app"
    assert line["client"] == "test-all-roles"
    assert line["rebalance_run_id"] == response.json()["rebalance_run_id"]
    assert line["level"] == "INFO" and line["logger"] == "rebalance.services"
    assert "pf_1\\r\\nforged line" in line["message"]  # escaped as in the text format
    assert "ALPHA" not in json.dumps(line)


def test_negative_control_without_the_filter_the_message_keeps_the_raw_line_break():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "portfolio_id=%s", ("a\nFORGED",), None)
    unfiltered = json.loads(JsonLineFormatter().format(record))
    assert unfiltered["message"] == "portfolio_id=a\nFORGED"
    CorrelationIdLogFilter().filter(record)
    filtered = JsonLineFormatter().format(record)
    assert "\n" not in filtered and json.loads(filtered)["message"] == "portfolio_id=a\\nFORGED"
