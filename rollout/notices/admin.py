"""Admin for notices: editable templates (preview, send a test to me), deliveries (resend failed,
send a notice now), bounced addresses, weekly digests. Every list and action is scoped to the courts
the user administers (the digests: to the user's own)."""
from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db.models import BooleanField, Case, ExpressionWrapper, F, OuterRef, Q, Subquery, Value, When
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template import TemplateSyntaxError
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.clickjacking import xframe_options_sameorigin
from csp.decorators import csp_replace

from accounts.admin.cmecf import CmecfAccountAdmin
from accounts.models import CmecfAccount
from accounts.readiness import Readiness
from accounts.selectors import cmecf_accounts_reminder_skips
from courts.admin.reauthentication import recent_authentication_required
from courts.admin.scope import CappedCountAdmin, CourtScopedAdmin, ReadOnlyAdmin, request_court_ids
from courts.admin.zones import CourtZoneFormAdmin, court_time
from courts.formatting import format_day
from courts.models import GoLive
from courts.selectors import court_ids_live, courts_for_user, rollout_current, user_administers
from courts.timezones import format_in_zone
from rollout.notices.models import (
    AdminDigest, BouncedAddress, DeliveryState, NoticeDelivery, NoticeKind, NoticeTemplate,
)
from rollout.notices.rendering import (
    CONTEXT_HELP, TOLD_FACTS, TemplateSource, compile_source, default_source, facts_left_out,
)
from rollout.notices.services import (
    SampleNotice,
    bounced_address_clear,
    deliveries_resend,
    notice_send_now,
    notice_send_reminder_now,
    notice_template_check,
    notice_template_sample,
    notice_template_send_test,
)


class NoticeTemplateScope(CourtScopedAdmin):
    """Court templates of the user's courts, and the shipped defaults (court empty), which every
    court administrator may read and only a superuser may change."""

    def scope_q(self, ids):
        return Q(court_id__in=ids) | Q(court__isnull=True)

    def has_change_permission(self, request, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.court_id is not None or request.user.is_superuser)

    def has_delete_permission(self, request, obj=None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.court_id is not None or request.user.is_superuser)


class NoticeTemplateForm(forms.ModelForm):
    class Meta:
        model = NoticeTemplate
        fields = ["court", "kind", "subject", "text_body", "html_body"]
        widgets = {"subject": forms.Textarea(attrs={"rows": 3, "cols": 100}),
                   "text_body": forms.Textarea(attrs={"rows": 24, "cols": 100}),
                   "html_body": forms.Textarea(attrs={"rows": 24, "cols": 100})}

    def clean(self):
        data = super().clean()
        for name in ("subject", "text_body", "html_body"):
            if data.get(name):
                try:
                    compile_source(TemplateSource(**{**{"subject": "", "text_body": "", "html_body": ""}, name: data[name]}))
                except TemplateSyntaxError as exc:
                    self.add_error(name, f"Template error: {exc}")
        if not self.errors and data.get("kind"):
            # Refused unless it renders, within the sandbox's limits, for every readiness state.
            source = TemplateSource(data.get("subject", ""), data.get("text_body", ""), data.get("html_body", ""))
            for problem in notice_template_check(data.get("court"), data["kind"], source):
                self.add_error(None, problem)
        return data


def _source(template: NoticeTemplate) -> TemplateSource:
    return TemplateSource(template.subject, template.text_body, template.html_body)


def left_out_warning(names: list[str]) -> str:
    """What staff are told about a template that leaves out facts (TOLD_FACTS)."""
    facts = "; ".join(f"{TOLD_FACTS[name]} ({name})" for name in names)
    return (f"This template does not tell, in every part (subject, text, HTML) where the shipped default "
            f"does: {facts}. A message that has one of these to tell goes out with the shipped default "
            f"wording instead, so the filer is not told something untrue. Use the variable in those parts "
            f"(see the shipped default) to keep your wording for those messages.")


