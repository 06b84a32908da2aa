"""The access log in the admin: readable, never writable, not even by a superuser."""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from access_control import audit
from access_control.admin import AccessEventAdmin, CappedCountPaginator
from access_control.models import AccessEvent

pytestmark = pytest.mark.django_db

EVENTS = "/admin/access_control/accessevent/"


@pytest.fixture
def events():
    audit.record(actor="api:alice", action=audit.LOOKUP_RUN, target="rr_evt00001", outcome=200,
                 correlation_id="corr-evt-1", source_address="10.0.0.1")
    audit.record(actor="api:bob", action=audit.AUTHENTICATION_FAILED, target="GET /rebalance/runs/x y",
                 outcome=401, correlation_id="corr-evt-2")
    audit.record(actor="cli:ops", action=audit.EXPORT_RUNS, target="status=READY", outcome=0)
    return list(AccessEvent.objects.order_by("id"))


def _snapshot():
    return list(AccessEvent.objects.order_by("id").values())


def test_superuser_can_list_and_view_events(admin_client, events):
    html = admin_client.get(EVENTS).content.decode()
    for text in ("api:alice", "rr_evt00001", "corr-evt-1", "10.0.0.1", "api:bob", "cli:ops"):
        assert text in html
    page = admin_client.get(f"{EVENTS}{events[0].pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()


def test_superuser_cannot_add_change_or_delete_events(admin_client, events):
    event = events[0]
    before = _snapshot()
    assert admin_client.get(f"{EVENTS}add/").status_code == 403
    assert admin_client.post(f"{EVENTS}add/", {"actor": "admin:forged", "action": "x", "outcome": 200}).status_code == 403
    assert admin_client.post(
        f"{EVENTS}{event.pk}/change/", {"actor": "api:someone-else", "target": "", "outcome": 200}
    ).status_code == 403
    assert admin_client.get(f"{EVENTS}{event.pk}/delete/").status_code == 403
    assert admin_client.post(f"{EVENTS}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    # No bulk actions, so no delete_selected either.
    html = admin_client.get(EVENTS).content.decode()
    assert 'name="action"' not in html and 'name="_selected_action"' not in html
    assert admin_client.post(
        EVENTS, {"action": "delete_selected", "_selected_action": [e.pk for e in events], "post": "yes"}
    ).status_code in (200, 302)
    # Nothing changed: the views recorded events of their own, but the old rows are intact.
    assert _snapshot()[: len(before)] == before
    assert not AccessEvent.objects.filter(actor="admin:forged").exists()


def test_permissions_say_no_to_writes_for_everyone(admin_user, rf):
    request = rf.get(EVENTS)
    request.user = admin_user
    model_admin = AccessEventAdmin(AccessEvent, admin.site)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert model_admin.get_actions(request) == {}


def test_staff_with_view_permission_reads_the_log(events):
    auditor = User.objects.create_user("auditor", password="pw", is_staff=True)
    auditor.user_permissions.add(Permission.objects.get(codename="view_accessevent"))
    browser = Client()
    browser.force_login(auditor)
    assert browser.get(EVENTS).status_code == 200
    assert browser.post(f"{EVENTS}{events[0].pk}/delete/", {"post": "yes"}).status_code == 403
    outsider = User.objects.create_user("outsider", password="pw", is_staff=True)
    browser.force_login(outsider)
    assert browser.get(EVENTS).status_code == 403


def test_filters_by_action_outcome_and_date(admin_client, events):
    html = admin_client.get(EVENTS, {"action": audit.AUTHENTICATION_FAILED}).content.decode()
    assert "api:bob" in html and "api:alice" not in html
    html = admin_client.get(EVENTS, {"outcome": "200"}).content.decode()
    assert "api:alice" in html and "api:bob" not in html and "cli:ops" not in html
    html = admin_client.get(EVENTS, {"outcome": "0"}).content.decode()
    assert "cli:ops" in html and "api:alice" not in html
    today = datetime.now(UTC).date()
    html = admin_client.get(EVENTS, {"occurred_at__gte": f"{today} 00:00:00+00:00"}).content.decode()
    assert "api:alice" in html
    html = admin_client.get(EVENTS, {"occurred_at__lt": "2000-01-01 00:00:00+00:00"}).content.decode()
    assert "api:alice" not in html


def test_filter_choices_are_fixed_not_read_from_the_table(admin_client, events):
    with CaptureQueriesContext(connection) as ctx:
        html = admin_client.get(EVENTS, {"_facets": "1"}).content.decode()
    distinct = [q["sql"] for q in ctx.captured_queries if "DISTINCT" in q["sql"].upper() and "accessevent" in q["sql"]]
    assert not distinct
    # No "Show counts" (a COUNT per filter choice over the whole table).
    assert "Show counts" not in html
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper() and "accessevent" in q["sql"]]
    assert len(counts) == 1, counts  # the capped paginator's


def test_only_the_indexed_time_column_sorts(admin_client, events):
    html = admin_client.get(EVENTS).content.decode()
    assert 'class="sortable column-occurred' in html
    for column in ("actor", "action", "target", "outcome"):
        assert f'class="sortable column-{column}' not in html
    # A crafted ordering parameter on another column is ignored.
    html = admin_client.get(EVENTS, {"o": "2"}).content.decode()
    assert html.index("cli:ops") < html.index("api:alice")  # still newest first


def test_search_is_exact_on_actor_target_and_correlation_id(admin_client, events):
    for term, expected in (
        ("api:alice", "rr_evt00001"),
        ("rr_evt00001", "api:alice"),
        ("corr-evt-1", "api:alice"),
        ("GET /rebalance/runs/x y", "api:bob"),
    ):
        assert expected in admin_client.get(EVENTS, {"q": term}).content.decode(), term
    for term in ("alice", "API:ALICE", "rr_evt"):
        html = admin_client.get(EVENTS, {"q": term}).content.decode()
        assert "rr_evt00001</td>" not in html, term


def test_changelist_counts_with_a_cap(admin_client, events):
    assert AccessEventAdmin.paginator is CappedCountPaginator
    assert AccessEventAdmin.show_full_result_count is False
    with CaptureQueriesContext(connection) as ctx:
        admin_client.get(EVENTS)
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper() and "accessevent" in q["sql"]]
    assert counts and all(re.search(r"LIMIT \d+", q) for q in counts), counts


def test_reading_the_log_is_itself_logged(admin_client, events, admin_user):
    before = AccessEvent.objects.count()
    admin_client.get(EVENTS, {"q": "api:alice"})
    admin_client.get(f"{EVENTS}{events[0].pk}/change/")
    new = list(AccessEvent.objects.order_by("id")[before:])
    assert [(e.actor, e.action, e.target, e.outcome) for e in new] == [
        (f"admin:{admin_user.username}", audit.ADMIN_SEARCH, "api:alice", 200),
        (f"admin:{admin_user.username}", audit.ADMIN_VIEW, str(events[0].pk), 200),
    ]
