"""Read-only Django admin for recorded runs and idempotency records.

Built for tables of millions of rows (shared/conventions.md, "Admin on large
tables"):

* the changelist selects no JSON column (``.only()`` of the listed columns);
* no full-table COUNT(*): ``show_full_result_count`` is off and the paginator
  counts at most ``CappedCountPaginator.max_count`` rows;
* a search is one exact, case-sensitive value matched against indexed id
  columns (see ``access_control.admin.ReadOnlyAdmin``). Django's own search
  would split the term at spaces (keys may contain them), and its ``=``
  prefix means ``iexact``, i.e. ``UPPER(col) = UPPER(term)`` on PostgreSQL,
  which no b-tree index serves;
* filters are on low-cardinality columns and dates, or are text boxes matched
  exactly against an indexed column (portfolio, correlation and batch id;
  ``admin_filters``); no ``date_hierarchy``, whose distinct-dates query scans
  the whole table, and no other field lookups in the query string.

Support staff get Django's "view" permission; nobody can add, change or delete
here. A run's page reads its stored result for them (``admin_result``,
``admin_chart``, the template ``admin/dpm_runs/rebalancerun/change_form.html``)
above the raw JSON, and offers the support actions of ``admin_actions``:
support bundle (view permission), verify (``dpm_runs.verify_rebalancerun``),
legal hold and release (``dpm_runs.hold_rebalancerun``; also as changelist
actions, the only bulk actions here).

Every changelist view, search and change view writes one access event
(``admin:<username>``; see ``access_control.admin.AccessLoggedAdminMixin``):
runs hold clients' portfolios.

Each run and idempotency record shows its owning API client. The client
filter lists the clients (a small table); filtering by one uses the indexes
that lead with the client column.
"""
from __future__ import annotations

import json
from datetime import UTC
from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join

# CappedCountPaginator is re-exported: the paginator of this admin.
from access_control.admin import AccessLoggedAdminMixin, CappedCountPaginator, ReadOnlyAdmin  # noqa: F401

from .admin_actions import RunSupportActionsMixin
from .admin_chart import allocation_chart
from .admin_filters import (
    BatchFilter,
    CorrelationFilter,
    CreatedBetweenFilter,
    HeldFilter,
    PortfolioFilter,
)
from .admin_result import digest
from .models import IdempotencyRecord, RebalanceRun


def _pretty_json(value) -> str:
    # format_html escapes the text: stored values come from clients.
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False))


def _change_url(obj) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


def _client_name(client) -> str:
    # Names hold '-' and '.': kept on one line rather than broken at each.
    return format_html('<span style="white-space: nowrap">{}</span>', client.name)


def _admin_link(obj, text: str) -> str:
    return format_html('<a href="{}">{}</a>', _change_url(obj), text)


# Related runs are counted up to this many on a run's page (an index range each).
RELATED_COUNT_CAP = 100


