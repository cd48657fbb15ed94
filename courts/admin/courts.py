"""The courts app's admin: courts, go-lives (dates and status editable in the list, bulk actions with a
confirmation page), go-live history, software version changes, rollouts.

Confined to the user's courts by `courts.admin.scope`; the filers a date change reaches are counted
through the courts' reverse relation to their CM/ECF accounts, so courts imports nothing above it.
Every go-live change goes through `courts.services`, so GoLiveChange records who,
when, old and new.
"""
from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.text import Truncator
from django.template.response import TemplateResponse

from courts.admin.reauthentication import recent_authentication_required
from courts.admin.scope import CourtCircuitFilter, CourtScopedAdmin, CourtScopedFilter, ReadOnlyAdmin
from courts.admin.zones import CourtDateFilter, CourtZoneFormAdmin, court_time
from courts.models import Court, GoLive, GoLiveChange, GoLiveStatus, Rollout, SoftwareVersionChange
from courts.selectors import rollout_current
from courts.selectors import golive_facts
from courts.services import (
    FEED_FIELDS, court_field_problems, court_set_name, court_set_time_zone, court_time_zone_problems, golive_mark_live,
    golive_or_unsaved, golive_plan, golive_postpone, golive_saved, golive_set, rollout_field_problems, rollout_save,
)


def filers_to_tell(court_ids: list[int]) -> dict[int, int]:
    """{court id: distinct filers with an unlinked account there} — who hears of a date change. One query."""
    unlinked = Q(cmecf_accounts__linked_at__isnull=True)
    rows = (
        Court.objects.filter(pk__in=court_ids).order_by()
        .annotate(n=Count("cmecf_accounts__filer_id", filter=unlinked, distinct=True)).values_list("pk", "n")
    )
    return {pk: n for pk, n in rows if n}


class GoLiveStatusFilter(admin.SimpleListFilter):
    title = "go-live status"
    parameter_name = "golive_status"
    field_path = "status"

    def lookups(self, request, model_admin):
        return GoLiveStatus.choices

    def queryset(self, request, queryset):
        return queryset.filter(**{self.field_path: self.value()}) if self.value() else queryset


class CourtGoLiveStatusFilter(GoLiveStatusFilter):
    field_path = "golive_status"


class GoLiveRangeFilter(admin.ListFilter):
    """Go-live date between two dates (either end optional)."""

    title = "go-live date range"
    template = "admin/date_range_filter.html"
    field_path = "go_live_date"
    parameters = ("golive_from", "golive_to")

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        for name in self.parameters:
            if name in params:
                value = params.pop(name)
                self.used_parameters[name] = value[-1] if isinstance(value, list) else value

    def _day(self, name):
        try:
            return dt.date.fromisoformat(self.used_parameters.get(name) or "")
        except ValueError:
            return None

    def has_output(self):
        return True

    def expected_parameters(self):
        return list(self.parameters)

    def queryset(self, request, queryset):
        start, end = self._day("golive_from"), self._day("golive_to")
        if start:
            queryset = queryset.filter(**{f"{self.field_path}__gte": start})
        if end:
            queryset = queryset.filter(**{f"{self.field_path}__lte": end})
        return queryset

    def choices(self, changelist):
        keep = {k: v for k, v in changelist.get_filters_params().items() if k not in self.parameters}
        yield {
            "from": self.used_parameters.get("golive_from", ""),
            "to": self.used_parameters.get("golive_to", ""),
            "keep": [(k, v[-1] if isinstance(v, list) else v) for k, v in keep.items()],
            "clear_url": changelist.get_query_string(remove=list(self.parameters)),
        }


class CourtGoLiveRangeFilter(GoLiveRangeFilter):
    field_path = "golive_date"


class SetGoLiveDateForm(forms.Form):
    go_live_date = forms.DateField(label="Go-live date", widget=AdminDateWidget, help_text="The day the court goes live, in its own time zone.")
    reason = forms.CharField(max_length=255, required=False, help_text="Kept in the go-live history.")


