"""The dashboard's tables (django-tables2). Sorting happens in SQL; numbers get thousands separators."""
from __future__ import annotations

import datetime as dt

import django_tables2 as tables
from django.core.paginator import Paginator
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.contrib.humanize.templatetags.humanize import intcomma

from accounts.readiness import NEEDS_ACTION, Readiness
from courts.models import GoLiveStatus

TABLE_TEMPLATE = "dashboard/_table.html"


class KnownCountPaginator(Paginator):
    """A paginator told the row count (e.g. the court's stored total), so it never runs COUNT(*).
    With no count given it falls back to counting, as Django's paginator does."""

    def __init__(self, object_list, per_page, *args, known_count: int | None = None, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        self._known_count = known_count

    @cached_property
    def count(self) -> int:
        return self._known_count if self._known_count is not None else super().count


def _nulls_last(queryset, field: str, is_descending: bool):
    expr = F(field).desc(nulls_last=True) if is_descending else F(field).asc(nulls_last=True)
    return queryset.order_by(expr, "name"), True


def days_from_golive(day: dt.date | None, today: dt.date) -> str:
    if day is None:
        return "—"
    delta = (day - today).days
    if delta == 0:
        return "today"
    if delta > 0:
        return f"in {intcomma(delta)} day{'s' if delta != 1 else ''}"
    return f"{intcomma(-delta)} day{'s' if delta != -1 else ''} ago"


def progress_html(pct: float, label: str = "linked"):
    """A progress bar with its value as text beside it (the bar itself is hidden from screen readers)."""
    return format_html(
        '<span class="progress"><span class="bar" aria-hidden="true"><span style="width:{}%"></span></span>'
        '<span class="pct">{}%<span class="visually-hidden"> {}</span></span></span>',
        f"{min(max(pct, 0), 100):.1f}", f"{pct:.1f}", label,
    )


class CourtTable(tables.Table):
    """The overview's table of courts (rows from `selectors.courts_with_rollout`)."""

    name = tables.Column(verbose_name="Court", order_by=("name", "court_id"), attrs={"td": {"class": "court-name"}})
    court_type = tables.Column(verbose_name="Type")
    circuit = tables.Column(verbose_name="Circuit", order_by=("circuit", "name"))
    golive_date = tables.Column(verbose_name="NextGen go-live", empty_values=(), attrs={"td": {"class": "nowrap"}})
    days = tables.Column(verbose_name="Days until / since", accessor="golive_date", empty_values=(),
                         order_by="golive_date", attrs={"td": {"class": "nowrap"}})
    display_status = tables.Column(verbose_name="Status", order_by=("display_status", "name"))
    registered = tables.Column(verbose_name="Registered", attrs={"th": {"class": "num"}, "td": {"class": "num"}},
                               order_by=("registered", "name"))
    linked = tables.Column(verbose_name="Linked", attrs={"th": {"class": "num"}, "td": {"class": "num"}},
                           order_by=("linked", "name"))
    pct_linked = tables.Column(verbose_name="% linked", order_by=("pct_linked", "name"))
    needs_action = tables.Column(verbose_name="Need action", attrs={"th": {"class": "num"}, "td": {"class": "num"}},
                                 order_by=("needs_action", "name"))
    last_announcement_at = tables.Column(verbose_name="Last announcement", orderable=False, empty_values=())

    class Meta:
        template_name = TABLE_TEMPLATE
        attrs = {"class": "table courts"}
        per_page = 50
        empty_text = "No court matches these filters."
        order_by = ("golive_date",)

    def __init__(self, *args, now: dt.datetime | None = None, announcements: dict | None = None,
                 notice_health: dict | None = None, caption: str = "Courts", **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()
        self.announcements = announcements or {}
        self.notice_health = notice_health or {}
        self.caption = caption

    def order_golive_date(self, queryset, is_descending):
        return _nulls_last(queryset, "golive_date", is_descending)

    def order_days(self, queryset, is_descending):
        return _nulls_last(queryset, "golive_date", is_descending)

    def render_name(self, record):
        url = reverse("dashboard:court", args=[record.court_id.lower()])
        return format_html('<span><a href="{}">{}</a> <span class="code">{}</span></span>', url, record.name, record.court_id)

    def render_court_type(self, record):
        return record.get_court_type_display()

    def render_golive_date(self, record):
        return record.golive_date.isoformat() if record.golive_date else "—"

    def render_days(self, record):
        return days_from_golive(record.golive_date, record.local_today(self.now))

    def render_display_status(self, value):
        return format_html('<span class="status status-{}">{}</span>', value, GoLiveStatus(value).label)

    def render_registered(self, value):
        return intcomma(value)

    def render_linked(self, value):
        return intcomma(value)

    def render_needs_action(self, value):
        return intcomma(value)

    def render_pct_linked(self, value):
        return progress_html(value)

    def render_last_announcement_at(self, record):
        found = self.announcements.get(record.id)
        if not found:
            cell = mark_safe('<span class="muted">none yet</span>')
        else:
            label, sent_at = found
            local = timezone.localtime(sent_at, record.tzinfo)
            cell = format_html("{}<br><span class=\"muted\">{}</span>", label, local.strftime("%Y-%m-%d %H:%M %Z"))
        health = self.notice_health.get(record.id)
        if health and health.stalled:
            since = timezone.localtime(health.stalled_since, record.tzinfo).strftime("%Y-%m-%d %H:%M %Z")
            cell = format_html('{}<br><strong class="error">Stalled: {} due since {}</strong>', cell,
                               intcomma(health.stalled), since)
        if health and health.unreachable:
            cell = format_html('{}<br><span class="error">{} unreachable filer{}</span>', cell,
                               intcomma(health.unreachable), "" if health.unreachable == 1 else "s")
        return cell


class AccountTable(tables.Table):
    """A court's CM/ECF accounts (rows from `selectors.court_accounts`)."""

    filer = tables.Column(verbose_name="Filer", accessor="filer__name", order_by=("filer__name", "login"))
    login = tables.Column(verbose_name="CM/ECF login")
    email = tables.Column(verbose_name="Email", accessor="filer__email", order_by=("filer__email", "login"))
    readiness = tables.Column(verbose_name="Readiness", order_by=("readiness", "login"))
    linked_at = tables.Column(verbose_name="Linked (court time)", empty_values=(), attrs={"td": {"class": "nowrap"}})

    class Meta:
        template_name = TABLE_TEMPLATE
        attrs = {"class": "table accounts"}
        per_page = 50
        empty_text = "No account matches these filters."
        order_by = ("login",)

    def __init__(self, *args, court=None, caption: str = "CM/ECF accounts", **kwargs):
        super().__init__(*args, **kwargs)
        self.court = court
        self.caption = caption

    def order_linked_at(self, queryset, is_descending):
        expr = F("linked_at").desc(nulls_last=True) if is_descending else F("linked_at").asc(nulls_last=True)
        return queryset.order_by(expr, "login"), True

    def render_filer(self, record):
        if record.cmecf_name and record.cmecf_name != record.filer.name:
            return format_html('<span>{}<br><span class="muted">CM/ECF: {}</span></span>', record.filer.name, record.cmecf_name)
        return record.filer.name

    def render_readiness(self, value):
        css = "bad" if value in NEEDS_ACTION else "ok" if value in (Readiness.LINKED, Readiness.READY) else "wait"
        return format_html('<span class="state state-{}">{}</span>', css, Readiness.label_of(value))

    def render_linked_at(self, record):
        if not record.linked_at:
            return "—"
        return timezone.localtime(record.linked_at, self.court.tzinfo).strftime("%Y-%m-%d %H:%M")
