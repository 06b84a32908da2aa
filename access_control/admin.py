"""Admin of API clients and of the access log, and what the run admin shares with it.

* API clients: create one (name and roles; its first key is shown once, on the
  page answering the save, and stored only hashed), change its roles, issue a
  further key (rotation) and revoke it (irreversible; all its keys with it).
  Keys are listed read-only by prefix, never by hash. Clients are never deleted:
  their runs and the access log refer to them.
* Access events: read-only for everyone, superusers included (no add, change,
  delete or actions), built for a table of millions of rows.
* ``ReadOnlyAdmin`` (capped count, exact indexed search, no writes) and
  ``AccessLoggedAdminMixin`` (one access event per changelist, search and change
  view) are used by the run store's admin too; this app depends on no other.
"""
from __future__ import annotations

from datetime import UTC, datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.views.main import SEARCH_VAR, ChangeList
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from rest_framework_api_key import admin as _api_key_admin  # noqa: F401  (registers APIKey)
from rest_framework_api_key.models import APIKey

from . import audit
from .clients import issue_key, revoke_client
from .models import AccessEvent, ApiClient, ApiKey
from .roles import Role

# djangorestframework-api-key registers its concrete APIKey model, which this
# project does not use (keys are access_control.ApiKey, managed per client).
# Its admin module is imported above, so the registration has happened whatever
# the order of INSTALLED_APPS, and is undone here.
admin.site.unregister(APIKey)


# --- Shared by the admins of large tables ------------------------------------


class CappedCountPaginator(Paginator):
    """A paginator whose count stops at ``max_count`` rows.

    An exact COUNT(*) on a million-row table (or a large filtered part of it)
    reads every matching row on each page view. Counting a LIMITed subquery
    costs at most ``max_count`` index entries. Past the cap the changelist
    shows ``max_count`` results and the pages up to it; narrower filters or a
    search reach the rest.
    """

    max_count = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.max_count].count()


class SortableByChangeList(ChangeList):
    """Honours ``sortable_by`` for the ``o`` parameter too, not only in the headers."""

    def get_ordering_field(self, field_name):
        sortable_by = self.model_admin.sortable_by
        if sortable_by is not None and field_name not in sortable_by:
            return None
        return super().get_ordering_field(field_name)


class ReadOnlyAdmin(admin.ModelAdmin):
    """No add, change, delete or bulk actions; only the view permission applies.

    Searches compare the whole term (spaces included, case-sensitive) with
    ``exact_search_fields``. Django's own search would split the term at
    spaces, and its ``=`` prefix means ``iexact``, i.e. ``UPPER(col) =
    UPPER(term)`` on PostgreSQL, which no b-tree index serves.
    """

    actions = None
    paginator = CappedCountPaginator
    show_full_result_count = False
    # "Show counts" would count every filter choice over the whole table.
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    # Columns compared with ``=`` to the whole search term, OR-ed together.
    exact_search_fields: tuple[str, ...] = ()

    def get_changelist(self, request, **kwargs):
        return SortableByChangeList

    def get_search_fields(self, request):
        # Non-empty so the changelist shows its search box.
        return self.exact_search_fields

    def search_condition(self, term: str) -> Q:
        condition = Q()
        for name in self.exact_search_fields:
            condition |= Q(**{name: term})
        return condition

    def get_search_results(self, request, queryset, search_term):
        """Rows where any of ``exact_search_fields`` equals the whole term."""
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(self.search_condition(term)), False

    @staticmethod
    def is_changelist(request) -> bool:
        match = getattr(request, "resolver_match", None)
        return bool(match and match.url_name and match.url_name.endswith("_changelist"))


def admin_actor(request) -> str:
    return f"admin:{request.user.get_username()}"


