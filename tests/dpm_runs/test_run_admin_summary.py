"""The readable part of a run's admin page: badge, gate, rules, intents, diagnostics,
the allocation chart and the related links, from a result the engine really produced;
client-supplied strings escaped in the HTML and in the SVG."""
from __future__ import annotations

import itertools
import json
from decimal import Decimal

import pytest
from django.test import Client

from dpm_runs.admin_chart import allocation_chart
from dpm_runs.admin_result import AllocationBar, digest
from dpm_runs.models import IdempotencyRecord, RebalanceRun
from tests.factories import spec_simulate_body

pytestmark = pytest.mark.django_db

RUNS = "/admin/dpm_runs/rebalancerun/"
HOSTILE_CLASS = '<script>alert("class")</script>'
HOSTILE_INSTRUMENT = "<img src=x onerror=alert(1)>"


def spec_example_body(asset_class: str = "EQUITY", instrument: str = "US_TECH_ETF") -> dict:
    """The API spec's complete example (a SELL, an FX funding intent and a BUY), with the
    bought instrument renamed and reclassified."""
    body = spec_simulate_body()
    for entry in (*body["market_data_snapshot"]["prices"], *body["model_portfolio"]["targets"],
                  *body["shelf_entries"]):
        if entry["instrument_id"] == "US_TECH_ETF":
            entry["instrument_id"] = instrument
    body["shelf_entries"][1]["asset_class"] = asset_class
    return body


@pytest.fixture
def simulate(issue_key):
    keys = itertools.count(1)
    api = Client(headers={"Authorization": f"Api-Key {issue_key(('simulate',), name='admin-summary-owner')}"})

    def _simulate(body: dict, correlation: str, key: str | None = None) -> RebalanceRun:
        headers = {"X-Correlation-Id": correlation, "Idempotency-Key": key or f"key-{next(keys)}"}
        response = api.post("/rebalance/simulate", json.dumps(body), content_type="application/json", headers=headers)
        assert response.status_code == 200, response.content
        return RebalanceRun.objects.get(rebalance_run_id=response.json()["rebalance_run_id"])

    return _simulate


def _chart(html: str) -> str:
    start = html.index('<svg xmlns="http://www.w3.org/2000/svg" class="allocation-chart"')
    return html[start:html.index("</svg>", start)]