@admin.register(RebalanceRun)
class RebalanceRunAdmin(RunSupportActionsMixin, AccessLoggedAdminMixin, ReadOnlyAdmin):
    list_display = (
        "rebalance_run_id",
        "client_name",
        "portfolio_id",
        "status",
        "held",
        "correlation_id",
        "idempotency_key",
        "created_at",
    )
    list_filter = (
        "status",
        HeldFilter,
        PortfolioFilter,
        CreatedBetweenFilter,
        ("created_at", admin.DateFieldListFilter),
        CorrelationFilter,
        BatchFilter,
        "client",
    )
    # Only holds can be applied in bulk, and only by those with the hold permission.
    actions = ("place_hold_on_selected", "release_hold_on_selected")
    exact_search_fields = (
        "rebalance_run_id",
        "correlation_id",
        "idempotency_key",
        "portfolio_id",
        "request_hash",
        "batch_run_id",
    )
    search_help_text = (
        "Exact, case-sensitive match on run id, correlation id, idempotency key, "
        "portfolio id, request hash or batch run id."
    )
    # Ordered by an index; Django appends -pk, which the index also covers.
    ordering = ("-created_at", "-id")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "rebalance_run_id",
                    "client",
                    "status",
                    "portfolio_id",
                    "correlation_id",
                    "request_hash",
                    "idempotency_key",
                    "idempotency_record_link",
                    "batch_run_id",
                    "created_at",
                    "engine_version",
                    "legal_hold",
                )
            },
        ),
        # The readable summary (change_form.html) goes between these two.
        # Folded: 30,000 characters of it would bury the page; one click opens it.
        ("Stored JSON", {"fields": ("result_json", "request_json"), "classes": ("collapse",)}),
    )
    readonly_fields = tuple(f for _, options in fieldsets for f in options["fields"])

    # Query parameters the changelist accepts: its filters', nothing else. Any
    # other field lookup (``?request__icontains=``) would scan the whole table.
    allowed_lookups = frozenset(
        {
            "status__exact",
            "held",
            "portfolio_id",
            "created_from",
            "created_to",
            "created_at__gte",
            "created_at__lt",
            "created_at__isnull",
            "correlation_id",
            "batch_run_id",
            "client__id__exact",
            "client__isnull",
        }
    )

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        return lookup in self.allowed_lookups

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if self.is_changelist(request):
            # Results are 20 KB-5 MB each: never fetch them for a list.
            qs = qs.select_related("client").only(
                "id",
                "rebalance_run_id",
                "portfolio_id",
                "status",
                "held_at",
                "correlation_id",
                "idempotency_key",
                "created_at",
                "client__id",
                "client__name",
            )
        return qs

    def audit_target(self, obj: RebalanceRun) -> str:
        return obj.rebalance_run_id

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            summary = digest(obj.response_body)
            context.update(
                summary=summary,
                allocation_chart=allocation_chart(summary.allocation),
                related=self._related(obj),
                action_urls=self.action_urls(obj),
                can_verify=self.has_verify_permission(request, obj),
                can_hold=self.has_hold_permission(request, obj),
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _related(self, obj: RebalanceRun) -> list[dict]:
        """Its idempotency record, and the changelist filtered to its correlation id and batch."""
        links = [
            {"label": "Idempotency record", "value": record.key, "url": _change_url(record), "count": None}
            for record in IdempotencyRecord.objects.filter(run=obj).only("id", "key")[:5]
        ]
        changelist = reverse("admin:dpm_runs_rebalancerun_changelist")
        related = [("Runs with this correlation id", "correlation_id", obj.correlation_id)]
        if obj.batch_run_id:
            related.append(("Runs of this batch", "batch_run_id", obj.batch_run_id))
        for label, field, value in related:
            # Counted through a LIMITed subquery: at most RELATED_COUNT_CAP index entries.
            count = RebalanceRun.objects.filter(**{field: value}).order_by()[: RELATED_COUNT_CAP + 1].count()
            links.append(
                {
                    "label": label,
                    "value": value,
                    "url": f"{changelist}?{urlencode({field: value})}",
                    "count": f"{RELATED_COUNT_CAP}+" if count > RELATED_COUNT_CAP else str(count),
                }
            )
        return links

    # Not sortable: ordering by the client's name would sort the whole table.
    @admin.display(description="client")
    def client_name(self, obj: RebalanceRun) -> str:
        return _client_name(obj.client)

    # Text rather than Django's boolean icons: a red cross on every row that is
    # not held (nearly all of them) would read as an error.
    @admin.display(description="legal hold")
    def held(self, obj: RebalanceRun) -> str:
        return "on hold" if obj.held_at is not None else ""

    @admin.display(description="legal hold")
    def legal_hold(self, obj: RebalanceRun) -> str:
        if obj.held_at is None:
            return "Not on hold."
        return format_html(
            "On hold since {} by {}: {}", f"{obj.held_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC", obj.held_by, obj.hold_reason
        )

    @admin.display(description="result")
    def result_json(self, obj: RebalanceRun) -> str:
        # The text the client received (key order kept), pretty-printed.
        try:
            return _pretty_json(json.loads(obj.response_body))
        except ValueError:
            # A damaged record is shown as it is stored.
            return format_html("<pre>{}</pre>", obj.response_body)

    @admin.display(description="request (canonical)")
    def request_json(self, obj: RebalanceRun) -> str:
        try:
            return _pretty_json(json.loads(obj.request))
        except ValueError:
            return format_html("<pre>{}</pre>", obj.request)

    @admin.display(description="idempotency record")
    def idempotency_record_link(self, obj: RebalanceRun) -> str:
        # Normally one mapping; PROTECT keeps it pointing here.
        records = IdempotencyRecord.objects.filter(run=obj).only("id", "key")[:5]
        if not records:
            return "-"
        return format_html_join(
            ", ", '<a href="{}">{}</a>', ((_change_url(r), r.key) for r in records)
        )


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(AccessLoggedAdminMixin, ReadOnlyAdmin):
    list_display = ("key", "client_name", "state", "run_link", "request_hash", "created_at", "updated_at")
    list_filter = ("state", "client", ("updated_at", admin.DateFieldListFilter))
    exact_search_fields = ("key", "request_hash")
    search_help_text = "Exact, case-sensitive match on key, request hash or run id."

    def search_condition(self, term: str) -> Q:
        # The run id is resolved first: an OR across the join would defeat the
        # indexes (a sequential scan of both tables); two index lookups do not.
        condition = super().search_condition(term)
        run_pks = list(RebalanceRun.objects.filter(rebalance_run_id=term).order_by().values_list("pk", flat=True)[:1])
        if run_pks:
            condition |= Q(run_id=run_pks[0])
        return condition

    ordering = ("-updated_at", "-id")
    fields = (
        "key",
        "client",
        "state",
        "request_hash",
        "run_link",
        "lease_expires_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        # Join the run for its id only, never its JSON columns; the client for its name.
        return (
            super()
            .get_queryset(request)
            .select_related("run", "client")
            .only(
                "id",
                "key",
                "state",
                "request_hash",
                "lease_expires_at",
                "created_at",
                "updated_at",
                "run",
                "run__id",
                "run__rebalance_run_id",
                "client",
                "client__id",
                "client__name",
            )
        )

    def audit_target(self, obj: IdempotencyRecord) -> str:
        return obj.key

    @admin.display(description="client")
    def client_name(self, obj: IdempotencyRecord) -> str:
        return _client_name(obj.client)

    @admin.display(description="run")
    def run_link(self, obj: IdempotencyRecord) -> str:
        if obj.run is None:
            return "-"
        return _admin_link(obj.run, obj.run.rebalance_run_id)