@admin.register(NoticeTemplate)
class NoticeTemplateAdmin(NoticeTemplateScope):
    form = NoticeTemplateForm
    list_display = ("kind", "court_label", "left_out", "updated_at", "updated_by", "preview_link")
    list_filter = ("kind",)
    list_select_related = ("court", "updated_by")
    change_form_template = None

    @admin.display(description="Court")
    def court_label(self, obj):
        return obj.court.court_id if obj.court_id else "Default (all courts)"

    @admin.display(description="Facts it leaves out")
    def left_out(self, obj):
        """The facts this template does not tell: messages carrying one go with the shipped wording."""
        return ", ".join(facts_left_out(obj.kind, _source(obj))) or "—"

    @admin.display(description="Preview")
    def preview_link(self, obj):
        return format_html('<a href="{}">Preview</a>', reverse("admin:rollout_noticetemplate_preview", args=[obj.pk]))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "court":
            field.required = not request.user.is_superuser  # only a superuser edits the defaults
            field.help_text = (
                "The court that sends this wording. Left empty (superusers only), the template replaces the "
                "shipped default of its kind for every court that has no template of its own."
                if not field.required else
                "The court that sends this wording instead of the shared default of its kind.")
        return field

    def get_changeform_initial_data(self, request):
        """A new template starts from the shipped default of its kind (?kind=reminder)."""
        initial = super().get_changeform_initial_data(request)
        kind = request.GET.get("kind", NoticeKind.PREPARE)
        if kind in NoticeKind.values:
            source = default_source(kind)
            initial.update(kind=kind, subject=source.subject, text_body=source.text_body, html_body=source.html_body)
        return initial

    def save_model(self, request, obj, form, change):
        if obj.court_id and not user_administers(request.user, obj.court):
            raise PermissionDenied
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
        # "Save and continue editing" comes back to the form, which shows the warning itself.
        if "_continue" not in request.POST and (left_out := facts_left_out(obj.kind, _source(obj))):
            self.message_user(request, left_out_warning(left_out), messages.WARNING)

    class Media:
        # Switching the kind of a new template loads that kind's default (a static file: the CSP
        # allows no inline script; without script the kind links on the page do the same).
        js = ["rollout/notice_template.js"]

    def render_change_form(self, request, context, add=False, **kwargs):
        """The variable help as a table; on the add page, a link per kind that starts from its default
        (?kind=) and the defaults as JSON data for notice_template.js."""
        context["variables"] = CONTEXT_HELP.items()
        obj = context.get("original")
        if obj is not None and (left_out := facts_left_out(obj.kind, _source(obj))):
            context["left_out_warning"] = left_out_warning(left_out)
        if add:
            context["kind_links"] = [(label, f"{request.path}?kind={k}") for k, label in NoticeKind.choices]
            context["kind_defaults"] = {k: dataclasses.asdict(default_source(k)) for k in NoticeKind.values}
        return super().render_change_form(request, context, add=add, **kwargs)

    def changelist_view(self, request, extra_context=None):
        """The list, and under it the shipped defaults (used where a court has no template of its own),
        each with a preview and a link to start a court template from it."""
        add_url = reverse("admin:rollout_noticetemplate_add")
        defaults = [(label, reverse("admin:rollout_noticetemplate_default_preview", args=[kind]),
                     f"{add_url}?kind={kind}") for kind, label in NoticeKind.choices]
        extra_context = {**(extra_context or {}), "shipped_defaults": defaults}
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        urls = [
            path("<int:pk>/preview/", self.admin_site.admin_view(self.preview_view), name="rollout_noticetemplate_preview"),
            path("defaults/<str:kind>/preview/", self.admin_site.admin_view(self.default_preview_view),
                 name="rollout_noticetemplate_default_preview"),
        ]
        return urls + super().get_urls()

    def preview_view(self, request, pk: int):
        """Preview a saved template (of the user's courts, or a default row)."""
        template = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_view_permission(request, template):
            raise PermissionDenied
        source = TemplateSource(template.subject, template.text_body, template.html_body)
        return self._preview(request, template.kind, source, template.court, f"Preview: {template}")

    def default_preview_view(self, request, kind: str):
        """Preview the shipped default of a kind (the files under rollout/templates/notices/), nothing copied."""
        if kind not in NoticeKind.values or not self.has_view_permission(request):
            raise PermissionDenied
        return self._preview(request, kind, default_source(kind), None,
                             f"Preview: shipped default — {NoticeKind(kind).label}")

    def _preview(self, request, kind: str, source: TemplateSource, template_court, title: str):
        """A template as a filer in a chosen readiness state sees it; POST sends it to me."""
        courts = courts_for_user(request.user)
        court = template_court or courts.filter(golives__isnull=False).first() or courts.first()
        if court is None:
            raise PermissionDenied
        readiness = request.POST.get("readiness") or request.GET.get("readiness") or Readiness.READY
        if readiness not in Readiness.values:
            readiness = Readiness.READY
        if request.method == "POST":
            try:
                address = notice_template_send_test(court, kind, source, request.user, readiness=readiness)
                self.message_user(request, f"Test sent to {address}.", messages.SUCCESS)
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, " ".join(getattr(exc, "messages", [str(exc)])), messages.ERROR)
            return HttpResponseRedirect(f"{request.path}?readiness={readiness}")
        try:
            sample = notice_template_sample(court, kind, source, readiness=readiness)
        except Exception as exc:  # a template saved before the sandbox's checks: say why, no 500
            sample = SampleNotice("", f"This template does not render: {exc}", "")
        if request.GET.get("part") == "html":
            return _email_html_response(request, sample.html)
        context = {
            **self.admin_site.each_context(request),
            "title": title, "opts": self.model._meta, "court": court,
            "subject": sample.subject, "text": sample.text, "html": sample.html, "readiness": readiness,
            "readiness_choices": Readiness.choices,
            "shipped_for": [TOLD_FACTS[name] for name in sample.shipped_for],
        }
        return TemplateResponse(request, "notices/admin_preview.html", context)


