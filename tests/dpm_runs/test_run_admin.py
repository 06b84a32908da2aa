"""Read-only admin of runs and idempotency records."""
from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dpm_runs.admin import CappedCountPaginator
from dpm_runs.models import IdempotencyRecord, RebalanceRun

pytestmark = pytest.mark.django_db

HASH = "sha256:" + "d" * 64
RUNS = "/admin/dpm_runs/rebalancerun/"
RECORDS = "/admin/dpm_runs/idempotencyrecord/"


@pytest.fixture
def recorded(repo, make_run):
    body = (
        '{"rebalance_run_id":"rr_adm00001","correlation_id":"corr-adm","status":"BLOCKED",'
        '"note":"<script>alert(1)</script>"}'
    )
    run = repo.record_simulate_run(
        "key-adm", make_run(run_id="rr_adm00001", correlation_id="corr-adm", status="BLOCKED", request_hash=HASH, response_body=body)
    )
    repo.record_analyze_run(make_run(run_id="rr_adm00002", correlation_id="corr-other"), batch_run_id="batch_adm")
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


def test_search_takes_the_whole_term_including_spaces(admin_client, repo, make_run):
    repo.record_simulate_run("a b", make_run(run_id="rr_spaced01", request_hash=HASH))
    repo.record_simulate_run("a", make_run(run_id="rr_spaced02", request_hash=HASH))
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


def test_record_changelist_and_change_page_link_to_the_run(admin_client, recorded, repo):
    repo.claim("key-in-flight", HASH)
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
    html = admin_client.get(RUNS).content.decode()
    assert 'name="action"' not in html  # no bulk actions


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


def test_paginator_count_stops_at_its_cap(repo, make_run, monkeypatch):
    for _ in range(5):
        repo.record_analyze_run(make_run(), batch_run_id="b")
    monkeypatch.setattr(CappedCountPaginator, "max_count", 3)
    paginator = CappedCountPaginator(RebalanceRun.objects.order_by("-created_at", "-id"), 2)
    with CaptureQueriesContext(connection) as ctx:
        assert paginator.count == 3
    assert re.search(r"LIMIT 3", ctx.captured_queries[0]["sql"])
    assert paginator.num_pages == 2
