"""Read-only admin of runs and idempotency records, and the access events its views write."""
from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from access_control.models import AccessEvent, ApiClient
from dpm_runs.admin import CappedCountPaginator
from dpm_runs.models import IdempotencyRecord, RebalanceRun

pytestmark = pytest.mark.django_db

HASH = "sha256:" + "d" * 64
RUNS = "/admin/dpm_runs/rebalancerun/"
RECORDS = "/admin/dpm_runs/idempotencyrecord/"


@pytest.fixture
def run_owner(db) -> ApiClient:
    """The API client owning the runs of these tests."""
    return ApiClient.objects.create(name="admin-run-owner", roles=["simulate"])


@pytest.fixture
def recorded(repo, make_run, run_owner):
    body = (
        '{"rebalance_run_id":"rr_adm00001","correlation_id":"corr-adm","status":"BLOCKED",'
        '"note":"<script>alert(1)</script>"}'
    )
    run = repo.record_simulate_run(
        run_owner.pk, "key-adm", make_run(run_id="rr_adm00001", correlation_id="corr-adm", status="BLOCKED", request_hash=HASH, response_body=body)
    )
    repo.record_analyze_run(
        run_owner.pk, make_run(run_id="rr_adm00002", correlation_id="corr-other"), batch_run_id="batch_adm"
    )
    return run


def _selects(captured) -> str:
    return " ".join(q["sql"] for q in captured if q["sql"].lstrip().upper().startswith("SELECT"))


def test_run_changelist_lists_metadata_without_json_or_full_count(admin_client, recorded):
    with CaptureQueriesContext(connection) as ctx:
        response = admin_client.get(RUNS)
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("rr_adm00001", "key-adm", "corr-adm", "BLOCKED", "rr_adm00002"):
        assert text in html
    sql = _selects(ctx.captured_queries)
    assert "dpm_runs_rebalancerun" in sql
    for column in ('"result"', '"response_body"', '"request"'):
        assert column not in sql
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper() and "dpm_runs" in q["sql"]]
    assert counts, "the paginator counts (with a cap)"
    assert all("LIMIT" in q.upper() for q in counts), counts


def test_run_search_is_exact_and_case_sensitive(admin_client, recorded):
    for term in ("rr_adm00001", "corr-adm", "key-adm", HASH, "pf_1"):
        html = admin_client.get(RUNS, {"q": term}).content.decode()
        assert "rr_adm00001" in html, term
    assert "rr_adm00001" not in admin_client.get(RUNS, {"q": "RR_ADM00001"}).content.decode()
    assert "rr_adm00001" not in admin_client.get(RUNS, {"q": "rr_adm"}).content.decode()
    html = admin_client.get(RUNS, {"q": "batch_adm"}).content.decode()
    assert "rr_adm00002" in html and "rr_adm00001" not in html


def test_search_takes_the_whole_term_including_spaces(admin_client, repo, make_run, run_owner):
    repo.record_simulate_run(run_owner.pk, "a b", make_run(run_id="rr_spaced01", request_hash=HASH))
    repo.record_simulate_run(run_owner.pk, "a", make_run(run_id="rr_spaced02", request_hash=HASH))
    html = admin_client.get(RUNS, {"q": " a b "}).content.decode()
    assert "rr_spaced01" in html and "rr_spaced02" not in html
    html = admin_client.get(RECORDS, {"q": "a b"}).content.decode()
    assert "rr_spaced01" in html and "rr_spaced02" not in html


def test_run_filters(admin_client, recorded):
    html = admin_client.get(RUNS, {"status__exact": "BLOCKED"}).content.decode()
    assert "rr_adm00001" in html and "rr_adm00002" not in html
    day = {"created_at__gte": "2026-11-28 00:00:00+00:00", "created_at__lt": "2026-11-29 00:00:00+00:00"}
    assert "rr_adm00001" in admin_client.get(RUNS, day).content.decode()
    next_day = {"created_at__gte": "2026-11-29 00:00:00+00:00", "created_at__lt": "2026-11-30 00:00:00+00:00"}
    assert "rr_adm00001" not in admin_client.get(RUNS, next_day).content.decode()