class GoLiveActions:
    """Set date / mark live / postpone over courts or go-lives, each change through the services."""

    def has_golive_permission(self, request):
        return request.user.has_perm("courts.change_golive")

    def selected_golives(self, queryset) -> list[GoLive]:
        """Selected courts without a go-live get an unsaved one: created only by an applied change."""
        if queryset.model is Court:
            rollout = rollout_current()
            return [golive_or_unsaved(court, rollout) for court in queryset]
        return list(queryset.select_related("court", "rollout"))

    @staticmethod
    def _write(golive: GoLive, write):
        """`write` on the go-live, made for it if the court had none; a change refused (raised) or
        with nothing to change takes back the row made for it."""
        with transaction.atomic():
            changed = write(golive_saved(golive))
            if not changed and golive.pk is None:
                transaction.set_rollback(True)
            return changed

    @admin.action(description="Set the go-live date…", permissions=["golive"])
    @recent_authentication_required
    def set_golive_date(self, request, queryset):
        """Two steps: the date (and reason), then each court's new date and blackout window to check,
        then apply. Each court goes through the services; one refused names why and the rest apply."""
        golives = self.selected_golives(queryset)
        posted = "apply" in request.POST or "preview" in request.POST
        form = SetGoLiveDateForm(request.POST if posted else None)
        if "apply" in request.POST and form.is_valid():
            changed, refused = 0, []
            for golive in golives:
                status = GoLiveStatus.LIVE if golive.status == GoLiveStatus.LIVE else GoLiveStatus.SCHEDULED
                try:
                    changed += bool(self._write(golive, lambda g: golive_set(
                        g, form.cleaned_data["go_live_date"], status, by=request.user,
                        reason=form.cleaned_data["reason"])))
                except ValidationError as exc:
                    refused.append(f"{golive.court.court_id}: {_first_message(exc)}")
            self.message_user(request, f"Go-live date set to {form.cleaned_data['go_live_date']} for {changed} "
                                       f"court{'s' if changed != 1 else ''} ({len(golives) - changed - len(refused)} "
                                       "unchanged).", messages.SUCCESS)
            for line in refused:
                self.message_user(request, f"Not changed: {line}", messages.ERROR)
            return None
        tell = filers_to_tell([g.court_id for g in golives])
        rows = [(g, tell.get(g.court_id, 0)) for g in golives]
        previews = None
        if "preview" in request.POST and form.is_valid():
            previews = [golive_preview(g, form.cleaned_data["go_live_date"]) for g in golives]
        return TemplateResponse(request, "admin/courts/golive_set_date.html", {
            **self.admin_site.each_context(request),
            "title": "Set the go-live date",
            "opts": self.model._meta,
            "form": form,
            "rows": rows,
            "previews": previews,
            "total_filers": sum(n for _, n in rows),
            "action": "set_golive_date",
            "select_across": request.POST.get("select_across", "0"),
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "media": self.media + form.media,
        })

    @admin.action(description="Mark live now", permissions=["golive"])
    @recent_authentication_required
    def mark_live(self, request, queryset):
        """Live from today (court zone) when the date is still to come; the change records why."""
        self._each(request, queryset, lambda g: golive_mark_live(g, by=request.user), "Marked {n} court{s} live.")

    @admin.action(description="Postpone (no date and no blackout until a new date is set)", permissions=["golive"])
    @recent_authentication_required
    def postpone(self, request, queryset):
        self._each(request, queryset, lambda g: golive_postpone(g, by=request.user), "Postponed {n} court{s}.")

    def _each(self, request, queryset, write, done: str) -> None:
        changed = 0
        for golive in self.selected_golives(queryset):
            try:
                changed += bool(self._write(golive, write))
            except ValidationError as exc:
                self.message_user(request, f"Not changed: {golive.court.court_id}: {_first_message(exc)}", messages.ERROR)
        self.message_user(request, done.format(n=changed, s="s" if changed != 1 else ""), messages.SUCCESS)


