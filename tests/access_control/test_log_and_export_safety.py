"""Client-supplied text can neither forge log lines nor run as a spreadsheet formula."""
from __future__ import annotations

import csv
import io
import logging

import pytest
from django.conf import settings
from django.core.management import call_command

from lotus_manage.middleware import CorrelationIdLogFilter
from lotus_manage.command_io import spreadsheet_safe
from tests.api.conftest import simulate_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_lines():
    """What the console handler writes, formatted as configured in settings."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(CorrelationIdLogFilter())
    handler.setFormatter(logging.Formatter(settings.LOGGING["formatters"]["line"]["format"]))
    logger = logging.getLogger("rebalance.services")
    logger.addHandler(handler)
    try:
        yield lambda: stream.getvalue().splitlines()
    finally:
        logger.removeHandler(handler)


def test_a_portfolio_id_with_crlf_stays_on_one_log_line(caller, log_lines):
    body = simulate_body()
    body["portfolio_snapshot"]["portfolio_id"] = "pf_1\r\n2026-11-30 00:00:00,000 INFO forged line"
    response = caller("simulate").simulate(key="k1", body=body)
    assert response.status_code == 200
    [line] = [line for line in log_lines() if "recorded" in line]
    assert "pf_1\\r\\n2026-11-30" in line
    assert not any(line.startswith("2026-11-30 00:00:00,000") for line in log_lines())


def test_negative_control_without_the_filter_the_line_is_forged():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "portfolio_id=%s", ("a\nFORGED",), None)
    handler.handle(record)
    assert stream.getvalue().splitlines() == ["portfolio_id=a", "FORGED"]
    stream.seek(0), stream.truncate()
    handler.addFilter(CorrelationIdLogFilter())
    handler.handle(record)
    assert stream.getvalue().splitlines() == ["portfolio_id=a\\nFORGED"]


@pytest.mark.parametrize("cell", ["=1+2", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"])
def test_formula_cells_get_an_apostrophe(cell):
    assert spreadsheet_safe(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["pf_1", "", "rr_1=2", "a-b"])
def test_other_cells_are_unchanged(cell):
    assert spreadsheet_safe(cell) == cell


def test_export_runs_csv_neutralises_formula_cells(caller):
    body = simulate_body()
    body["portfolio_snapshot"]["portfolio_id"] = "=HYPERLINK(\"http://x\")"
    assert caller("simulate").simulate(key="@key", body=body, correlation="+corr").status_code == 200
    out = io.StringIO()
    call_command("export_runs", "--format", "csv", stdout=out, stderr=io.StringIO())
    [header, row] = list(csv.reader(io.StringIO(out.getvalue())))
    cells = dict(zip(header, row))
    assert cells["portfolio_id"] == "'=HYPERLINK(\"http://x\")"
    assert cells["correlation_id"] == "'+corr"
    assert cells["idempotency_key"] == "'@key"