def test_run_change_page_is_read_only_with_pretty_escaped_json(admin_client, recorded):
    run = RebalanceRun.objects.get(rebalance_run_id="rr_adm00001")
    record = IdempotencyRecord.objects.get(key="key-adm")
    response = admin_client.get(f"{RUNS}{run.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<pre>{\n  &quot;rebalance_run_id&quot;: &quot;rr_adm00001&quot;," in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    assert f'href="{RECORDS}{record.pk}/change/"' in html
    assert 'name="_save"' not in html  # view only
    assert "&quot;options&quot;" in html  # the canonical request


def test_record_changelist_and_change_page_link_to_the_run(admin_client, recorded, repo, run_owner):
    repo.claim(run_owner.pk, "key-in-flight", HASH)
    with CaptureQueriesContext(connection) as ctx:
        response = admin_client.get(RECORDS)
    assert response.status_code == 200
    html = response.content.decode()
    run = RebalanceRun.objects.get(rebalance_run_id="rr_adm00001")
    assert f'href="{RUNS}{run.pk}/change/"' in html
    assert "key-in-flight" in html and "IN_PROGRESS" in html
    sql = _selects(ctx.captured_queries)
    for column in ('"result"', '"response_body"', '"request"'):
        assert column not in sql

    record = IdempotencyRecord.objects.get(key="key-adm")
    page = admin_client.get(f"{RECORDS}{record.pk}/change/")
    assert page.status_code == 200
    assert f'href="{RUNS}{run.pk}/change/"' in page.content.decode()
    by_run_id = admin_client.get(RECORDS, {"q": "rr_adm00001"}).content.decode()
    assert "key-adm" in by_run_id and "key-in-flight" not in by_run_id
    by_hash = admin_client.get(RECORDS, {"q": HASH}).content.decode()
    assert "key-adm" in by_hash and "key-in-flight" in by_hash
    assert "key-adm" not in admin_client.get(RECORDS, {"q": "rr_nothing"}).content.decode()
    assert admin_client.get(RECORDS, {"state__exact": "IN_PROGRESS"}).status_code == 200


def test_nothing_can_be_added_changed_or_deleted(admin_client, recorded):
    run = RebalanceRun.objects.get(rebalance_run_id="rr_adm00001")
    record = IdempotencyRecord.objects.get(key="key-adm")
    assert admin_client.get(f"{RUNS}add/").status_code == 403
    assert admin_client.get(f"{RECORDS}add/").status_code == 403
    assert admin_client.get(f"{RUNS}{run.pk}/delete/").status_code == 403
    assert admin_client.get(f"{RECORDS}{record.pk}/delete/").status_code == 403
    assert admin_client.post(f"{RUNS}{run.pk}/change/", {"status": "READY"}).status_code == 403
    assert RebalanceRun.objects.get(pk=run.pk).status == "BLOCKED"
    # The only bulk actions are the legal hold's (tests/dpm_runs/test_run_admin_actions.py).
    html = admin_client.get(RUNS).content.decode()
    actions = re.findall(r'<option value="([a-z_]+)">', html)
    assert actions == ["place_hold_on_selected", "release_hold_on_selected"]


def test_support_user_with_view_permission_can_browse(client, recorded):
    user = User.objects.create_user("support", password="pw", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_rebalancerun", "view_idempotencyrecord"])
    )
    client.force_login(user)
    assert client.get(RUNS).status_code == 200
    run = RebalanceRun.objects.get(rebalance_run_id="rr_adm00001")
    assert client.get(f"{RUNS}{run.pk}/change/").status_code == 200
    assert client.get(f"{RUNS}add/").status_code == 403


def test_paginator_count_stops_at_its_cap(repo, make_run, run_owner, monkeypatch):
    for _ in range(5):
        repo.record_analyze_run(run_owner.pk, make_run(), batch_run_id="b")
    monkeypatch.setattr(CappedCountPaginator, "max_count", 3)
    paginator = CappedCountPaginator(RebalanceRun.objects.order_by("-created_at", "-id"), 2)
    with CaptureQueriesContext(connection) as ctx:
        assert paginator.count == 3
    assert re.search(r"LIMIT 3", ctx.captured_queries[0]["sql"])
    assert paginator.num_pages == 2


# --- The owning client -------------------------------------------------------


def test_run_and_record_pages_show_the_owning_client(admin_client, recorded, run_owner, repo, make_run):
    other = ApiClient.objects.create(name="admin-other-owner", roles=["simulate"])
    repo.record_analyze_run(other.pk, make_run(run_id="rr_adm00003"), batch_run_id="batch_other")
    client_url = f"/admin/access_control/apiclient/{run_owner.pk}/change/"

    assert "admin-run-owner" in admin_client.get(RUNS).content.decode()
    mine = admin_client.get(RUNS, {"client__id__exact": run_owner.pk}).content.decode()
    assert "rr_adm00001" in mine and "rr_adm00003" not in mine
    theirs = admin_client.get(RUNS, {"client__id__exact": other.pk}).content.decode()
    assert "rr_adm00003" in theirs and "rr_adm00001" not in theirs

    run = RebalanceRun.objects.get(rebalance_run_id="rr_adm00001")
    assert f'href="{client_url}"' in admin_client.get(f"{RUNS}{run.pk}/change/").content.decode()

    record = IdempotencyRecord.objects.get(key="key-adm")
    assert "admin-run-owner" in admin_client.get(RECORDS).content.decode()
    assert f'href="{client_url}"' in admin_client.get(f"{RECORDS}{record.pk}/change/").content.decode()
    assert "key-adm" not in admin_client.get(RECORDS, {"client__id__exact": other.pk}).content.decode()


def test_no_facet_counts_on_large_tables(admin_client, recorded):
    for url in (RUNS, RECORDS):
        with CaptureQueriesContext(connection) as ctx:
            html = admin_client.get(url, {"_facets": "1"}).content.decode()
        assert "Show counts" not in html
        counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper() and "dpm_runs" in q["sql"]]
        assert len(counts) == 1, counts  # the capped paginator's


