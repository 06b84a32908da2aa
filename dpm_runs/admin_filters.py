"""Sidebar filters of the run changelist that stay cheap on millions of rows.

Django's field filters list every distinct value of their column, which on a
portfolio or correlation id means a scan of the whole table just to draw the
sidebar. These filters draw a text box instead and compare the whole value
with ``=``, served by the index leading with that column. The date range is a
range of ``created_at`` (dpm_run_created_idx); "held" is ``held_at IS [NOT]
NULL``.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import PAGE_VAR


def _last(value) -> str:
    # Django passes the changelist's parameters as lists of values.
    if isinstance(value, list):
        value = value[-1] if value else ""
    return (value or "").strip()


def _kept_parameters(changelist, replaced: tuple[str, ...]) -> list[tuple[str, str]]:
    """The changelist's other parameters (search, other filters, order), kept by a filter's form."""
    return [
        (name, value)
        for name, values in changelist.filter_params.items()
        if name not in replaced and name != PAGE_VAR
        for value in values
    ]


class ExactValueFilter(admin.ListFilter):
    """A text box; the changelist keeps rows whose ``field_name`` equals the whole text."""

    template = "dpm_runs/filters/exact_value.html"
    field_name: str
    placeholder = ""

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.value = _last(params.pop(self.field_name, None))

    def has_output(self) -> bool:
        return True

    def expected_parameters(self) -> list[str]:
        return [self.field_name]

    def queryset(self, request, queryset):
        if self.value:
            return queryset.filter(**{self.field_name: self.value})
        return queryset

    def choices(self, changelist):
        # One "choice": what the template needs to draw its form.
        yield {
            "fields": [(self.field_name, self.value, self.placeholder)],
            "kept": _kept_parameters(changelist, (self.field_name,)),
            "active": bool(self.value),
            "clear_url": changelist.get_query_string(remove=[self.field_name]),
        }


class PortfolioFilter(ExactValueFilter):
    title = "portfolio id"
    field_name = "portfolio_id"
    placeholder = "exact portfolio id"


class CorrelationFilter(ExactValueFilter):
    title = "correlation id"
    field_name = "correlation_id"
    placeholder = "exact correlation id"


class BatchFilter(ExactValueFilter):
    title = "batch run id"
    field_name = "batch_run_id"
    placeholder = "exact batch run id"


class CreatedBetweenFilter(admin.ListFilter):
    """Runs created from one UTC day to another, both days included."""

    title = "created between (UTC days)"
    template = "dpm_runs/filters/exact_value.html"
    from_parameter = "created_from"
    to_parameter = "created_to"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.start = _last(params.pop(self.from_parameter, None))
        self.end = _last(params.pop(self.to_parameter, None))

    def has_output(self) -> bool:
        return True

    def expected_parameters(self) -> list[str]:
        return [self.from_parameter, self.to_parameter]

    def queryset(self, request, queryset):
        if self.start:
            queryset = queryset.filter(created_at__gte=_day_start(self.start))
        if self.end:
            queryset = queryset.filter(created_at__lt=_day_start(self.end) + timedelta(days=1))
        return queryset

    def choices(self, changelist):
        yield {
            "fields": [
                (self.from_parameter, self.start, "from"),
                (self.to_parameter, self.end, "to (included)"),
            ],
            "input_type": "date",
            "kept": _kept_parameters(changelist, (self.from_parameter, self.to_parameter)),
            "active": bool(self.start or self.end),
            "clear_url": changelist.get_query_string(remove=[self.from_parameter, self.to_parameter]),
        }


def _day_start(text: str) -> datetime:
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        # The changelist answers with its "?e=1" page instead of a 500.
        raise IncorrectLookupParameters(f"not a date: {text!r}") from exc
    return datetime.combine(day, time.min, tzinfo=UTC)


class HeldFilter(admin.SimpleListFilter):
    """Runs on legal hold (retention keeps them) or not."""

    title = "legal hold"
    parameter_name = "held"

    def lookups(self, request, model_admin):
        return [("yes", "On hold"), ("no", "Not on hold")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(held_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(held_at__isnull=True)
        return queryset
