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
from courts.timezones import format_in_zone

TABLE_TEMPLATE = "dashboard/_table.html"


PER_PAGE = 50  # rows per page unless the query string asks for another number
PER_PAGE_MAX = 500


def bounded_per_page(value) -> int:
    """`per_page` from the query string as django-tables2 read it (an int, or None when it was not one):
    at least 1, at most PER_PAGE_MAX, PER_PAGE when missing, zero or negative."""
    if not isinstance(value, int) or value < 1:
        return PER_PAGE
    return min(value, PER_PAGE_MAX)


PAGE_MAX = 10**6  # past any court's rows at any page size; an OFFSET past 2**63 fails in the database


def bounded_page(value):
    """`page` from the query string, at most PAGE_MAX (a page that far is empty, as any page past the
    last): without a count (a search) the paginator would ask the database for that OFFSET."""
    try:
        return min(int(value), PAGE_MAX)
    except (TypeError, ValueError):
        return value  # not a number: the paginator says so, and the first page shows


class BoundedPagesTable(tables.Table):
    """A table whose page size is bounded whatever the query string says (`per_page=-1` or `10**9`)."""

    def paginate(self, paginator_class=Paginator, per_page=None, page=1, *args, **kwargs):
        return super().paginate(paginator_class, bounded_per_page(per_page), bounded_page(page), *args, **kwargs)


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
    """A progress bar with its value as text beside it (the bar itself is hidden from screen readers).

    The bar is an SVG rect whose width is an attribute, not a style: the Content-Security-Policy
    allows no inline styles."""
    return format_html(
        '<span class="progress"><svg class="bar" aria-hidden="true" viewBox="0 0 100 1" preserveAspectRatio="none">'
        '<rect width="{}" height="1"/></svg>'
        '<span class="pct">{}%<span class="visually-hidden"> {}</span></span></span>',
        f"{min(max(pct, 0), 100):.1f}", f"{pct:.1f}", label,
    )


def vs_peers_of(curves: dict, record, known: frozenset[int] = frozenset()) -> float | None:
    """`known`: the viewer's courts (`rollout.dashboard.peers`)."""
    from rollout.dashboard.peers import vs_peers

    if record.display_status != GoLiveStatus.LIVE or not record.registered:
        return None  # not live, or no account to link: nothing to compare
    return vs_peers(curves, record.id, record.pct_linked, known)


class CourtTable(BoundedPagesTable):
    """The overview's table of courts (rows from `selectors.courts_with_rollout`)."""

    name = tables.Column(verbose_name="Court", order_by=("name", "court_id"), attrs={"td": {"class": "court-name"}})
    circuit = tables.Column(verbose_name="Circuit", order_by=("circuit", "name"))
    golive_date = tables.Column(verbose_name="NextGen go-live", empty_values=(), attrs={"td": {"class": "nowrap"}})
    days = tables.Column(verbose_name="Days until / since", accessor="golive_date", empty_values=(),
                         order_by="golive_date", attrs={"td": {"class": "nowrap"}})
    display_status = tables.Column(verbose_name="Status", order_by=("display_status", "name"))
    registered = tables.Column(verbose_name="Registered", attrs={"th": {"class": "num"}, "td": {"class": "num"}},
                               order_by=("-registered", "name"))
    linked = tables.Column(verbose_name="Linked", attrs={"th": {"class": "num"}, "td": {"class": "num"}},
                           order_by=("-linked", "name"))
    pct_linked = tables.Column(verbose_name="% linked", order_by=("-pct_linked", "name"))
    vs_peers = tables.Column(verbose_name="vs. peers", orderable=False, empty_values=(),
                             attrs={"th": {"class": "num", "title": "% linked minus the median of the other live "
                                           "courts at the same number of weeks since go-live, in points"},
                                    "td": {"class": "num nowrap"}})
    needs_action = tables.Column(verbose_name="Need action", attrs={"th": {"class": "num"}, "td": {"class": "num"}},
                                 order_by=("-needs_action", "name"))
    last_announcement_at = tables.Column(verbose_name="Last announcement", orderable=False, empty_values=())

    class Meta:
        template_name = TABLE_TEMPLATE
        attrs = {"class": "table courts"}
        per_page = PER_PAGE
        empty_text = "No court matches these filters."
        # The default order is the view's (`selectors.attention_first`). Counts list the largest first on the
        # first click ("-registered" is the column's first order), the smallest on the second.
        order_by = ()

    def __init__(self, *args, now: dt.datetime | None = None, announcements: dict | None = None,
                 notice_health: dict | None = None, caption: str = "Courts", peers: dict | None = None,
                 peers_known: frozenset[int] = frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()
        self.announcements = announcements or {}
        self.notice_health = notice_health or {}
        self.caption = caption
        self.peers = peers or {}
        self.peers_known = peers_known

    def order_golive_date(self, queryset, is_descending):
        return _nulls_last(queryset, "golive_date", is_descending)

    def order_days(self, queryset, is_descending):
        return _nulls_last(queryset, "golive_date", is_descending)

    def render_name(self, record):
        url = reverse("dashboard:court", args=[record.court_id.lower()])
        return format_html('<span><a href="{}">{}</a> <span class="code">{}</span></span>', url, record.name, record.court_id)

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

    def render_vs_peers(self, record):
        value = vs_peers_of(self.peers, record, self.peers_known)
        if value is None:
            return mark_safe('<span class="muted">—</span>')
        css = "behind" if value < -0.05 else "ahead" if value > 0.05 else "even"
        return format_html('<span class="peers peers-{}">{}</span>', css, f"{value:+.1f} pts")

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


class AccountTable(BoundedPagesTable):
    """A court's CM/ECF accounts (rows from `selectors.court_accounts`)."""

    filer = tables.Column(verbose_name="Filer", accessor="filer__name", order_by=("filer__name", "login"))
    login = tables.Column(verbose_name="CM/ECF login")
    email = tables.Column(verbose_name="Email", accessor="filer__email", order_by=("filer__email", "login"))
    readiness = tables.Column(verbose_name="Readiness", order_by=("readiness", "login"))
    linked_at = tables.Column(verbose_name="Linked (court time)", empty_values=(), attrs={"td": {"class": "nowrap"}})

    class Meta:
        template_name = TABLE_TEMPLATE
        attrs = {"class": "table accounts"}
        per_page = PER_PAGE
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
        return format_in_zone(record.linked_at, self.court.tzinfo)