def _page(admin_client, run: RebalanceRun) -> str:
    response = admin_client.get(f"{RUNS}{run.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_summary_reads_the_stored_result_above_the_raw_json(admin_client, simulate):
    run = simulate(spec_example_body(), "corr-summary", key="key-summary")
    html = _page(admin_client, run)

    assert 'class="badge status-READY" id="run-status">READY<' in html
    assert "Gate <strong>EXECUTION_READY</strong>, next step <strong>EXECUTE</strong>" in html
    # Rules: rule, severity, status, measured value against its limit.
    assert (
        "<td>CASH_BAND</td>\n          <td>SOFT</td>\n          "
        '<td><span class="badge rule-PASS">PASS</span></td>\n          '
        '<td class="num">0.1032</td>\n          <td>min 0.00, max 0.20</td>'
    ) in html
    # Intents: the SELL, the FX funding and the BUY, in execution order.
    rows = html[html.index('id="intents"'):html.index('id="diagnostics"')]
    sell = rows.index('<td class="id">SG_BANK_EQ</td>\n          <td>SELL</td>\n          <td class="num">100</td>\n'
                      '          <td class="num">5000.00</td>\n          <td>SGD</td>')
    fx = rows.index('<td class="id">USD/SGD</td>\n          <td>BUY USD</td>\n          <td class="num">9292.0000</td>\n'
                    '          <td class="num">≈ 12544.200000</td>\n          <td>SGD</td>')
    buy = rows.index('<td class="id">US_TECH_ETF</td>\n          <td>BUY</td>\n          <td class="num">46</td>\n'
                     '          <td class="num">9200.00</td>\n          <td>USD</td>\n          <td>oi_fx_3</td>')
    assert sell < fx < buy
    assert "No warnings." in html
    # Allocation before -> after: EQUITY 60 % -> 89.68 %, CASH 40 % -> 10.32 %.
    chart = _chart(html)
    for text in ("EQUITY", "CASH", "60.00 %", "89.68 %", "40.00 %", "10.32 %"):
        assert text in chart
    # Order on the page: the run's fields, the summary, then the stored JSON.
    assert html.index('id="run-headline"') < html.index('id="allocation"') < html.index("Stored JSON")


def test_related_links_filter_the_changelist_exactly(admin_client, simulate):
    first = simulate(spec_example_body(), "corr-shared-1", key="key-related")
    simulate(spec_example_body(), "corr-shared-1")
    other = simulate(spec_example_body(), "corr-shared-10")
    record = IdempotencyRecord.objects.get(key="key-related")
    html = _page(admin_client, first)

    assert f'Idempotency record: <a href="{RUNS.replace("rebalancerun", "idempotencyrecord")}{record.pk}/change/">key-related</a>' in html
    link = f'{RUNS}?correlation_id=corr-shared-1'
    assert f'Runs with this correlation id: <a href="{link}">corr-shared-1</a> (2 runs)' in html
    listing = admin_client.get(link).content.decode()
    assert first.rebalance_run_id in listing and other.rebalance_run_id not in listing


def test_batch_siblings_are_linked(admin_client, repo, make_run, owner):
    runs = [repo.record_analyze_run(owner.pk, make_run(correlation_id=f"c{i}"), batch_run_id="batch_42") for i in range(3)]
    repo.record_analyze_run(owner.pk, make_run(correlation_id="c9"), batch_run_id="batch_420")
    run = RebalanceRun.objects.get(rebalance_run_id=runs[0].rebalance_run_id)
    html = _page(admin_client, run)
    assert f'Runs of this batch: <a href="{RUNS}?batch_run_id=batch_42">batch_42</a> (3 runs)' in html
    listing = admin_client.get(RUNS, {"batch_run_id": "batch_42"}).content.decode()
    assert all(r.rebalance_run_id in listing for r in runs)
    assert listing.count("batch_420") == 0


def test_client_supplied_strings_are_escaped_in_tables_and_chart(admin_client, simulate):
    run = simulate(spec_example_body(asset_class=HOSTILE_CLASS, instrument=HOSTILE_INSTRUMENT), "corr-hostile")
    html = _page(admin_client, run)
    assert HOSTILE_CLASS not in html and HOSTILE_INSTRUMENT not in html
    chart = _chart(html)
    assert "&lt;script&gt;alert(&quot;class&quot;)&lt;/script&gt;" in chart  # the class's full name, as a tooltip
    intents = html[html.index('id="intents"'):html.index('id="diagnostics"')]
    assert '<td class="id">&lt;img src=x onerror=alert(1)&gt;</td>' in intents


def test_chart_escapes_and_shortens_labels_and_scales_bars():
    svg = str(allocation_chart([
        AllocationBar(key='A&B "quoted" <class> with a very long name', before=Decimal("0.5"), after=None),
        AllocationBar(key="CASH", before=Decimal("-0.25"), after=Decimal("1")),
    ]))
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert "<class>" not in svg and '"quoted"' not in svg
    assert "<title>A&amp;B &quot;quoted&quot; &lt;class&gt; with a very long name</title>" in svg
    assert "A&amp;B &quot;quoted&quot; &lt;class…</text>" in svg
    # Half of the bar area, a missing after-bar, no bar for a negative weight, a full bar.
    assert 'class="before" x="150" y="26" width="170.0"' in svg
    assert 'class="after" x="150" y="40" width="0"' in svg and ">–</text>" in svg
    assert 'class="before" x="150" y="64" width="0"' in svg and ">-25.00 %</text>" in svg
    assert 'class="after" x="150" y="78" width="340.0"' in svg and ">100.00 %</text>" in svg
    assert str(allocation_chart([])) == ""


def test_a_result_that_is_not_json_still_shows_the_page(admin_client, repo, make_run, owner):
    stored = repo.record_analyze_run(owner.pk, make_run(response_body='{"status": "READY", <broken'), batch_run_id="b")
    run = RebalanceRun.objects.get(rebalance_run_id=stored.rebalance_run_id)
    html = _page(admin_client, run)
    assert "The stored result is not valid JSON" in html
    assert "{&quot;status&quot;: &quot;READY&quot;, &lt;broken" in html


def test_digest_tolerates_missing_parts_and_caps_long_lists():
    body = {
        "status": "BLOCKED",
        "gate_decision": None,
        "intents": [{"intent_type": "SECURITY_TRADE", "instrument_id": f"I{i}"} for i in range(600)],
        "rule_results": None,
        "diagnostics": {"warnings": ["SOLVER_ERROR"], "dropped_intents": [{"instrument_id": "X", "score": "0.1"}],
                        "data_quality": {"price_missing": ["P", "P"], "fx_missing": []}},
        "before": {"allocation_by_asset_class": [{"key": "CASH", "weight": "1"}]},
        "after_simulated": None,
    }
    summary = digest(json.dumps(body))
    assert summary.status == "BLOCKED" and summary.gate is None and summary.rules == []
    assert len(summary.intents) == 500 and summary.hidden_intents == 100
    assert summary.warnings == ["SOLVER_ERROR"]
    assert [(d.name, d.count, d.entries) for d in summary.diagnostics] == [
        ("dropped_intents", 1, ["instrument_id: X, score: 0.1"]),
        ("data_quality.price_missing", 2, ["P", "P"]),
    ]
    assert summary.allocation == [AllocationBar("CASH", Decimal("1"), None)]
    assert digest("[1]").parse_error == "The stored result is not a JSON object."


def test_a_blocked_run_shows_its_failures_and_gate_reasons(admin_client, simulate):
    body = spec_example_body()
    body["options"]["single_position_max_weight"] = "0.1"
    body["options"]["max_turnover_pct"] = "0"
    run = simulate(body, "corr-blocked")
    html = _page(admin_client, run)
    assert 'id="run-status">BLOCKED<' in html
    assert "Gate <strong>BLOCKED</strong>, next step <strong>FIX_INPUT</strong>" in html
    assert "<li>HIGH HARD_RULE_FAIL:SINGLE_POSITION_MAX</li>" in html
    assert '<span class="badge rule-FAIL">FAIL</span>' in html