def test_changelist_joins_the_client_in_the_same_query(admin_client, recorded):
    with CaptureQueriesContext(connection) as ctx:
        admin_client.get(RUNS)
    client_selects = [
        q["sql"] for q in ctx.captured_queries
        if q["sql"].lstrip().upper().startswith("SELECT") and "access_control_apiclient" in q["sql"]
        and "dpm_runs_rebalancerun" not in q["sql"]
    ]
    # One query lists the clients for the filter; none fetches a client per row.
    assert len(client_selects) <= 1, client_selects


# --- Access events of admin views --------------------------------------------


def _events():
    return list(AccessEvent.objects.order_by("id"))


def test_each_changelist_search_and_change_view_writes_one_event(admin_client, recorded, admin_user):
    run = RebalanceRun.objects.get(rebalance_run_id="rr_adm00001")
    record = IdempotencyRecord.objects.get(key="key-adm")
    headers = {"X-Correlation-Id": "corr-admin-view"}
    before = AccessEvent.objects.count()

    pages = [
        (RUNS, {}, "admin.changelist", RUNS),
        (RUNS, {"status__exact": "BLOCKED"}, "admin.changelist", f"{RUNS}?status__exact=BLOCKED"),
        (RUNS, {"q": " key-adm "}, "admin.search", "key-adm"),
        (f"{RUNS}{run.pk}/change/", {}, "admin.view", "rr_adm00001"),
        (RECORDS, {}, "admin.changelist", RECORDS),
        (RECORDS, {"q": "a b"}, "admin.search", "a b"),
        (f"{RECORDS}{record.pk}/change/", {}, "admin.view", "key-adm"),
    ]
    for url, params, action, target in pages:
        assert admin_client.get(url, params, headers=headers).status_code == 200
        event = _events()[-1]
        assert (event.action, event.target) == (action, target), url
        assert event.actor == f"admin:{admin_user.username}"
        assert event.outcome == 200
        assert event.correlation_id == "corr-admin-view"
        assert event.source_address == "127.0.0.1"
    assert AccessEvent.objects.count() == before + len(pages)


def test_a_missing_run_is_recorded_with_the_id_asked_for(admin_client, recorded):
    response = admin_client.get(f"{RUNS}999999/change/")
    assert response.status_code == 302  # Django's "does not exist" redirect to the index
    event = _events()[-1]
    assert (event.action, event.target, event.outcome) == ("admin.view", "999999", 302)


def test_pages_other_than_runs_and_records_write_no_event(admin_client, recorded):
    run = RebalanceRun.objects.get(rebalance_run_id="rr_adm00001")
    before = AccessEvent.objects.count()
    for url in (
        "/admin/",
        "/admin/dpm_runs/",
        "/admin/access_control/apiclient/",
        "/admin/auth/user/",
        f"{RUNS}{run.pk}/history/",
    ):
        assert admin_client.get(url).status_code == 200, url
    assert AccessEvent.objects.count() == before