# The HTML part as its own document for the preview's sandboxed iframe: emails style themselves
# inline, which the site's policy forbids, so this response alone allows inline style (and nothing
# else: no script, no request elsewhere) and may be framed by the site's own pages.
_EMAIL_PREVIEW_CSP = {"default-src": ["'none'"], "style-src": ["'unsafe-inline'"], "img-src": ["data:"],
                      "frame-ancestors": ["'self'"], "script-src": ["'none'"], "font-src": ["'none'"],
                      "connect-src": ["'none'"], "base-uri": ["'none'"], "form-action": ["'none'"]}


@xframe_options_sameorigin
@csp_replace(_EMAIL_PREVIEW_CSP)
def _email_html_response(request, html: str) -> HttpResponse:
    return HttpResponse(html, content_type="text/html; charset=utf-8")


class SendNowForm(forms.Form):
    golive = forms.ModelChoiceField(queryset=GoLive.objects.none(), label="Court")
    kind = forms.ChoiceField(choices=[(k, l) for k, l in NoticeKind.choices
                                      if k not in (NoticeKind.DATE_CHANGED, NoticeKind.BLACKOUT_CHANGED)])

    def __init__(self, *args, court_ids=None, **kwargs):
        super().__init__(*args, **kwargs)
        qs = GoLive.objects.filter(rollout=rollout_current()).select_related("court").order_by("court__name")
        self.fields["golive"].queryset = qs if court_ids is None else qs.filter(court_id__in=court_ids)
        self.fields["golive"].label_from_instance = lambda g: f"{g.court.name} — {g.get_status_display()} {g.go_live_date or ''}"


class StalledFilter(admin.SimpleListFilter):
    """Rows due (pending or sending) for longer than NOTICES_STALL_AFTER_SECONDS."""

    title = "stalled"
    parameter_name = "stalled"

    def lookups(self, request, model_admin):
        return [("1", "Due longer than the stall threshold")]

    def queryset(self, request, queryset):
        if self.value() == "1":
            from django.conf import settings
            from django.utils import timezone

            cutoff = timezone.now() - timezone.timedelta(seconds=settings.NOTICES_STALL_AFTER_SECONDS)
            return queryset.filter(state__in=[DeliveryState.PENDING, DeliveryState.SENDING], created_at__lt=cutoff)
        return queryset


