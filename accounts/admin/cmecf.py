"""The CM/ECF accounts admin: readiness filters, bulk actions over "all N matching", CSV export."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AdminSplitDateTime
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from courts.admin.reauthentication import recent_authentication_required
from accounts.admin.history import AuditTrailHistoryAdmin
from accounts.admin.saving import ServiceSavesAdmin
from courts.admin.scope import CappedCountAdmin, CourtScopedAdmin, CourtScopedFilter
from courts.admin.zones import CourtZoneFormAdmin, court_time, court_value
from accounts.audit import audit_entries_for
from accounts.models import CmecfAccount, NameReview
from accounts.readiness import Readiness, readiness_q
from accounts.selectors import cmecf_accounts_with_readiness
from accounts.services import (
    BulkResult, cmecf_account_create, cmecf_account_delete, cmecf_account_update, cmecf_accounts_mark_linked,
    cmecf_accounts_set_name_review,
)
from accounts.spreadsheets import csv_response
from courts.models import Court
from courts.selectors import court_ids_live
from courts.timezones import format_in_zone, zone_label


def request_live_court_ids(request) -> list[int]:
    """Courts live now, read once per request."""
    if not hasattr(request, "_rollout_live_ids"):
        request._rollout_live_ids = court_ids_live()
    return request._rollout_live_ids


class ReadinessFilter(admin.SimpleListFilter):
    title = "readiness"
    parameter_name = "readiness"

    def lookups(self, request, model_admin):
        return Readiness.choices

    def queryset(self, request, queryset):
        if self.value() in Readiness.values:
            # Plain conditions, not the CASE annotation: the planner can use them (accounts.readiness).
            return queryset.filter(readiness_q(self.value(), request_live_court_ids(request)))
        return queryset


class LinkStateFilter(admin.SimpleListFilter):
    title = "link state"
    parameter_name = "linked"

    def lookups(self, request, model_admin):
        return [("yes", "Linked"), ("no", "Not linked")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(linked_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(linked_at__isnull=True)
        return queryset


class MarkLinkedForm(forms.Form):
    """Bound and rendered inside the selected courts' zone (`timezone.override`), so the time is taken there."""

    linked_at = forms.SplitDateTimeField(label="Linked at", widget=AdminSplitDateTime)

    def __init__(self, *args, zone_label: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["linked_at"].help_text = f"When the filers linked, in the court's time zone: {zone_label}."

    def clean_linked_at(self):
        value = self.cleaned_data["linked_at"]
        if value > timezone.now():
            raise forms.ValidationError("A link date cannot be in the future.")
        return value


def bulk_message(modeladmin, request, verb: str, result: BulkResult) -> None:
    text = f"{verb} {result.changed:,} account{'s' if result.changed != 1 else ''}."
    if result.skipped:
        reasons = ", ".join(
            f"{Readiness.label_of(state) if state in Readiness.values else state.replace('_', ' ')} ({n:,})"
            for state, n in sorted(result.skipped.items())
        )
        text += f" Skipped {result.skipped_total:,}: {reasons}."
    modeladmin.message_user(request, text, messages.SUCCESS if result.changed else messages.WARNING)


@admin.register(CmecfAccount)
class CmecfAccountAdmin(CappedCountAdmin, CourtZoneFormAdmin, ServiceSavesAdmin, AuditTrailHistoryAdmin,
                        CourtScopedAdmin):
    # The filer's own name is on the filer page; the CM/ECF name is what the help desk compares.
    # Seven columns that fit 1,280 px beside the filters: the filer's CM/ECF name, email and PACER
    # username share one cell; readiness and the link time (court zone) stay readable.
    list_display = ("login", "court_code", "filer_cell", "readiness_label", "linked_at_local", "name_check")
    list_select_related = ("court", "filer", "filer__pacer_account")
    list_filter = (CourtScopedFilter, ReadinessFilter, LinkStateFilter, "name_review",
                   ("link_reported_at", admin.EmptyFieldListFilter))
    search_fields = ("^login", "^filer__email", "^filer__pacer_account__username", "filer__name")
    search_help_text = "CM/ECF login, email or PACER username (start), or any part of the filer's name."
    ordering = ("court_id", "login")
    list_per_page = 100
    autocomplete_fields = ("filer",)
    create, update = staticmethod(cmecf_account_create), staticmethod(cmecf_account_update)
    delete = staticmethod(cmecf_account_delete)
    readonly_fields = ("linked_at_local", "link_reported_at", "readiness_label", "recent_changes")
    fields = ("court", "login", "filer", "cmecf_name", "name_review", "linked_at_local", "link_reported_at", "readiness_label",
              "recent_changes")
    actions = ("mark_linked", "flag_name_mismatch", "clear_name_flag", "export_csv")
    change_list_template = "admin/accounts/cmecfaccount/change_list.html"

    def get_queryset(self, request):
        return cmecf_accounts_with_readiness(super().get_queryset(request), live_court_ids=request_live_court_ids(request))

    def get_urls(self):
        from accounts.admin.imports import import_view

        urls = super().get_urls()
        return [path("import/", self.admin_site.admin_view(import_view(self)), name="accounts_cmecfaccount_import"), *urls]

    @admin.display(description="court", ordering="court__court_id")
    def court_code(self, obj):
        return obj.court.court_id

    @admin.display(description="CM/ECF name · email · PACER username", ordering="cmecf_name")
    def filer_cell(self, obj):
        pacer = obj.filer.pacer_account
        return format_html('{}<br><span class="quiet">{}</span><br><span class="quiet">PACER: {}</span>',
                           obj.cmecf_name, obj.filer.email, pacer.username if pacer else "none")

    @admin.display(description="name check", ordering="name_review")
    def name_check(self, obj):
        # Short forms of NameReview's labels (the filter and the account page use the full ones).
        return {NameReview.FLAGGED: "flagged", NameReview.VERIFIED: "verified"}.get(obj.name_review, "automatic")

    @admin.display(description="email")
    def filer_email(self, obj):
        return obj.filer.email

    @admin.display(description="PACER username")
    def pacer_username(self, obj):
        pacer = obj.filer.pacer_account
        return pacer.username if pacer else "—"

    @admin.display(description="linked at (court time)", ordering="linked_at")
    def linked_at_local(self, obj):
        return court_time(obj.linked_at, obj.court) if obj.linked_at else "—"

    @admin.display(description="readiness")
    def readiness_label(self, obj):
        return Readiness.label_of(getattr(obj, "readiness", ""))

    @admin.display(description="recent changes")
    def recent_changes(self, obj):
        if not obj.pk:
            return "—"
        rows = [(court_time(e.at, obj.court), e.who, e.field, court_value(e.old_value, obj.court),
                 court_value(e.new_value, obj.court)) for e in audit_entries_for(obj, obj.court_id)]
        if not rows:
            return "No recorded changes."
        return format_html(
            "<table><tr><th>when</th><th>who</th><th>field</th><th>old</th><th>new</th></tr>{}</table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )

    # --- actions ---------------------------------------------------------------------------------

    @admin.action(description="Mark linked (choose the date)…", permissions=["change"])
    def mark_linked(self, request, queryset):
        """Steps: the selection's courts' zone (one query over the courts table); refuse a selection
        across zones; bind, validate and render the form in that zone; mark linked through the service."""
        zones = list(Court.objects.filter(pk__in=queryset.order_by().values("court_id"))
                     .order_by().values_list("time_zone", flat=True).distinct())
        if len(zones) > 1:
            self.message_user(request, "The selection spans courts in several time zones "
                                       f"({', '.join(sorted(zones))}): filter by court, then mark linked.",
                              messages.ERROR)
            return None
        tz = ZoneInfo(zones[0]) if zones else timezone.get_current_timezone()
        with timezone.override(tz):
            form = MarkLinkedForm(request.POST if "apply" in request.POST else None, zone_label=zone_label(tz),
                                  initial={"linked_at": timezone.localtime().replace(second=0, microsecond=0)})
            if "apply" in request.POST and form.is_valid():
                try:
                    result = cmecf_accounts_mark_linked(queryset, form.cleaned_data["linked_at"], by=request.user)
                except forms.ValidationError as exc:  # the service's rules (a date before the go-live): on the field
                    form.add_error(None, exc)
                else:
                    bulk_message(self, request, "Marked linked:", result)
                    return None
            response = self._mark_linked_page(request, form)
            response.render()
            return response

    def _mark_linked_page(self, request, form):
        return TemplateResponse(request, "admin/accounts/cmecfaccount/mark_linked.html", {
            **self.admin_site.each_context(request),
            "title": "Mark CM/ECF accounts linked",
            "opts": self.model._meta,
            "form": form,
            "action": "mark_linked",
            "select_across": request.POST.get("select_across", "0"),
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "selection_size": None if request.POST.get("select_across") == "1" else len(request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)),
            "media": self.media + form.media,
        })

    @admin.action(description="Flag name mismatch for the help desk", permissions=["change"])
    def flag_name_mismatch(self, request, queryset):
        result = cmecf_accounts_set_name_review(queryset, NameReview.FLAGGED, by=request.user)
        bulk_message(self, request, "Flagged:", result)

    @admin.action(description="Clear the name-mismatch flag", permissions=["change"])
    def clear_name_flag(self, request, queryset):
        result = cmecf_accounts_set_name_review(
            queryset, NameReview.AUTOMATIC, by=request.user, only_from=NameReview.FLAGGED
        )
        bulk_message(self, request, "Cleared the flag on", result)

    @admin.action(description="Export the selection as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        columns = ("court", "login", "cmecf_name", "filer", "email", "pacer_username", "readiness",
                   "linked_at (court time)", "name_review")
        rows = queryset.order_by("court_id", "login").values_list(
            "court__court_id", "login", "cmecf_name", "filer__name", "filer__email",
            "filer__pacer_account__username", "readiness", "linked_at", "name_review", "court__time_zone",
        )
        zones: dict[str, ZoneInfo] = {}

        def local(row):
            *values, zone = row
            if values[7] is not None:
                values[7] = format_in_zone(values[7], zones.get(zone) or zones.setdefault(zone, ZoneInfo(zone)))
            return values

        return csv_response("cmecf-accounts.csv", columns, (local(row) for row in rows.iterator(chunk_size=5000)))