def test_view_only_staff_reads_are_recorded_and_refusals_too(recorded):
    from django.test import Client

    support = User.objects.create_user("support", password="pw", is_staff=True)
    support.user_permissions.add(Permission.objects.get(codename="view_rebalancerun"))
    browser = Client()
    browser.force_login(support)
    run = RebalanceRun.objects.get(rebalance_run_id="rr_adm00001")

    assert browser.get(f"{RUNS}{run.pk}/change/").status_code == 200
    event = _events()[-1]
    assert (event.actor, event.action, event.target, event.outcome) == (
        "admin:support", "admin.view", "rr_adm00001", 200,
    )
    # Still read-only: a POST to the change page is refused and changes nothing.
    assert browser.post(f"{RUNS}{run.pk}/change/", {"status": "READY"}).status_code == 403
    assert RebalanceRun.objects.get(pk=run.pk).status == "BLOCKED"

    # No permission on idempotency records: refused, and the refusal is recorded.
    assert browser.get(RECORDS).status_code == 403
    event = _events()[-1]
    assert (event.actor, event.action, event.outcome) == ("admin:support", "admin.changelist", 403)


# --- Filters for large tables: exact text boxes, a date range, legal hold -------------


def test_portfolio_filter_is_an_exact_text_box_not_a_list_of_values(admin_client, repo, make_run, run_owner):
    repo.record_analyze_run(run_owner.pk, make_run(run_id="rr_pf000001", portfolio_id="pf A"), batch_run_id="b1")
    repo.record_analyze_run(run_owner.pk, make_run(run_id="rr_pf000002", portfolio_id="pf AB"), batch_run_id="b1")
    with CaptureQueriesContext(connection) as ctx:
        html = admin_client.get(RUNS, {"portfolio_id": "pf A", "status__exact": "READY"}).content.decode()
    assert "rr_pf000001" in html and "rr_pf000002" not in html
    # The sidebar draws a form that keeps the other filter, and lists no portfolio values.
    assert '<input type="text" name="portfolio_id" value="pf A"' in html
    assert '<input type="hidden" name="status__exact" value="READY">' in html
    sql = _selects(ctx.captured_queries)
    assert "DISTINCT" not in sql.upper()
    assert "rr_pf000002" not in admin_client.get(RUNS, {"portfolio_id": "pf"}).content.decode()


def test_created_between_filter_takes_whole_utc_days(admin_client, recorded, clock, repo, make_run, run_owner):
    clock.advance(2 * 86400)  # 2026-11-30
    repo.record_analyze_run(run_owner.pk, make_run(run_id="rr_later001"), batch_run_id="b2")
    both = admin_client.get(RUNS, {"created_from": "2026-11-28", "created_to": "2026-11-30"}).content.decode()
    assert "rr_adm00001" in both and "rr_later001" in both
    first = admin_client.get(RUNS, {"created_to": "2026-11-28"}).content.decode()
    assert "rr_adm00001" in first and "rr_later001" not in first
    last = admin_client.get(RUNS, {"created_from": "2026-11-29"}).content.decode()
    assert "rr_adm00001" not in last and "rr_later001" in last
    # A bad date: Django's "incorrect filter" answer, not an error page.
    response = admin_client.get(RUNS, {"created_from": "yesterday"})
    assert response.status_code == 302 and response["Location"].endswith("?e=1")


def test_held_filter(admin_client, recorded):
    from dpm_runs.holds import place_hold

    place_hold(["rr_adm00001"], "case 12", "admin:test")
    held = admin_client.get(RUNS, {"held": "yes"}).content.decode()
    assert "rr_adm00001" in held and "rr_adm00002" not in held
    assert "on hold" in held
    free = admin_client.get(RUNS, {"held": "no"}).content.decode()
    assert "rr_adm00001" not in free and "rr_adm00002" in free


def test_other_field_lookups_in_the_query_string_are_refused(admin_client, recorded):
    # e.g. a substring search through the stored JSON would read the whole table.
    for params in ({"response_body__contains": "x"}, {"portfolio_id__icontains": "pf"}, {"request__isnull": "0"}):
        assert admin_client.get(RUNS, params).status_code == 400, params