@admin.register(NoticeDelivery)
class NoticeDeliveryAdmin(CappedCountAdmin, CourtZoneFormAdmin, ReadOnlyAdmin):
    """Deliveries, each page in its court's zone (`CourtZoneFormAdmin`): when a notice was queued and
    sent is read against the court's dates."""

    list_display = ("id", "filer_email", "court_code", "notice_label", "variant_label", "state", "attempts",
                    "sent_at_local", "possible_duplicate", "skip_reason", "error")
    # The rollout: a court's go-live in each rollout has its own notices under the same names.
    list_filter = ("state", "kind", StalledFilter, "possible_duplicate", "golive__rollout")
    search_fields = ("filer__email", "notice", "message_id")
    list_select_related = ("filer", "court")
    actions = ["resend_failed"]
    readonly_fields = [f.name for f in NoticeDelivery._meta.fields]

    @admin.display(description="Filer", ordering="filer__email")
    def filer_email(self, obj):
        return obj.filer.email

    @admin.display(description="Court", ordering="court__court_id")
    def court_code(self, obj):
        return obj.court.court_id

    @admin.display(description="Notice", ordering="notice")
    def notice_label(self, obj):
        """ "reminder_7" → "Reminder to link, day 7"; "reminder_manual_2026-11-30" → "… sent now on 2026-11-30"."""
        label = NoticeKind(obj.kind).label if obj.kind in NoticeKind.values else obj.kind
        rest = obj.notice.removeprefix(obj.kind).lstrip("_")
        if rest.startswith("manual_"):
            return f"{label}, sent now on {rest.removeprefix('manual_')}"
        if obj.kind == NoticeKind.REMINDER and rest.isdigit():
            return f"{label}, day {rest}"
        return label

    @admin.display(description="Readiness when queued", ordering="variant")
    def variant_label(self, obj):
        return Readiness.label_of(obj.variant) if obj.variant in Readiness.values else (obj.variant or "—")

    @admin.display(description="Sent at (court time)", ordering="sent_at")
    def sent_at_local(self, obj):
        return format_in_zone(obj.sent_at, obj.court.tzinfo)

    @admin.display(description="Last error")
    def error(self, obj):
        return obj.last_error[:120]

    @admin.action(description="Resend the selected failed deliveries")
    @recent_authentication_required  # it can reach every filer a campaign failed to reach
    def resend_failed(self, request, queryset):
        count = deliveries_resend(queryset.filter(state=DeliveryState.FAILED), request.user)  # stays a subquery
        self.message_user(request, f"{count} failed deliveries queued to be sent again.", messages.SUCCESS)

    def get_urls(self):
        return [
            path("send-now/", self.admin_site.admin_view(self.send_now_view), name="rollout_noticedelivery_send_now"),
        ] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "title": "Notice deliveries",
                         "subtitle": format_html('<a href="{}">Send a notice now…</a>',
                                                 reverse("admin:rollout_noticedelivery_send_now"))}
        return super().changelist_view(request, extra_context)

    @recent_authentication_required
    def send_now_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = SendNowForm(request.POST or None, court_ids=request_court_ids(request))
        if request.method == "POST" and form.is_valid():
            golive, kind = form.cleaned_data["golive"], form.cleaned_data["kind"]
            try:
                count = notice_send_now(golive, kind, request.user)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                self.message_user(request, f"{NoticeKind(kind).label} for {golive.court.name}: "
                                           f"{count} recipients queued.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:rollout_noticedelivery_changelist"))
        context = {**self.admin_site.each_context(request), "title": "Send a notice now", "form": form,
                   "opts": self.model._meta}
        return TemplateResponse(request, "notices/admin_send_now.html", context)


class BounceCourtFilter(admin.SimpleListFilter):
    """Addresses of filers with a CM/ECF account at one of the user's courts."""

    title = "court"
    parameter_name = "court"

    def lookups(self, request, model_admin):
        return [(str(c.pk), c.court_id) for c in courts_for_user(request.user).order_by("court_id")]

    def queryset(self, request, queryset):
        """Another court's id finds nothing: it would tell which of the user's filers also file there."""
        if not self.value():
            return queryset
        ids = request_court_ids(request)
        if not self.value().isdigit() or (ids is not None and int(self.value()) not in ids):
            return queryset.none()
        return queryset.filter(email__in=_filer_emails([int(self.value())]))


def _filer_emails(court_ids):
    from accounts.models import CmecfAccount

    return CmecfAccount.objects.filter(court_id__in=court_ids).values("filer__email")


