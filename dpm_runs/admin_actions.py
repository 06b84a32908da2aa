"""What support staff can do from a run's admin page: download its support
bundle, verify it, place or release a legal hold.

Permissions (all on top of the admin's staff check):

* support bundle: the view permission on runs, as for the page itself. The
  bundle holds the run's request and result, so each download writes an access
  event, refusals and unknown runs included. It is named as the API's download
  is (``run.support_bundle``); the actor, ``admin:<user>``, tells them apart.
* verify: ``dpm_runs.verify_rebalancerun``. It re-runs the engine (CPU), and is
  a POST with the CSRF token. It records no run; it writes an access event
  (``run.verify``) because it reads the stored request.
* hold and release: ``dpm_runs.hold_rebalancerun``. A hold keeps a run from
  retention, so it is a change, not a view; who placed it, when and why are
  recorded on the run by ``dpm_runs.holds``.

Superusers hold every permission. The verifier is found through the
``DPM_RUN_VERIFIER`` setting: dpm_runs does not import the engine.
"""
from __future__ import annotations

import json
import re

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.module_loading import import_string
from django.views.decorators.http import require_POST

from access_control import audit
from access_control.admin import admin_actor

from . import bundles, holds
from .models import RebalanceRun

HOLD_PERMISSION = "dpm_runs.hold_rebalancerun"
VERIFY_PERMISSION = "dpm_runs.verify_rebalancerun"

# A drifted run can differ in thousands of places; the page lists the first ones.
MAX_DIFFERENCES_SHOWN = 200


class HoldForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=500,
        help_text="Why the run must be kept, e.g. a case or ticket reference. Recorded with your user name.",
    )


def bundle_filename(rebalance_run_id: str) -> str:
    # Run ids are ours (rr_…), but nothing but [A-Za-z0-9_.-] goes into a header.
    return f"support-bundle-{re.sub(r'[^A-Za-z0-9_.-]', '_', rebalance_run_id)}.json"