class AccessLoggedAdminMixin:
    """Writes one access event for each changelist view, search and change view.

    Action ``admin.search`` (target: the search term) when the changelist was
    searched, else ``admin.changelist`` (target: the path with its filters);
    ``admin.view`` (target: ``audit_target`` of the object) for a change view.
    The outcome is the status code answered; a refusal (403) is recorded too.
    """

    def audit_target(self, obj) -> str:
        return str(obj.pk)

    def changelist_view(self, request, extra_context=None):
        term = request.GET.get(SEARCH_VAR, "").strip()
        if term:
            action, target = audit.ADMIN_SEARCH, term
        else:
            action, target = audit.ADMIN_CHANGELIST, request.get_full_path()
        return self._audited(
            request, action, lambda response: target, super().changelist_view, request, extra_context
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        def target(response) -> str:
            original = (getattr(response, "context_data", None) or {}).get("original")
            # A missing object (Django redirects to the index) or a refusal: the id asked for.
            return self.audit_target(original) if original is not None else str(object_id)

        return self._audited(
            request, audit.ADMIN_VIEW, target, super().change_view, request, object_id, form_url, extra_context
        )

    def _audited(self, request, action, target_of, view, *args):
        try:
            response = view(*args)
        except PermissionDenied:
            audit.record_request(
                request, actor=admin_actor(request), action=action, target=target_of(None), outcome=403
            )
            raise
        audit.record_request(
            request,
            actor=admin_actor(request),
            action=action,
            target=target_of(response),
            outcome=response.status_code,
        )
        return response


# --- Access events --------------------------------------------------------------


class ActionFilter(admin.SimpleListFilter):
    """Fixed choices: Django's default would list the distinct values of the whole table."""

    title = "action"
    parameter_name = "action"
    options = audit.ACTIONS

    def lookups(self, request, model_admin):
        return [(value, value) for value in self.options]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(action=value) if value else queryset


class OutcomeFilter(admin.SimpleListFilter):
    """Fixed choices, for the same reason as ``ActionFilter``."""

    title = "outcome"
    parameter_name = "outcome"
    options = (
        ("200", "200 OK"),
        ("404", "404 not found"),
        ("401", "401 not authenticated"),
        ("403", "403 refused"),
        ("0", "0 command completed"),
    )

    def lookups(self, request, model_admin):
        return self.options

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(outcome=int(value))
        return queryset


@admin.register(AccessEvent)
class AccessEventAdmin(AccessLoggedAdminMixin, ReadOnlyAdmin):
    """The access log, read-only for everyone: views of it are logged too (PCI DSS 10.2.1.3)."""

    list_display = ("occurred", "actor", "action", "target", "outcome", "correlation", "source")
    list_filter = (ActionFilter, OutcomeFilter, ("occurred_at", admin.DateFieldListFilter))
    # Only the indexed order: sorting by another column would sort the whole table.
    sortable_by = ("occurred",)
    exact_search_fields = ("actor", "target", "correlation_id")
    search_help_text = "Exact, case-sensitive match on actor (e.g. api:NAME), target or correlation id."
    # Served by access_event_time_idx, read backwards.
    ordering = ("-occurred_at", "-id")
    fields = ("occurred", "actor", "action", "target", "outcome", "correlation_id", "source_address")
    readonly_fields = fields

    @admin.display(description="occurred at (UTC)", ordering="occurred_at")
    def occurred(self, obj: AccessEvent) -> str:
        # To the second, unlike Django's default "Nov. 30, 2026, 6:27 a.m.".
        return f"{obj.occurred_at.astimezone(UTC):%Y-%m-%d %H:%M:%S}"

    @admin.display(description="correlation id")
    def correlation(self, obj: AccessEvent) -> str:
        # Shortened in the list (the event's page and the search take it whole).
        value = obj.correlation_id
        if len(value) <= 24:
            return value
        return format_html('<span title="{}">{}…</span>', value, value[:23])

    @admin.display(description="source")
    def source(self, obj: AccessEvent) -> str:
        return obj.source_address


# --- API clients ---------------------------------------------------------------------


def _roles_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        choices=Role.choices,
        # "radiolist": the admin's style for option lists, whose labels are not 160px wide.
        widget=forms.CheckboxSelectMultiple(attrs={"class": "radiolist"}),
        help_text="At least one.",
    )