# The details of an address's last bounce (when, the soft bounces counted, what the server said)
# describe the delivery it answered, which may be another court's (a filer at several courts has one
# address; a non-DSN bounce's diagnostic may quote the notice). They are shown to that delivery's
# court's administrators and to superusers; to others, as the delivery itself, as "—". The time the
# address became undeliverable is the same bounce's time: to others, only that it is ("Yes").
BOUNCE_DETAILS = ("soft_bounces", "last_bounce_at", "diagnostic", "last_delivery")
SHOWN_AS_YES = ("undeliverable_at",)
NOT_SHOWN = "—"
# Shown, these are the times of that delivery's bounce: in its court's zone, as its own page gives them.
TIMES = ("undeliverable_at", "last_bounce_at")


def _bounce_time(obj, value) -> str:
    """A shown time in the zone of the court whose delivery the last bounce answered; with that
    delivery gone (only superusers see such a row's details), in the user's own zone, named."""
    if obj.last_delivery_id:
        return court_time(value, obj.last_delivery.court)
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M %Z")


def _if_shown(field: str):
    """The field where the row's details are the user's to see, else NULL: what the list sorts by, so
    that a row's place does not tell a hidden value."""
    return Case(When(details_shown=True, then=F(field)), default=None)


@admin.register(BouncedAddress)
class BouncedAddressAdmin(ReadOnlyAdmin):
    """Unreachable filers: addresses that bounced, seen by administrators of the courts their filers
    file at."""

    list_display = ("email", "undeliverable_at_shown", "soft_bounces_shown", "last_bounce_at_shown",
                    "diagnostic_shown")
    list_filter = (("undeliverable_at", admin.EmptyFieldListFilter), BounceCourtFilter)
    search_fields = ("email",)
    readonly_fields = [f.name for f in BouncedAddress._meta.fields]
    # Never form fields, so that when `get_readonly_fields` swaps them out they are not rendered as ones.
    exclude = (*BOUNCE_DETAILS, *SHOWN_AS_YES)
    actions = ["export_csv", "mark_deliverable_again"]

    def scope_q(self, ids):
        return Q(email__in=_filer_emails(ids))

    def get_queryset(self, request):
        """Each row says, in the same query, whether its last bounce's details are the user's to see."""
        ids = request_court_ids(request)
        shown = Value(True) if ids is None else Q(last_delivery__court_id__in=ids)
        return super().get_queryset(request).select_related("last_delivery__court").annotate(
            details_shown=ExpressionWrapper(shown, output_field=BooleanField()))

    def get_ordering(self, request):
        """Latest bounce first among the rows whose details the user sees; the others after, by address."""
        return [_if_shown("last_bounce_at").desc(nulls_last=True), "email"]

    def lookup_allowed(self, lookup, value, request=None):
        """A filter in the URL on a hidden detail (`?diagnostic__icontains=…`, `?last_bounce_at__gte=…`)
        would read it back row by row: only users who see every row's details may filter on them.
        Whether the address is undeliverable (the list's own filter) and the address itself stay for
        everyone; nothing else does, under any spelling (`last_delivery_id` is `last_delivery`)."""
        field, _, rest = lookup.partition(LOOKUP_SEP)
        try:
            field = BouncedAddress._meta.get_field(field).name
        except FieldDoesNotExist:
            pass  # an annotation (`details_shown`) or nothing at all: not for court administrators
        open_to_all = (field == "email" or (field in SHOWN_AS_YES and rest == "isnull")
                       or lookup == BounceCourtFilter.parameter_name)  # scoped by the filter itself
        if not open_to_all and (request is None or request_court_ids(request) is not None):
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        swapped = TIMES if getattr(obj, "details_shown", False) else (*BOUNCE_DETAILS, *SHOWN_AS_YES)
        return [f"{f}_shown" if f in swapped else f for f in self.readonly_fields]

    @admin.display(description="undeliverable at (court time)", ordering=_if_shown("undeliverable_at"))
    def undeliverable_at_shown(self, obj):
        if obj.undeliverable_at is None:
            return None  # the admin's "-" for an empty value
        return _bounce_time(obj, obj.undeliverable_at) if obj.details_shown else "Yes"

    @admin.display(description="soft bounces", ordering=_if_shown("soft_bounces"))
    def soft_bounces_shown(self, obj):
        return obj.soft_bounces if obj.details_shown else NOT_SHOWN

    @admin.display(description="last bounce at (court time)", ordering=_if_shown("last_bounce_at"))
    def last_bounce_at_shown(self, obj):
        return _bounce_time(obj, obj.last_bounce_at) if obj.details_shown else NOT_SHOWN

    @admin.display(description="diagnostic")
    def diagnostic_shown(self, obj):
        return obj.diagnostic if obj.details_shown else NOT_SHOWN

    @admin.display(description="last delivery")
    def last_delivery_shown(self, obj):
        return obj.last_delivery if obj.details_shown else NOT_SHOWN

    @admin.action(description="Mark deliverable again")
    def mark_deliverable_again(self, request, queryset):
        """The filer's mailbox works again (it was full, their mail server was down): notices due from
        now on go to the address. The service checks who may (`bounced_address_clear`)."""
        result = bounced_address_clear(queryset, request.user)
        if result.cleared or not result.refused:
            self.message_user(request, f"{result.cleared:,} address{'es' if result.cleared != 1 else ''} marked "
                                       "deliverable again: notices due from now on go to them (a notice that "
                                       "bounced is not sent again).", messages.SUCCESS)
        if result.refused:
            self.message_user(request, f"{result.refused:,} address{'es' if result.refused != 1 else ''} not marked "
                                       "deliverable again: the filer also files at a court you do not administer. "
                                       "An administrator of every court the filer files at, or a superuser, can "
                                       "mark it.", messages.WARNING)

    @admin.action(description="Export the selected addresses with their filers (CSV)")
    def export_csv(self, request, queryset):
        from accounts.spreadsheets import csv_response

        ids = request_court_ids(request)
        accounts = CmecfAccount.objects.filter(filer__email__in=queryset.values("email"))
        if ids is not None:
            accounts = accounts.filter(court_id__in=ids)
        # Each row's bounce joined in the query, so the export streams whatever the selection's size.
        bounce = BouncedAddress.objects.filter(email=OuterRef("filer__email"))
        fields = ("undeliverable_at", "soft_bounces", "last_bounce_at", "diagnostic", "last_delivery__court_id")
        zones: dict[str, ZoneInfo] = {}

        def local(when, zone):  # in the row's court's zone, as the CM/ECF accounts' export gives times
            return format_in_zone(when, zones.get(zone) or zones.setdefault(zone, ZoneInfo(zone))) if when else ""

        rows = (
            (name, email, court_id, login, "undeliverable" if undeliverable_at else "soft bounces",
             *((soft_bounces, local(last_bounce_at, zone), diagnostic)
               if ids is None or bounce_court_id in ids else ("", "", "")))
            for (name, email, court_id, zone, login, undeliverable_at, soft_bounces, last_bounce_at, diagnostic,
                 bounce_court_id) in accounts
            .annotate(**{f"bounce_{i}": Subquery(bounce.values(f)[:1]) for i, f in enumerate(fields)})
            .order_by("court__court_id", "filer__name")
            .values_list("filer__name", "filer__email", "court__court_id", "court__time_zone", "login",
                         *(f"bounce_{i}" for i in range(len(fields))))
            .iterator(chunk_size=2000)
        )
        return csv_response("unreachable-filers.csv", ["name", "email", "court", "cmecf_login", "state", "soft_bounces",
                                                       "last_bounce_at (court time)", "diagnostic"], rows)


