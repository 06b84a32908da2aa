"""Swagger UI's Authorize dialog takes an API key, and "Try it out" then sends it."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from access_control.models import AccessEvent

pytestmark = pytest.mark.django_db(transaction=True)

OPERATION = "#operations-runs-get_run_by_id"


def _try_run_lookup(browser, wait, base_url: str, authorization: str | None) -> str:
    browser.get(f"{base_url}/api/docs/")
    # Swagger UI keeps an authorization in localStorage (persistAuthorization): start clean.
    browser.execute_script("window.localStorage.clear()")
    browser.get(f"{base_url}/api/docs/")
    if authorization is not None:
        wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "button.authorize"))).click()
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".auth-container input"))).send_keys(
            authorization
        )
        browser.find_element(By.CSS_SELECTOR, ".auth-btn-wrapper button.authorize").click()
        browser.find_element(By.CSS_SELECTOR, "button.btn-done").click()
    wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, f"{OPERATION} .opblock-summary"))).click()
    wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, f"{OPERATION} button.try-out__btn"))).click()
    wait.until(EC.presence_of_element_located(
        (By.CSS_SELECTOR, f"{OPERATION} input[placeholder='rebalance_run_id']"))).send_keys("rr_00000000")
    browser.find_element(By.CSS_SELECTOR, f"{OPERATION} button.execute").click()
    cell = wait.until(EC.presence_of_element_located(
        (By.CSS_SELECTOR, f"{OPERATION} .live-responses-table tbody .response-col_status")))
    return cell.text.strip()


def test_a_key_entered_under_authorize_is_sent(browser, live_server, issue_key, screenshot):
    key = issue_key(("simulate",), name="swagger-user")
    wait = WebDriverWait(browser, 20)
    assert _try_run_lookup(browser, wait, live_server.url, f"Api-Key {key}") == "404"
    screenshot("authorized-lookup")
    [event] = AccessEvent.objects.filter(actor="api:swagger-user")
    assert (event.action, event.target, event.outcome) == ("run.lookup", "rr_00000000", 404)


def test_negative_control_without_authorize_the_lookup_is_401(browser, live_server):
    wait = WebDriverWait(browser, 20)
    assert _try_run_lookup(browser, wait, live_server.url, None) == "401"
    [event] = AccessEvent.objects.all()
    assert (event.action, event.actor) == ("authentication.failed", "api:anonymous")