class ApiClientChangeForm(forms.ModelForm):
    roles = _roles_field()

    class Meta:
        model = ApiClient
        fields = ("roles",)

    def clean_roles(self) -> list[str]:
        chosen = set(self.cleaned_data["roles"])
        return [role for role in Role.values if role in chosen]


class KeyExpiryField(forms.IntegerField):
    def __init__(self, **kwargs):
        super().__init__(
            required=False,
            min_value=1,
            label="Key expires after (days)",
            help_text="Leave empty for a key that does not expire.",
            **kwargs,
        )


class ApiClientAddForm(ApiClientChangeForm):
    key_expires_days = KeyExpiryField()

    class Meta:
        model = ApiClient
        fields = ("name", "roles")


class IssueKeyForm(forms.Form):
    key_expires_days = KeyExpiryField()


class ClientStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


def _utc(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _key_status(key: ApiKey, now) -> str:
    if key.revoked:
        return "revoked"
    if key.expiry_date is not None and key.expiry_date <= now:
        return "expired"
    return "active"


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ("name", "roles_display", "status", "usable_keys", "created")
    list_filter = (ClientStatusFilter,)
    search_fields = ("name",)
    ordering = ("name",)
    actions = ("revoke_selected", "issue_new_key")

    # --- pages -------------------------------------------------------------------

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = ApiClientChangeForm if obj is not None else ApiClientAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "roles", "key_expires_days")
        # View-only (revoked, or no change permission): roles as text, not as JSON.
        roles = "roles" if self.has_change_permission(request, obj) else "roles_display"
        return ("name", roles, "status", "created", "keys")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        # The name is in every access event of the client (api:NAME): never renamed.
        return ("name", "roles_display", "status", "created", "keys")

    def has_change_permission(self, request, obj=None) -> bool:
        # A revoked client is final: its page is view-only.
        if obj is not None and obj.revoked_at is not None:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Runs and the access log refer to clients: revoke instead.
        return False

    def get_queryset(self, request):
        now = timezone.now()
        usable = Q(keys__revoked=False) & (Q(keys__expiry_date__isnull=True) | Q(keys__expiry_date__gt=now))
        return super().get_queryset(request).annotate(usable_key_count=Count("keys", filter=usable))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # The add page answers with the key page whichever button is used: offer one.
        context.update(show_save_and_add_another=False, show_save_and_continue=not add)
        if obj is not None:
            context["can_manage_keys"] = obj.revoked_at is None and self.has_change_permission(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            # In the admin's transaction: no client is created without its key.
            request._issued_keys = [issue_key(obj, form.cleaned_data.get("key_expires_days"))]

    def response_add(self, request, obj, post_url_continue=None):
        issued = getattr(request, "_issued_keys", None)
        if issued:
            return self._key_page(request, issued, title="API client created")
        return super().response_add(request, obj, post_url_continue)

    # --- columns -----------------------------------------------------------------

    @admin.display(description="roles")
    def roles_display(self, obj: ApiClient) -> str:
        return ", ".join(obj.roles)

    @admin.display(description="status")
    def status(self, obj: ApiClient) -> str:
        if obj.revoked_at is None:
            return "active"
        return f"revoked {_utc(obj.revoked_at)}"

    @admin.display(description="created", ordering="created_at")
    def created(self, obj: ApiClient) -> str:
        return _utc(obj.created_at)

    @admin.display(description="usable keys", ordering="usable_key_count")
    def usable_keys(self, obj: ApiClient) -> int:
        return obj.usable_key_count

    @admin.display(description="keys")
    def keys(self, obj: ApiClient) -> str:
        # Prefix, dates and state only: the primary key holds the hash, so it is never shown.
        keys = list(
            ApiKey.objects.filter(client=obj).only("prefix", "created", "expiry_date", "revoked").order_by("-created")
        )
        if not keys:
            return "No keys."
        now = timezone.now()
        rows = format_html_join(
            "",
            "<tr><td><code>{}…</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    key.prefix,
                    _utc(key.created),
                    _utc(key.expiry_date) if key.expiry_date else "never",
                    _key_status(key, now),
                )
                for key in keys
            ),
        )
        return format_html(
            '<table class="api-keys"><thead><tr><th>prefix</th><th>created</th><th>expires</th>'
            "<th>state</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    # --- revoking and issuing keys ------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/revoke/",
                self.admin_site.admin_view(self.revoke_view),
                name="%s_%s_revoke" % info,
            ),
            path(
                "<path:object_id>/issue-key/",
                self.admin_site.admin_view(self.issue_key_view),
                name="%s_%s_issue_key" % info,
            ),
        ] + super().get_urls()

    def _client_for_action(self, request, object_id) -> ApiClient:
        client = get_object_or_404(self.get_queryset(request), pk=object_id)
        # Checked without the object: a revoked client gets a message, not a 403.
        if not self.has_change_permission(request):
            raise PermissionDenied
        return client

    def revoke_view(self, request, object_id):
        client = self._client_for_action(request, object_id)
        return self._revoke(request, [client], single=True) or HttpResponseRedirect(
            reverse("admin:access_control_apiclient_change", args=[client.pk])
        )

    def issue_key_view(self, request, object_id):
        client = self._client_for_action(request, object_id)
        return self._issue(request, [client], single=True) or HttpResponseRedirect(
            reverse("admin:access_control_apiclient_change", args=[client.pk])
        )

    @admin.action(description="Revoke selected API clients (irreversible)", permissions=["change"])
    def revoke_selected(self, request, queryset):
        return self._revoke(request, list(queryset), single=False)

    @admin.action(description="Issue a new key to each selected API client", permissions=["change"])
    def issue_new_key(self, request, queryset):
        return self._issue(request, list(queryset), single=False)

    def _revoke(self, request, clients: list[ApiClient], single: bool):
        """The confirmation page, or (confirmed) revoke and return None to redirect."""
        active = [c for c in clients if c.revoked_at is None]
        if not active:
            self.message_user(request, "The selected clients are already revoked.", messages.WARNING)
            return None
        if request.method != "POST" or request.POST.get("post") != "yes":
            return self._confirmation(request, "access_control/revoke_confirmation.html", active, single, {})
        for client in active:
            keys = revoke_client(client)
            self.log_change(request, client, f"Revoked the client and {keys} key(s).")
        names = ", ".join(c.name for c in active)
        self.message_user(
            request, f"Revoked {names}: their keys now answer 401.", messages.SUCCESS
        )
        return None

    def _issue(self, request, clients: list[ApiClient], single: bool):
        """The form asking for an expiry, or (submitted) the page showing the new keys."""
        active = [c for c in clients if c.revoked_at is None]
        if not active:
            self.message_user(request, "Revoked clients cannot get keys.", messages.WARNING)
            return None
        form = IssueKeyForm(request.POST if request.POST.get("post") == "yes" else None)
        if request.method != "POST" or not form.is_valid():
            return self._confirmation(
                request, "access_control/issue_key_confirmation.html", active, single, {"form": form}
            )
        issued = [issue_key(client, form.cleaned_data["key_expires_days"]) for client in active]
        for item in issued:
            self.log_change(request, item.client, f"Issued key {item.api_key.prefix}.")
        return self._key_page(request, issued, title="New API key" if len(issued) == 1 else "New API keys")

    def _confirmation(self, request, template, clients, single, extra):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "clients": clients,
            # From a change page the form posts back to its own URL; from the
            # changelist it repeats the action and the selection.
            "single": single,
            "action": request.POST.get("action", ""),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "title": "Are you sure?",
            **extra,
        }
        return TemplateResponse(request, template, context)

    def _key_page(self, request, issued, title: str):
        """The only page that ever shows a key. Admin views are never cached."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "issued": issued,
        }
        return TemplateResponse(request, "access_control/key_issued.html", context)