class DigestWeekFilter(admin.SimpleListFilter):
    """The weeks of the digests the user sees, latest first (?week=2026-11-30: that Monday's week)."""

    title = "week"
    parameter_name = "week"
    shown = 12  # the latest weeks as choices; an earlier one is still reached by its date in the URL

    def lookups(self, request, model_admin):
        weeks = (model_admin.get_queryset(request).order_by("-week").values_list("week", flat=True)
                 .distinct()[:self.shown])
        chosen = _week_day(self.value())
        days = sorted({*weeks, *([chosen] if chosen else [])}, reverse=True)
        return [(day.isoformat(), f"Week of {format_day(day)}") for day in days]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        day = _week_day(self.value())
        if day is None:
            raise IncorrectLookupParameters(f"Not a week's first day: {self.value()[:40]!r}")
        return queryset.filter(week=day)


def _week_day(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return None


@admin.register(AdminDigest)
class AdminDigestAdmin(ReadOnlyAdmin):
    """Weekly digests and how each went: one that failed (a permanent refusal, a week over before it
    could be sent) or may have gone twice is seen here, not only in the database or the logs.

    A digest is not one court's: it lists every court its administrator administers, so another
    administrator's digest (even one sharing a court) is not the user's to see. A superuser sees all;
    anyone else, their own. Its times are not tied to a court: they are in the user's own zone."""

    list_display = ("week_of", "administrator", "state", "sent_at_local", "possible_duplicate", "error")
    list_filter = ("state", "possible_duplicate", DigestWeekFilter)
    search_fields = ("user__username", "user__email")
    list_select_related = ("user",)
    ordering = ("-week", "user__username")
    fields = readonly_fields = ("week_of", "administrator", "state", "claimed_at_local", "sent_at_local",
                                "possible_duplicate", "message_id", "last_error")

    def scope(self, request, queryset):
        return queryset if request_court_ids(request) is None else queryset.filter(user=request.user)

    @admin.display(description="week of", ordering="week")
    def week_of(self, obj):
        return format_day(obj.week)

    @admin.display(description="administrator", ordering="user__username")
    def administrator(self, obj):
        return f"{obj.user.get_username()} ({obj.user.email})" if obj.user.email else obj.user.get_username()

    @admin.display(description="sent at (your time)", ordering="sent_at")
    def sent_at_local(self, obj):
        return format_in_zone(obj.sent_at, timezone.get_current_timezone())

    @admin.display(description="claimed for sending at (your time)")
    def claimed_at_local(self, obj):
        return format_in_zone(obj.claimed_at, timezone.get_current_timezone())

    @admin.display(description="last error")
    def error(self, obj):
        return obj.last_error[:120]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "title": "Weekly digests", "subtitle": _YOUR_ZONE_NOTE}
        return super().changelist_view(request, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "subtitle": _YOUR_ZONE_NOTE}
        return super().changeform_view(request, object_id, form_url, extra_context)