def _first_message(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{field.replace('_', ' ')}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


def golive_preview(golive: GoLive, new_date: dt.date) -> dict:
    """What setting `new_date` would do to one go-live: its date and blackout before and after, in the
    court's zone, or why the services would refuse it."""
    before = golive_facts(golive, sequence=0)
    status = GoLiveStatus.LIVE if golive.status == GoLiveStatus.LIVE else GoLiveStatus.SCHEDULED
    try:
        after = golive_facts(golive_plan(golive, new_date=new_date, new_status=status), sequence=0)
    except ValidationError as exc:
        return {"golive": golive, "before": before, "after": None, "refused": _first_message(exc)}
    return {"golive": golive, "before": before, "after": after, "refused": ""}


class GoLiveChangeColumns:
    """What a change did, each as "before → after": the date, the status, the filing pause and the
    emergency instructions (a change of the pause alone is announced to filers like a new date, so
    the history shows it beside the dates). A date or an instant never breaks across lines."""

    @admin.display(description="by", ordering="changed_by__username")
    def changed_by_label(self, obj):
        """Who made the change, and through what ("montana (admin)"); what did when no user did."""
        if obj.changed_by is None:
            return obj.source or "—"
        return f"{obj.changed_by} ({obj.source})" if obj.source else str(obj.changed_by)

    @admin.display(description="date", ordering="new_date")
    def date_change(self, obj):
        old, new = _unbroken(obj.old_date or "none"), _unbroken(obj.new_date or "none")
        return new if obj.old_date == obj.new_date else format_html("{} → {}", old, new)

    @admin.display(description="status", ordering="new_status")
    def status_change(self, obj):
        new = obj.get_new_status_display()
        return new if obj.old_status in ("", obj.new_status) else f"{obj.get_old_status_display()} → {new}"

    @admin.display(description="filing pause (court time)")
    def pause_change(self, obj):
        old, new = (obj.old_blackout_start, obj.old_blackout_end), (obj.new_blackout_start, obj.new_blackout_end)
        if old == new:
            return "—" if new == (None, None) else format_html("{} (unchanged)", self._window(obj, new))
        return format_html("{} → {}", self._window(obj, old), self._window(obj, new))

    @admin.display(description="emergency instructions")
    def instructions_change(self, obj):
        old, new = obj.old_emergency_instructions, obj.new_emergency_instructions
        if old == new:
            return "—"
        return f"{Truncator(old).chars(80) or '(none)'} → {Truncator(new).chars(80) or '(none)'}"

    @staticmethod
    def _window(obj, window):
        start, end = window
        if start is None or end is None:
            return "none"
        court = obj.golive.court
        first, last = court_time(start, court), court_time(end, court)
        zone = last.rpartition(" ")[2]
        if first.endswith(f" {zone}"):  # the zone said once when both ends are in the same one
            first = first[: -len(zone) - 1]
        return format_html("{} – {}", _unbroken(first), _unbroken(last))


def _unbroken(value):
    return format_html('<span class="nowrap">{}</span>', value)


class GoLiveChangeInline(GoLiveChangeColumns, admin.TabularInline):
    model = GoLiveChange
    fields = ("changed_at", "changed_by_label", "date_change", "status_change", "pause_change",
              "instructions_change", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        # Each row's label names the court and each row shows who changed it: read with the rows, not
        # one query per row.
        return super().get_queryset(request).select_related("golive__court", "changed_by")

    def has_add_permission(self, request, obj=None):
        return False


FEED_OWNED_NOTE = ("From the PACER court feed: a change made here lasts until the next PACER feed import writes "
                   "the feed's value over it.")


class CourtForm(forms.ModelForm):
    """The values are checked as the feed's are (`court_field_problems`: ids, characters, addresses,
    the shape of phones and offices), and a new time zone as the service will write it
    (`court_time_zone_problems`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The feed is the record of these: an import writes its value back over a correction made
        # here (only the name and time zone are kept), so whoever corrects one is told. The admin
        # shows help texts as HTML, and the models' are plain text ("ecf.<code>.uscourts.gov").
        for name in FEED_FIELDS:
            if name in self.fields:
                field = self.fields[name]
                field.help_text = " ".join(filter(None, [escape(field.help_text), FEED_OWNED_NOTE]))

    def clean(self):
        data = super().clean()
        for name, problem in court_field_problems(data).items():
            self.add_error(name if name in self.fields else None, problem)
        zone = data.get("time_zone")
        if self.instance.pk and zone and "time_zone" in self.changed_data:
            for name, problem in court_time_zone_problems(self.instance, zone).items():
                self.add_error(name, problem)
        return data


@admin.register(Court)
class CourtAdmin(CourtZoneFormAdmin, GoLiveActions, CourtScopedAdmin):
    court_field = "pk"
    zone_court_field = None  # a new court has no zone until it is saved
    form = CourtForm
    # A court's sites are served over https: an address typed without a scheme gets that one (Django
    # 6 assumes it too; saying so now is what Django 5 asks).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ("court_id", "name", "court_type", "circuit", "cmecf_code", "golive_date", "golive_status")
    list_filter = ("circuit", "court_type", CourtGoLiveStatusFilter, CourtGoLiveRangeFilter)
    search_fields = ("name", "court_id", "cmecf_code")
    actions = ("set_golive_date", "mark_live", "postpone")
    readonly_fields = ("feed_name", "name_overridden", "created_at", "updated_at", "time_zone_overridden")

    def has_delete_permission(self, request, obj=None):
        # Never, superusers included: a court's go-lives, their history and the notices sent would go
        # with it (the PACER feed adds and renames courts; a court that closes keeps its record).
        return False

    def get_readonly_fields(self, request, obj=None):
        # A saved court's id is the PACER feed's key for it and is in every court-page link and
        # calendar event already sent: changed, those links would break, calendars would get a second
        # event, and the next feed import would add the court again without its go-live.
        return self.readonly_fields if obj is None else ("court_id", *self.readonly_fields)

    def zone_court(self, obj):
        return obj

    def get_queryset(self, request):
        current = GoLive.objects.filter(court=OuterRef("pk"), rollout=rollout_current())
        return super().get_queryset(request).annotate(
            golive_date=Subquery(current.values("go_live_date")[:1]),
            golive_status=Subquery(current.values("status")[:1]),
        )

    @admin.display(description="go-live date", ordering="golive_date")
    def golive_date(self, obj):
        return obj.golive_date

    @admin.display(description="status", ordering="golive_status")
    def golive_status(self, obj):
        return GoLiveStatus(obj.golive_status).label if obj.golive_status else GoLiveStatus.NOT_SCHEDULED.label

    def save_model(self, request, obj, form, change):
        zone_changed = change and "time_zone" in form.changed_data
        super().save_model(request, obj, form, change)
        if change and "name" in form.changed_data:
            court_set_name(obj, obj.name)  # kept by every later feed import
        if zone_changed:
            court_set_time_zone(obj, obj.time_zone)  # marks the override and moves the go-live instants


class GoLiveForm(forms.ModelForm):
    """Date, status and blackout are checked as the services will write them (`golive_plan`): a moved
    date moves the blackout, shown for confirmation before it is saved; a postponement clears it."""

    blackout_move = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = GoLive
        fields = "__all__"
        help_texts = {
            "blackout_start": "Electronic filing stops at (the court's time zone).",
            "blackout_end": "Electronic filing resumes at (the court's time zone). Moving the go-live date "
                            "moves the blackout by the same number of days.",
        }

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        current = self.instance if self.instance.pk else GoLive(court=data.get("court"), status=GoLiveStatus.NOT_SCHEDULED)
        if current.court_id is None:
            return data
        given = ("blackout_start" in self.changed_data or "blackout_end" in self.changed_data)
        blackout = (data.get("blackout_start"), data.get("blackout_end")) if given else None
        try:
            kwargs = {"blackout": blackout} if given else {}
            plan = golive_plan(current, new_date=data.get("go_live_date"), new_status=data.get("status"), **kwargs)
        except ValidationError as exc:
            for field, messages_ in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, messages_)
            return data
        if plan.go_live_date != data.get("go_live_date"):
            data["go_live_date"] = plan.go_live_date  # "live" on a day still to come: today
        moved = (plan.blackout_start, plan.blackout_end) != (data.get("blackout_start"), data.get("blackout_end"))
        data["blackout_start"], data["blackout_end"] = plan.blackout_start, plan.blackout_end
        if moved and plan.blackout_start:
            window = golive_facts(plan, sequence=0).blackout_text or ""
            if data.get("blackout_move") != window:
                self.data = self.data.copy()
                self.data["blackout_move"] = window
                raise ValidationError(
                    f"Not saved yet: the new go-live date moves the filing blackout with it, to run {window} "
                    "(court time). Check it and save again to confirm, or change the blackout yourself.")
        return data


class GoLiveListForm(forms.ModelForm):
    """A row of the go-live list (date and status): checked as the services will write it. A date change
    that would move a filing blackout is sent to the change page or the "Set the go-live date…" action,
    which show the moved window before saving."""

    def clean(self):
        data = super().clean()
        if self.errors or not {"go_live_date", "status"} & set(self.changed_data):
            return data
        golive = self.instance
        try:
            plan = golive_plan(golive, new_date=data.get("go_live_date"), new_status=data.get("status"))
        except ValidationError as exc:
            raise ValidationError(_first_message(exc)) from None
        if plan.blackout_start and (plan.blackout_start, plan.blackout_end) != (golive.blackout_start, golive.blackout_end):
            raise ValidationError(
                f"Not saved: {golive.court.court_id} has a filing blackout, which would move to "
                f"{golive_facts(plan, sequence=0).blackout_text}. Use \"Set the go-live date…\" or the go-live's "
                "page to see it and confirm.")
        data["go_live_date"] = plan.go_live_date
        self.instance.blackout_start, self.instance.blackout_end = plan.blackout_start, plan.blackout_end
        return data


@admin.register(GoLive)
class GoLiveAdmin(CourtZoneFormAdmin, GoLiveActions, CourtScopedAdmin):
    """The go-live list: court, the editable date and status, and when the court goes live in its own zone,
    narrow enough for 1,280 px. Default order: upcoming go-lives soonest first, then live courts most recent
    first, then postponed without a date and not scheduled last."""

    form = GoLiveForm

    list_display = ("court_label", "go_live_date", "status", "live_at_local")
    list_display_links = ("court_label",)
    list_editable = ("go_live_date", "status")
    list_filter = (CourtCircuitFilter, "court__court_type", GoLiveStatusFilter,
                   GoLiveRangeFilter, "rollout")
    list_select_related = ("court", "rollout")
    search_fields = ("court__name", "court__court_id", "court__cmecf_code")
    actions = ("set_golive_date", "mark_live", "postpone")
    readonly_fields = ("live_at_local", "filers_are_told")
    inlines = (GoLiveChangeInline,)

    def has_delete_permission(self, request, obj=None):
        # Never, superusers included: its history and its notice deliveries would go with it, and a
        # go-live made again would announce itself to every filer a second time.
        return False

    def get_changelist_form(self, request, **kwargs):
        return GoLiveListForm

    def get_ordering(self, request):
        """Upcoming first (soonest first), then past go-lives (most recent first), then courts with no date."""
        upcoming = Q(go_live_date__gte=timezone.localdate()) & ~Q(status=GoLiveStatus.LIVE)
        group = Case(When(go_live_date__isnull=True, then=Value(2)), When(upcoming, then=Value(0)),
                     default=Value(1), output_field=IntegerField())
        return (group.asc(), Case(When(upcoming, then=F("go_live_date"))).asc(nulls_last=True),
                Case(When(~upcoming, then=F("go_live_date"))).desc(nulls_last=True), "court__name")

    def get_readonly_fields(self, request, obj=None):
        return ("live_at_local", "filers_are_told", "court", "rollout") if obj else ("live_at_local",)

    @admin.display(description="filers are told")
    def filers_are_told(self, obj):
        """What the public page, the feeds and the notices say now (courts.selectors.golive_facts)."""
        facts = golive_facts(obj, sequence=0)
        blackout = f"; filing pauses {facts.blackout_text}" if facts.has_blackout else "; no filing blackout"
        return facts.status_text + blackout

    @admin.display(description="court", ordering="court__name")
    def court_label(self, obj):
        return f"{obj.court.name} ({obj.court.court_id})"

    @admin.display(description="goes live at (court time)", ordering="live_at")
    def live_at_local(self, obj):
        return court_time(obj.live_at, obj.court) if obj.live_at else "—"

    @recent_authentication_required  # a go-live's form moves its date: notices to all its filers
    def changeform_view(self, request, *args, **kwargs):
        return super().changeform_view(request, *args, **kwargs)

    @recent_authentication_required(when=lambda request: "_save" in request.POST)  # the list's editable dates
    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        """Date, status, blackout and emergency instructions go through the services (history with who
        and when, the rules checked, filers told); the rest saves as usual."""
        new_date, new_status, blackout = obj.go_live_date, obj.status, (obj.blackout_start, obj.blackout_end)
        emergency = obj.emergency_filing_instructions
        if change:
            old = GoLive.objects.get(pk=obj.pk)
            obj.go_live_date, obj.status, obj.live_at = old.go_live_date, old.status, old.live_at
            obj.blackout_start, obj.blackout_end = old.blackout_start, old.blackout_end
            obj.emergency_filing_instructions = old.emergency_filing_instructions
        else:
            obj.go_live_date, obj.status, obj.live_at = None, GoLiveStatus.NOT_SCHEDULED, None
            obj.blackout_start = obj.blackout_end = None
        super().save_model(request, obj, form, change)
        golive_set(obj, new_date, new_status, blackout=blackout, emergency=emergency, by=request.user, reason="admin")


class GoLiveChangeDateFilter(CourtDateFilter):
    field_path = "changed_at"
    court_path = "golive__court"


@admin.register(GoLiveChange)
class GoLiveChangeAdmin(GoLiveChangeColumns, CourtZoneFormAdmin, ReadOnlyAdmin):
    court_field = "golive__court"
    list_display = ("changed_at_local", "court_code", "changed_by_label", "date_change", "status_change",
                    "pause_change", "instructions_change", "reason")
    # No date hierarchy and no plain date filter: both cut days at the user's midnight, not the court's.
    list_filter = (type("GoLiveCourtFilter", (CourtScopedFilter,), {"field_path": "golive__court_id"}),
                   "new_status", ("changed_by", admin.RelatedOnlyFieldListFilter), "source", GoLiveChangeDateFilter)
    list_select_related = ("golive__court", "changed_by")
    search_fields = ("golive__court__court_id", "golive__court__name", "reason", "source")

    def zone_court(self, obj):
        return obj.golive.court

    @admin.display(description="court", ordering="golive__court__court_id")
    def court_code(self, obj):
        return obj.golive.court.court_id

    @admin.display(description="changed at (court time)", ordering="changed_at")
    def changed_at_local(self, obj):
        return court_time(obj.changed_at, obj.golive.court)


@admin.register(SoftwareVersionChange)
class SoftwareVersionChangeAdmin(ReadOnlyAdmin):
    list_display = ("seen_on", "court", "old_version", "new_version")
    list_filter = (CourtScopedFilter, "seen_on")
    list_select_related = ("court",)
    search_fields = ("court__court_id", "court__name", "new_version", "old_version")


class RolloutForm(forms.ModelForm):
    """The name is checked as the service will store it (`rollout_field_problems`)."""

    def clean(self):
        data = super().clean()
        for name, problem in rollout_field_problems(data).items():
            self.add_error(name if name in self.fields else None, problem)
        return data


@admin.register(Rollout)
class RolloutAdmin(admin.ModelAdmin):
    form = RolloutForm
    list_display = ("slug", "name", "is_current")
    search_fields = ("slug", "name")

    def get_readonly_fields(self, request, obj=None):
        # The slug names every calendar event sent for the rollout's go-lives (their UID): changed, a
        # filer's calendar would keep the old event beside the new one.
        return self.readonly_fields if obj is None else ("slug", *self.readonly_fields)

    def save_model(self, request, obj, form, change):
        rollout_save(obj)
