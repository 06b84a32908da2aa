"""Routes of the support lookups (GET /rebalance/runs/...).

The by-correlation and idempotency routes come before the run-id route, which
would otherwise match them; without a further segment they fall through to the
run-id route and answer DPM_RUN_NOT_FOUND (api spec §2.9). No trailing slash;
a trailing slash on one of these routes is answered with a 307 to the path
without it. The workbench routes (listing, key history, support bundle, verify)
come first: their extra segment keeps them apart from the lookups.
"""
from django.urls import path, re_path

from .views import RunLookupViewSet, redirect_without_trailing_slash
from .workbench_views import IdempotencyHistoryView, RunListView, SupportBundleView, VerifyRunView

urlpatterns = [
    path("rebalance/runs", RunListView.as_view(), name="dpm-run-list"),
    path(
        "rebalance/runs/idempotency/<str:idempotency_key>/history",
        IdempotencyHistoryView.as_view(),
        name="dpm-idempotency-history",
    ),
    path(
        "rebalance/runs/<str:rebalance_run_id>/support-bundle",
        SupportBundleView.as_view(),
        name="dpm-run-support-bundle",
    ),
    path("rebalance/runs/<str:rebalance_run_id>/verify", VerifyRunView.as_view(), name="dpm-run-verify"),
    path(
        "rebalance/runs/by-correlation/<str:correlation_id>",
        RunLookupViewSet.as_view({"get": "by_correlation"}),
        name="dpm-run-by-correlation",
    ),
    path(
        "rebalance/runs/idempotency/<str:idempotency_key>",
        RunLookupViewSet.as_view({"get": "by_idempotency_key"}),
        name="dpm-run-by-idempotency-key",
    ),
    path(
        "rebalance/runs/<str:rebalance_run_id>",
        RunLookupViewSet.as_view({"get": "retrieve"}),
        name="dpm-run-detail",
    ),
    re_path(
        r"^rebalance/runs/(?:(?:by-correlation|idempotency)/)?[^/]+/$",
        redirect_without_trailing_slash,
    ),
    # The workbench routes, likewise (307 keeps the method of a POST .../verify/).
    re_path(
        r"^rebalance/runs(?:/idempotency/[^/]+/history|/[^/]+/(?:support-bundle|verify))?/$",
        redirect_without_trailing_slash,
    ),
]