class RunSupportActionsMixin:
    """Views and changelist actions of a run admin (a ``ModelAdmin`` of RebalanceRun)."""

    # --- permissions ----------------------------------------------------------------

    def has_hold_permission(self, request, obj=None) -> bool:
        return self.has_view_permission(request, obj) and request.user.has_perm(HOLD_PERMISSION)

    def has_verify_permission(self, request, obj=None) -> bool:
        return self.has_view_permission(request, obj) and request.user.has_perm(VERIFY_PERMISSION)

    # --- URLs -----------------------------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/support-bundle/", wrap(self.support_bundle_view), name="%s_%s_support_bundle" % info),
            path("<path:object_id>/verify/", wrap(require_POST(self.verify_view)), name="%s_%s_verify" % info),
            path("<path:object_id>/hold/", wrap(self.hold_view), name="%s_%s_hold" % info),
            path("<path:object_id>/release-hold/", wrap(self.release_view), name="%s_%s_release_hold" % info),
        ] + super().get_urls()

    def action_urls(self, obj: RebalanceRun) -> dict[str, str]:
        info = self.opts.app_label, self.opts.model_name
        return {
            name: reverse(f"admin:%s_%s_{name}" % info, args=[obj.pk])
            for name in ("support_bundle", "verify", "hold", "release_hold")
        }

    # --- support bundle ---------------------------------------------------------------

    def support_bundle_view(self, request, object_id):
        """The bundle JSON as a file download, each answer written to the access log."""
        run_id = str(object_id)
        try:
            run = self._run(request, object_id)
            run_id = run.rebalance_run_id
            if not self.has_view_permission(request, run):
                raise PermissionDenied
            text = bundles.support_bundle_json(run.rebalance_run_id)
            if text is None:  # purged between the page and the click
                raise Http404("No such run.")
        except (PermissionDenied, Http404) as exc:
            outcome = 403 if isinstance(exc, PermissionDenied) else 404
            audit.record_request(
                request, actor=admin_actor(request), action=audit.SUPPORT_BUNDLE, target=run_id, outcome=outcome
            )
            raise
        audit.record_request(
            request, actor=admin_actor(request), action=audit.SUPPORT_BUNDLE, target=run_id, outcome=200
        )
        response = HttpResponse(text, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{bundle_filename(run_id)}"'
        return response

    # --- verify ------------------------------------------------------------------------

    def verify_view(self, request, object_id):
        run = self._run(request, object_id)
        if not self.has_verify_permission(request, run):
            audit.record_request(
                request, actor=admin_actor(request), action=audit.VERIFY_RUN, target=run.rebalance_run_id, outcome=403
            )
            raise PermissionDenied
        verification = import_string(settings.DPM_RUN_VERIFIER)(run.rebalance_run_id)
        audit.record_request(
            request,
            actor=admin_actor(request),
            action=audit.VERIFY_RUN,
            target=run.rebalance_run_id,
            outcome=200 if verification is not None else 404,
        )
        if verification is None:
            raise Http404("No such run.")
        differences = list(verification.differences)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": run,
            "title": f"Verification of {run.rebalance_run_id}",
            "verification": verification,
            "differences": [
                {
                    "path": item.get("path", ""),
                    "stored": _json_text(item.get("stored")),
                    "recomputed": _json_text(item.get("recomputed")),
                }
                for item in differences[:MAX_DIFFERENCES_SHOWN]
            ],
            "hidden_differences": max(0, len(differences) - MAX_DIFFERENCES_SHOWN),
        }
        return TemplateResponse(request, "dpm_runs/verify_result.html", context)

    # --- legal hold -----------------------------------------------------------------------

    def hold_view(self, request, object_id):
        run = self._run(request, object_id)
        if not self.has_hold_permission(request, run):
            raise PermissionDenied
        return self._hold(request, [run], single=True) or self._back_to(run)

    def release_view(self, request, object_id):
        run = self._run(request, object_id)
        if not self.has_hold_permission(request, run):
            raise PermissionDenied
        return self._release(request, [run], single=True) or self._back_to(run)

    @admin.action(description="Place a legal hold on the selected runs", permissions=["hold"])
    def place_hold_on_selected(self, request, queryset):
        return self._hold(request, list(queryset), single=False)

    @admin.action(description="Release the legal hold of the selected runs", permissions=["hold"])
    def release_hold_on_selected(self, request, queryset):
        return self._release(request, list(queryset), single=False)

    def _hold(self, request, runs: list[RebalanceRun], single: bool):
        """The form asking for a reason, or (submitted and valid) the hold and None."""
        form = HoldForm(request.POST if request.POST.get("post") == "yes" else None)
        if request.method != "POST" or not form.is_valid():
            return self._confirmation(
                request, "dpm_runs/hold_form.html", runs, single, {"form": form, "title": "Place a legal hold"}
            )
        run_ids = [run.rebalance_run_id for run in runs]
        placed = holds.place_hold(run_ids, form.cleaned_data["reason"], admin_actor(request))
        self.message_user(
            request,
            _count_message("Placed a legal hold on", placed, len(run_ids), "no longer exist"),
            messages.SUCCESS if placed else messages.WARNING,
        )
        return None

    def _release(self, request, runs: list[RebalanceRun], single: bool):
        """The confirmation page, or (confirmed) the release and None."""
        if request.method != "POST" or request.POST.get("post") != "yes":
            return self._confirmation(
                request, "dpm_runs/release_hold_confirmation.html", runs, single, {"title": "Release the legal hold"}
            )
        run_ids = [run.rebalance_run_id for run in runs]
        released = holds.release_hold(run_ids, admin_actor(request))
        self.message_user(
            request,
            _count_message("Released the legal hold of", released, len(run_ids), "were not on hold"),
            messages.SUCCESS if released else messages.WARNING,
        )
        return None

    def _confirmation(self, request, template, runs, single, extra):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "runs": runs,
            # From a run's page the form posts back to its own URL; from the
            # changelist it repeats the action and the selection.
            "single": single,
            "action": request.POST.get("action", ""),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            **extra,
        }
        return TemplateResponse(request, template, context)

    # --- helpers ------------------------------------------------------------------------

    def _run(self, request, object_id) -> RebalanceRun:
        # The id columns only: the actions never need the stored JSON here.
        try:
            pk = int(object_id)
        except ValueError:
            raise Http404("No such run.") from None
        queryset = self.get_queryset(request).only("id", "rebalance_run_id", "held_at", "held_by", "hold_reason")
        return get_object_or_404(queryset, pk=pk)

    def _back_to(self, run: RebalanceRun) -> HttpResponseRedirect:
        info = self.opts.app_label, self.opts.model_name
        return HttpResponseRedirect(reverse("admin:%s_%s_change" % info, args=[run.pk]))


def _count_message(verb: str, changed: int, asked: int, others: str) -> str:
    text = f"{verb} {changed} run{'' if changed == 1 else 's'}."
    if changed < asked:
        text += f" {asked - changed} {others}."
    return text


def _json_text(value) -> str:
    # Always as JSON: the string "1" and the number 1 are a difference.
    return json.dumps(value, ensure_ascii=False)
