"""Support actions on a run's admin page: support bundle download, verify, legal hold
and release; who may use them, and what each records."""
from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from access_control.models import AccessEvent
from dpm_runs.admin_actions import bundle_filename
from dpm_runs.bundles import support_bundle_json
from dpm_runs.models import RebalanceRun

pytestmark = pytest.mark.django_db

RUNS = "/admin/dpm_runs/rebalancerun/"


def _body() -> dict:
    return {
        "portfolio_snapshot": {
            "portfolio_id": "pf_actions",
            "base_currency": "USD",
            "positions": [],
            "cash_balances": [{"currency": "USD", "amount": "1000.00"}],
        },
        "market_data_snapshot": {
            "prices": [{"instrument_id": "ALPHA", "price": "10.00", "currency": "USD"}],
            "fx_rates": [],
        },
        "model_portfolio": {"targets": [{"instrument_id": "ALPHA", "weight": "0.50"}]},
        "shelf_entries": [{"instrument_id": "ALPHA", "status": "APPROVED", "asset_class": "EQUITY"}],
        "options": {},
    }


@pytest.fixture
def run(issue_key) -> RebalanceRun:
    api = Client(headers={"Authorization": f"Api-Key {issue_key(('simulate',), name='actions-owner')}"})
    response = api.post(
        "/rebalance/simulate", json.dumps(_body()), content_type="application/json",
        headers={"Idempotency-Key": "key-actions", "X-Correlation-Id": "corr-actions"},
    )
    assert response.status_code == 200, response.content
    return RebalanceRun.objects.get(rebalance_run_id=response.json()["rebalance_run_id"])


def _permission(codename: str) -> Permission:
    # get, not get_or_create: the custom permissions come from the model's migrations.
    # By app label: a transactional test's flush leaves ContentType's cache stale.
    return Permission.objects.get(codename=codename, content_type__app_label="dpm_runs")


def _staff(username: str, *codenames: str) -> Client:
    user = User.objects.create_user(username, password="pw", is_staff=True)
    user.user_permissions.add(*(_permission(c) for c in codenames))
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.fixture
def viewer() -> Client:
    return _staff("viewer", "view_rebalancerun")


@pytest.fixture
def holder() -> Client:
    return _staff("holder", "view_rebalancerun", "hold_rebalancerun")


@pytest.fixture
def verifier() -> Client:
    return _staff("verifier", "view_rebalancerun", "verify_rebalancerun")


def _events(action: str) -> list[tuple]:
    return [(e.actor, e.target, e.outcome) for e in AccessEvent.objects.filter(action=action).order_by("id")]


# --- support bundle ---------------------------------------------------------------


