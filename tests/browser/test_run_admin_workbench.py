"""Support staff with view permissions only, in a real browser: log in, find a run by
its correlation id, read its trades and allocation chart, download its support bundle."""
from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from access_control.models import AccessEvent
from dpm_runs.models import RebalanceRun
from tests.factories import spec_simulate_body

pytestmark = pytest.mark.django_db(transaction=True)

CORRELATION = "corr-workbench-browser-1"
PASSWORD = "a-long-support-password-42"


def _spec_example() -> dict:
    """The API spec's complete example (a SELL, an FX funding intent and a BUY), with two
    asset classes for the chart."""
    body = spec_simulate_body()
    body["portfolio_snapshot"]["portfolio_id"] = "pf_browser_001"
    body["shelf_entries"][1]["asset_class"] = "EQUITY_ETF"
    return body


@pytest.fixture
def recorded_run(issue_key) -> RebalanceRun:
    api = Client(headers={"Authorization": f"Api-Key {issue_key(('simulate',), name='browser-owner')}"})
    for number, correlation in enumerate((CORRELATION, "corr-workbench-browser-other")):
        response = api.post(
            "/rebalance/simulate", json.dumps(_spec_example()), content_type="application/json",
            headers={"X-Correlation-Id": correlation, "Idempotency-Key": f"browser-key-{number}"},
        )
        assert response.status_code == 200, response.content
    return RebalanceRun.objects.get(correlation_id=CORRELATION)


@pytest.fixture
def view_only_staff(db) -> User:
    user = User.objects.create_user("support-viewer", password=PASSWORD, is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_rebalancerun", "view_idempotencyrecord"])
    )
    return user


@pytest.fixture
def download_dir(browser, tmp_path) -> Path:
    # The session's browser gets this test's directory for downloads (the Chrome
    # DevTools equivalent of the download.default_directory preference), and no prompt.
    browser.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path), "eventsEnabled": False}
    )
    return tmp_path


def _wait_for_file(directory: Path, pattern: str, seconds: float = 20) -> Path:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        # Chromium writes NAME.crdownload and renames it when complete.
        done = [p for p in directory.glob(pattern) if not p.name.endswith(".crdownload")]
        if done:
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"no download matching {pattern} in {directory}: {list(directory.iterdir())}")


def _full_page(browser, screenshot, name: str) -> Path:
    """A screenshot of the whole page: the window is made as tall as the document first."""
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1400, min(max(height, 1000), 6000))
    try:
        return screenshot(name)
    finally:
        browser.set_window_size(1400, 1000)


def test_view_only_staff_finds_reads_and_downloads_a_run(
    browser, live_server, recorded_run, view_only_staff, download_dir, screenshot
):
    wait = WebDriverWait(browser, 20)
    browser.delete_all_cookies()
    browser.get(f"{live_server.url}/admin/login/?next=/admin/dpm_runs/rebalancerun/")
    browser.find_element(By.ID, "id_username").send_keys("support-viewer")
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD + Keys.ENTER)

    # Search the changelist by correlation id: exactly one run.
    search = wait.until(EC.presence_of_element_located((By.ID, "searchbar")))
    search.send_keys(CORRELATION + Keys.ENTER)
    wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "#changelist-search .quiet, .paginator"), "1"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert len(rows) == 1
    assert not browser.find_elements(By.CSS_SELECTOR, "#result_list .action-checkbox")  # no bulk actions
    screenshot("changelist-search")

    # Open the run.
    rows[0].find_element(By.LINK_TEXT, recorded_run.rebalance_run_id).click()
    wait.until(EC.presence_of_element_located((By.ID, "run-headline")))
    assert browser.find_element(By.ID, "run-status").text == "READY"
    assert "EXECUTION_READY" in browser.find_element(By.ID, "run-gate").text

    # The trades table: SELL, FX funding, BUY.
    intents = browser.find_element(By.ID, "intents")
    cells = [
        [td.text for td in row.find_elements(By.TAG_NAME, "td")]
        for row in intents.find_elements(By.CSS_SELECTOR, "tbody tr")
    ]
    assert [c[2:7] for c in cells] == [
        ["SG_BANK_EQ", "SELL", "100", "5000.00", "SGD"],
        ["USD/SGD", "BUY USD", "9292.0000", "≈ 12544.200000", "SGD"],
        ["US_TECH_ETF", "BUY", "46", "9200.00", "USD"],
    ]

    # The chart is drawn: two bars per asset class, with their figures.
    chart = browser.find_element(By.CSS_SELECTOR, "#allocation svg.allocation-chart")
    assert chart.is_displayed() and chart.size["width"] > 400
    labels = [t.text for t in chart.find_elements(By.CSS_SELECTOR, "g.asset-class > text[text-anchor=end]")]
    assert labels == ["EQUITY", "CASH", "EQUITY_ETF"]
    bars = chart.find_elements(By.CSS_SELECTOR, "rect.before, rect.after")
    assert len(bars) == 6 and max(b.size["width"] for b in bars) > 100
    assert "89.68 %" not in chart.text  # EQUITY_ETF is its own class here
    assert "49.68 %" in chart.text and "40.00 %" in chart.text

    # View only: no verify or hold, only the download.
    assert not browser.find_elements(By.ID, "verify-now")
    assert not browser.find_elements(By.ID, "place-hold")

    browser.execute_script("document.getElementById('rule-results').scrollIntoView()")
    screenshot("run-tables")
    browser.execute_script("document.getElementById('allocation').scrollIntoView()")
    screenshot("run-chart")
    browser.execute_script("window.scrollTo(0, 0)")
    _full_page(browser, screenshot, "run-page")

    # Download the support bundle and check the file.
    browser.find_element(By.ID, "download-bundle").click()
    path = _wait_for_file(download_dir, f"support-bundle-{recorded_run.rebalance_run_id}*.json")
    bundle = json.loads(path.read_text(encoding="utf-8"))
    assert bundle["run"]["rebalance_run_id"] == recorded_run.rebalance_run_id
    assert bundle["run"]["correlation_id"] == CORRELATION
    assert bundle["integrity"]["result_sha256"] == hashlib.sha256(
        recorded_run.response_body.encode("utf-8")
    ).hexdigest()
    [event] = AccessEvent.objects.filter(action="run.support_bundle")
    assert (event.actor, event.target, event.outcome) == (
        "admin:support-viewer", recorded_run.rebalance_run_id, 200,
    )