# A digest spans its administrator's courts, which may be in several zones: none of theirs is its zone.
_YOUR_ZONE_NOTE = ("A digest is not one court's: times on this page are in your own time zone "
                   "(Preferences; the site's when you set none).")


class CmecfAccountWithRemindersAdmin(CmecfAccountAdmin):
    """The CM/ECF accounts admin (accounts) with the notices' own action: remind the chosen filers now.
    The action belongs to the notices, so it is added here, above accounts, instead of accounts calling up."""

    actions = (*CmecfAccountAdmin.actions[:-1], "send_reminder_now", CmecfAccountAdmin.actions[-1])

    @admin.action(description="Send a reminder now", permissions=["change"])
    @recent_authentication_required
    def send_reminder_now(self, request, queryset):
        queued = notice_send_reminder_now(queryset, request.user)
        skips = cmecf_accounts_reminder_skips(queryset, live_court_ids=court_ids_live())
        reasons = []
        if skips["linked"]:
            reasons.append(f"{skips['linked']:,} already linked")
        if skips["not_live"]:
            reasons.append(f"{skips['not_live']:,} at a court not live yet")
        rest = skips["chosen"] - queued - skips["linked"] - skips["not_live"]
        if rest > 0:
            reasons.append(f"{rest:,} unsubscribed, with an undeliverable address or already reminded today")
        why = f" Not reminded: {'; '.join(reasons)}." if reasons else ""
        self.message_user(request, f"Queued {queued:,} reminder{'s' if queued != 1 else ''} for {skips['chosen']:,} "
                                   f"chosen account{'s' if skips['chosen'] != 1 else ''}.{why}",
                          messages.SUCCESS if queued else messages.WARNING)


admin.site.unregister(CmecfAccount)
admin.site.register(CmecfAccount, CmecfAccountWithRemindersAdmin)