def test_view_only_staff_downloads_the_bundle_as_an_attachment_and_it_is_logged(viewer, run):
    response = viewer.get(f"{RUNS}{run.pk}/support-bundle/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="support-bundle-{run.rebalance_run_id}.json"'
    bundle = json.loads(response.content)
    expected = json.loads(support_bundle_json(run.rebalance_run_id))
    del bundle["generated_at"], expected["generated_at"]
    assert bundle == expected
    assert _events("run.support_bundle") == [("admin:viewer", run.rebalance_run_id, 200)]


def test_bundle_refused_without_view_permission_and_for_unknown_runs_logged_too(run):
    nobody = _staff("no-runs", "view_idempotencyrecord")
    assert nobody.get(f"{RUNS}{run.pk}/support-bundle/").status_code == 403
    admin = _staff("viewer2", "view_rebalancerun")
    assert admin.get(f"{RUNS}999999/support-bundle/").status_code == 404
    assert admin.get(f"{RUNS}not-a-number/support-bundle/").status_code == 404
    assert _events("run.support_bundle") == [
        ("admin:no-runs", run.rebalance_run_id, 403),
        ("admin:viewer2", "999999", 404),
        ("admin:viewer2", "not-a-number", 404),
    ]
    # Not staff: the admin's login page, and no bundle.
    user = User.objects.create_user("customer", password="pw")
    outsider = Client()
    outsider.force_login(user)
    assert outsider.get(f"{RUNS}{run.pk}/support-bundle/").status_code == 302


def test_bundle_file_names_hold_only_safe_characters():
    assert bundle_filename("rr_1a2b") == "support-bundle-rr_1a2b.json"
    assert bundle_filename('rr"; x=\r\n/..') == "support-bundle-rr___x____...json"


# --- view-only staff cannot verify or hold --------------------------------------------


def test_view_only_staff_sees_no_verify_or_hold_and_is_refused_both(viewer, run):
    page = viewer.get(f"{RUNS}{run.pk}/change/").content.decode()
    assert 'id="download-bundle"' in page
    for control in ('id="verify-now"', 'id="place-hold"', 'id="release-hold"'):
        assert control not in page
    assert viewer.post(f"{RUNS}{run.pk}/verify/").status_code == 403
    assert viewer.get(f"{RUNS}{run.pk}/hold/").status_code == 403
    assert viewer.post(f"{RUNS}{run.pk}/hold/", {"post": "yes", "reason": "case 1"}).status_code == 403
    assert viewer.post(f"{RUNS}{run.pk}/release-hold/", {"post": "yes"}).status_code == 403
    assert RebalanceRun.objects.get(pk=run.pk).held_at is None
    assert _events("run.verify") == [("admin:viewer", run.rebalance_run_id, 403)]
    # No bulk actions either: the changelist has no action checkboxes.
    changelist = viewer.get(RUNS).content.decode()
    assert 'name="action"' not in changelist and "action-checkbox" not in changelist


def test_hold_permission_does_not_grant_verify_nor_the_reverse(holder, verifier, run):
    assert holder.post(f"{RUNS}{run.pk}/verify/").status_code == 403
    assert verifier.get(f"{RUNS}{run.pk}/hold/").status_code == 403
    assert 'id="place-hold"' in holder.get(f"{RUNS}{run.pk}/change/").content.decode()
    page = verifier.get(f"{RUNS}{run.pk}/change/").content.decode()
    assert '<button type="submit" form="run-verify-form" class="button" id="verify-now">' in page
    # The form it submits lies after the change form's end: a form nested in it would be
    # dropped by the browser, and the button would post the read-only change form.
    verify_form = page.index(f'<form id="run-verify-form" method="post" action="{RUNS}{run.pk}/verify/">')
    assert verify_form > page.index("</form>", page.index('id="rebalancerun_form"'))


# --- verify -----------------------------------------------------------------------------


def test_verify_shows_match_and_records_no_run(verifier, run):
    runs_before = RebalanceRun.objects.count()
    response = verifier.post(f"{RUNS}{run.pk}/verify/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="verify-outcome">MATCH<' in html
    assert 'id="differences"' not in html
    assert RebalanceRun.objects.count() == runs_before
    assert _events("run.verify") == [("admin:verifier", run.rebalance_run_id, 200)]


def test_verify_shows_drift_and_the_differences_of_a_tampered_result(verifier, run):
    tampered = run.response_body.replace('"status":"READY"', '"status":"BLOCKED"', 1)
    assert tampered != run.response_body
    RebalanceRun.objects.filter(pk=run.pk).update(response_body=tampered)
    html = verifier.post(f"{RUNS}{run.pk}/verify/").content.decode()
    assert 'id="verify-outcome">DRIFT<' in html
    assert "<code>/status</code></td><td class=\"id\"><code>&quot;BLOCKED&quot;</code></td>" in html
    assert "<code>&quot;READY&quot;</code>" in html


def test_verify_needs_a_post_with_the_csrf_token(run):
    user = User.objects.create_superuser("root", password="pw")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert strict.get(f"{RUNS}{run.pk}/verify/").status_code == 405
    assert strict.post(f"{RUNS}{run.pk}/verify/").status_code == 403  # no CSRF token
    page = strict.get(f"{RUNS}{run.pk}/change/").content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = strict.post(f"{RUNS}{run.pk}/verify/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 200 and 'id="verify-outcome">MATCH<' in response.content.decode()


# --- legal hold -------------------------------------------------------------------------


def test_place_and_release_a_hold_from_the_run_page(holder, run):
    form = holder.get(f"{RUNS}{run.pk}/hold/")
    assert form.status_code == 200 and 'name="reason"' in form.content.decode()
    # A reason is required.
    empty = holder.post(f"{RUNS}{run.pk}/hold/", {"post": "yes", "reason": "  "})
    assert empty.status_code == 200 and "Please give a reason." in empty.content.decode()
    assert RebalanceRun.objects.get(pk=run.pk).held_at is None

    placed = holder.post(f"{RUNS}{run.pk}/hold/", {"post": "yes", "reason": "Case <4711>"}, follow=True)
    assert placed.redirect_chain[-1][0] == f"{RUNS}{run.pk}/change/"
    held = RebalanceRun.objects.get(pk=run.pk)
    assert held.held_at is not None
    assert (held.held_by, held.hold_reason) == ("admin:holder", "Case <4711>")
    page = placed.content.decode()
    assert "Placed a legal hold on 1 run." in page
    assert "by admin:holder: Case &lt;4711&gt;" in page
    assert 'id="release-hold"' in page and 'id="place-hold"' not in page
    assert run.rebalance_run_id in holder.get(RUNS, {"held": "yes"}).content.decode()
    assert run.rebalance_run_id not in holder.get(RUNS, {"held": "no"}).content.decode()

    confirm = holder.get(f"{RUNS}{run.pk}/release-hold/")
    assert "Case &lt;4711&gt;" in confirm.content.decode()
    released = holder.post(f"{RUNS}{run.pk}/release-hold/", {"post": "yes"}, follow=True)
    assert "Released the legal hold of 1 run." in released.content.decode()
    assert RebalanceRun.objects.get(pk=run.pk).held_at is None


def test_hold_and_release_as_changelist_actions(holder, run):
    selection = {"action": "place_hold_on_selected", "_selected_action": [run.pk]}
    form = holder.post(RUNS, selection)
    assert form.status_code == 200 and 'name="reason"' in form.content.decode()
    done = holder.post(RUNS, {**selection, "post": "yes", "reason": "audit 2026"}, follow=True)
    assert "Placed a legal hold on 1 run." in done.content.decode()
    assert RebalanceRun.objects.get(pk=run.pk).hold_reason == "audit 2026"

    release = {"action": "release_hold_on_selected", "_selected_action": [run.pk]}
    assert "Yes, release" in holder.post(RUNS, release).content.decode()
    done = holder.post(RUNS, {**release, "post": "yes"}, follow=True)
    assert "Released the legal hold of 1 run." in done.content.decode()
    assert RebalanceRun.objects.get(pk=run.pk).held_at is None