def test_support_lead_verifies_a_tampered_run_and_holds_it(browser, live_server, recorded_run, screenshot):
    user = User.objects.create_user("support-lead", password=PASSWORD, is_staff=True)
    user.user_permissions.add(*(
        # The run model's custom permissions come from its migrations.
        Permission.objects.get(codename=codename, content_type__app_label="dpm_runs")
        for codename in ("view_rebalancerun", "verify_rebalancerun", "hold_rebalancerun")
    ))
    tampered = recorded_run.response_body.replace('"quantity":"46"', '"quantity":"47"', 1)
    assert tampered != recorded_run.response_body
    RebalanceRun.objects.filter(pk=recorded_run.pk).update(response_body=tampered)

    wait = WebDriverWait(browser, 20)
    browser.delete_all_cookies()
    page = f"{live_server.url}/admin/dpm_runs/rebalancerun/{recorded_run.pk}/change/"
    browser.get(f"{live_server.url}/admin/login/?next=/admin/dpm_runs/rebalancerun/{recorded_run.pk}/change/")
    browser.find_element(By.ID, "id_username").send_keys("support-lead")
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD + Keys.ENTER)

    # Verify now: a POST from the page; the stored result no longer matches.
    wait.until(EC.element_to_be_clickable((By.ID, "verify-now"))).click()
    outcome = wait.until(EC.presence_of_element_located((By.ID, "verify-outcome")))
    assert outcome.text == "DRIFT"
    cells = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "#differences tbody td")]
    assert cells[:3] == ["/intents/2/quantity", '"47"', '"46"']
    screenshot("verify-drift")

    # Place a hold with a reason, then find it under the "on hold" filter.
    browser.get(page)
    wait.until(EC.element_to_be_clickable((By.ID, "place-hold"))).click()
    reason = wait.until(EC.presence_of_element_located((By.ID, "id_reason")))
    reason.send_keys("Complaint 2026-118: keep until closed")
    screenshot("hold-form")
    browser.find_element(By.ID, "confirm-hold").click()
    message = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".messagelist .success")))
    assert message.text == "Placed a legal hold on 1 run."
    assert "by admin:support-lead: Complaint 2026-118" in browser.find_element(By.CSS_SELECTOR, ".field-legal_hold").text
    screenshot("held-run")
    held = RebalanceRun.objects.get(pk=recorded_run.pk)
    assert (held.held_by, held.hold_reason) == ("admin:support-lead", "Complaint 2026-118: keep until closed")

    browser.get(f"{live_server.url}/admin/dpm_runs/rebalancerun/?held=yes")
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert [r.find_element(By.CSS_SELECTOR, "th a").text for r in rows] == [recorded_run.rebalance_run_id]
    screenshot("changelist-held")

    # Release it again from the run's page.
    browser.get(page)
    wait.until(EC.element_to_be_clickable((By.ID, "release-hold"))).click()
    wait.until(EC.presence_of_element_located((By.ID, "confirm-release")))
    screenshot("release-confirmation")
    browser.find_element(By.ID, "confirm-release").click()
    message = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".messagelist .success")))
    assert message.text == "Released the legal hold of 1 run."
    assert RebalanceRun.objects.get(pk=recorded_run.pk).held_at is None


def test_the_chart_stays_readable_in_the_dark_theme(browser, live_server, recorded_run, screenshot):
    User.objects.create_superuser("dark-admin", password=PASSWORD)
    wait = WebDriverWait(browser, 20)
    browser.delete_all_cookies()
    browser.get(f"{live_server.url}/admin/login/?next=/admin/dpm_runs/rebalancerun/{recorded_run.pk}/change/")
    browser.execute_script("window.localStorage.setItem('theme', 'dark')")
    browser.find_element(By.ID, "id_username").send_keys("dark-admin")
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD + Keys.ENTER)
    try:
        label = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "svg.allocation-chart g.asset-class text")))
        # The labels take the admin's text colour: light on the dark background.
        fill = browser.execute_script("return getComputedStyle(arguments[0]).fill", label)
        background = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
        assert fill != background
        red, green, blue = (int(v) for v in fill[fill.index("(") + 1:fill.index(")")].split(",")[:3])
        assert min(red, green, blue) > 150, fill
        browser.execute_script("document.getElementById('allocation').scrollIntoView()")
        screenshot("dark-chart")
    finally:
        browser.execute_script("window.localStorage.removeItem('theme')")
