"""Reads for the dashboard. Every function takes the court ids a user may see (None = every court).

Counts come from the stored per-court counters (`accounts.counts`), never from counting accounts
per page view; only the court page's burn-up reads accounts, grouped by day over one court's linked
accounts through the (court, linked_at) index.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass, field

from django.db.models import (
    Case, CharField, Count, F, FilteredRelation, FloatField, IntegerField, Q, QuerySet, Value, When,
)
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.http import Http404
from django.utils import timezone

from accounts.counts import stored_readiness_counts
from accounts.models import CmecfAccount
from accounts.readiness import NEEDS_ACTION, ORDER as READINESS_ORDER, Readiness
from accounts.selectors import cmecf_accounts_with_readiness
from courts.input_checks import is_court_id
from courts.models import Court, GoLive, GoLiveStatus, Rollout
from courts.selectors import courts_for_user, golive_live_q, rollout_current

log = logging.getLogger(__name__)

# How many days of links the projected completion date extrapolates from.
PACE_WINDOW_DAYS = 30


def courts_with_rollout(
    courts: QuerySet[Court], *, rollout: Rollout, now: dt.datetime | None = None
) -> QuerySet[Court]:
    """Courts annotated with their go-live on `rollout` and their stored counts, for one SQL query.

    Annotations: golive_date, golive_status (stored), display_status (live once the go-live date
    has started in the court's time zone), registered, linked, needs_action, pct_linked (0–100).
    The counts join the stored counter table (one row per court), so sorting and filtering on
    them stays in SQL and never touches the accounts table.
    """
    now = now or timezone.now()
    needs_action = sum(
        (Coalesce(F(f"readiness_count__{state}"), 0) for state in NEEDS_ACTION[1:]),
        Coalesce(F(f"readiness_count__{NEEDS_ACTION[0]}"), 0),
    )
    return (
        courts
        .annotate(cur=FilteredRelation("golives", condition=Q(golives__rollout=rollout)))
        .annotate(
            golive_date=F("cur__go_live_date"),
            golive_status=Coalesce(F("cur__status"), Value(GoLiveStatus.NOT_SCHEDULED)),
            display_status=Case(
                When(golive_live_q(now, prefix="cur__"), then=Value(GoLiveStatus.LIVE)),
                When(cur__status=GoLiveStatus.POSTPONED, then=Value(GoLiveStatus.POSTPONED)),
                When(cur__status=GoLiveStatus.SCHEDULED, then=Value(GoLiveStatus.SCHEDULED)),
                default=Value(GoLiveStatus.NOT_SCHEDULED),
                output_field=CharField(),
            ),
            registered=Coalesce(F("readiness_count__total"), 0),
            linked=Coalesce(F("readiness_count__linked"), 0),
            needs_action=Cast(needs_action, IntegerField()),
            pct_linked=Case(
                When(readiness_count__total__gt=0,
                     then=Cast(F("readiness_count__linked"), FloatField()) * 100.0 / Cast(F("readiness_count__total"), FloatField())),
                default=Value(0.0),
                output_field=FloatField(),
            ),
        )
    )


@dataclass
class OverviewSummary:
    """The summary cards: courts by go-live status and filers' progress, over the courts shown."""

    courts: int = 0
    by_status: dict[str, int] = field(default_factory=lambda: dict.fromkeys(GoLiveStatus.values, 0))
    registered: int = 0
    linked: int = 0
    needs_action: int = 0
    by_readiness: dict[str, int] = field(default_factory=lambda: dict.fromkeys(READINESS_ORDER, 0))
    court_ids: list[int] = field(default_factory=list)

    @property
    def pct_linked(self) -> float:
        return 100.0 * self.linked / self.registered if self.registered else 0.0


def overview_summary(courts: QuerySet[Court], *, now: dt.datetime | None = None) -> tuple[OverviewSummary, list[int]]:
    """The summary of the (filtered, annotated) courts: one query for their ids and statuses, two
    for their stored counts. Returns the summary and the court ids (for the announcements)."""
    summary = OverviewSummary()
    rows = list(courts.order_by().values_list("id", "display_status"))
    ids = [court_id for court_id, _ in rows]
    for _, status in rows:
        summary.by_status[status] += 1
    summary.courts = len(rows)
    for counts in stored_readiness_counts(ids, now=now).values():
        for state, n in counts.items():
            summary.by_readiness[state] += n
    summary.registered = sum(summary.by_readiness.values())
    summary.linked = summary.by_readiness[Readiness.LINKED]
    summary.needs_action = sum(summary.by_readiness[s] for s in NEEDS_ACTION)
    summary.court_ids = ids
    return summary, ids


def last_announcements(court_ids: list[int]) -> dict[int, tuple[str, dt.datetime]]:
    """{court id: (notice kind label, sent at)} — the last announcement sent to each court's filers."""
    from rollout.notices.selectors import last_announcements as notices_last_announcements

    return notices_last_announcements(court_ids)


def notice_health(court_ids: list[int], now: dt.datetime):
    """{court id: CourtNoticeHealth} — stalled notices and unreachable filers per court (2 queries)."""
    from rollout.notices.selectors import courts_notice_health

    return courts_notice_health(court_ids, now)


def unreachable_filers(court_ids: list[int]) -> int:
    """Filers with an undeliverable address at any of these courts, each counted once (1 query)."""
    from rollout.notices.selectors import unreachable_filers_count

    return unreachable_filers_count(court_ids)


def court_notice_health(court: Court, now: dt.datetime):
    from rollout.notices.selectors import court_notice_health as health

    return health(court, now)


def court_notice_summary(court: Court) -> list[dict]:
    """Rows for the court page's Notices section: per notice kind, how many were sent, are due, failed."""
    from rollout.notices.models import NoticeKind
    from rollout.notices.selectors import notice_summary

    summary = notice_summary(court)
    return [{"kind": kind, "label": NoticeKind(kind).label, **counts} for kind, counts in summary.items()]


def court_for_user_or_404(user, court_id: str) -> Court:
    """The court with this PACER court_id (any case) if the user administers it; 404 otherwise,
    so another court's URL reveals nothing about it."""
    if not is_court_id(court_id):  # e.g. a NUL byte, which PostgreSQL would refuse in the query
        raise Http404("No court of yours has this id.")
    court = courts_for_user(user).filter(court_id__iexact=court_id).first()
    if court is None:
        raise Http404("No court of yours has this id.")
    return court


def court_golive(court: Court, rollout: Rollout) -> GoLive | None:
    return GoLive.objects.filter(court=court, rollout=rollout).first()


def golive_history(golive: GoLive | None, limit: int = 20) -> list:
    if golive is None:
        return []
    return list(golive.changes.select_related("changed_by").order_by("-changed_at", "-id")[:limit])


@dataclass
class Funnel:
    registered: int
    upgraded: int  # with an individual, upgraded PACER account (nothing about PACER left to fix)
    linked: int
    by_state: list[tuple[str, str, int]]  # (state, label, count) in funnel order

    def pct(self, n: int) -> float:
        return 100.0 * n / self.registered if self.registered else 0.0

    @property
    def steps(self) -> list[tuple[str, int, float]]:
        return [
            ("Registered CM/ECF accounts", self.registered, 100.0 if self.registered else 0.0),
            ("With an individual, upgraded PACER account", self.upgraded, self.pct(self.upgraded)),
            ("Linked", self.linked, self.pct(self.linked)),
        ]


def court_funnel(court: Court, *, live: bool, now: dt.datetime | None = None) -> Funnel:
    counts = stored_readiness_counts([court.id], now=now, live_court_ids=[court.id] if live else []).get(court.id) or dict.fromkeys(READINESS_ORDER, 0)
    registered = sum(counts.values())
    pacer_problems = counts[Readiness.NO_PACER] + counts[Readiness.SHARED] + counts[Readiness.LEGACY]
    return Funnel(
        registered=registered,
        upgraded=registered - pacer_problems,
        linked=counts[Readiness.LINKED],
        by_state=[(state, Readiness.label_of(state), counts[state]) for state in READINESS_ORDER],
    )


@dataclass
class BurnUp:
    """Linked accounts per day since go-live, cumulative, and where the current pace leads."""

    start: dt.date | None
    today: dt.date
    registered: int
    points: list[tuple[dt.date, int]]  # (day, linked by the end of that day), days with links only
    linked: int
    pace_per_day: float
    projected: dt.date | None  # None when done or when the pace is zero

    @property
    def remaining(self) -> int:
        return max(self.registered - self.linked, 0)


def court_burnup(court: Court, golive: GoLive | None, registered: int, *, now: dt.datetime | None = None) -> BurnUp:
    """Steps: one grouped query of links per day in the court's time zone (the (court, linked_at)
    index bounds it to this court's linked accounts); a running total; the pace over the last
    PACE_WINDOW_DAYS days; the date the remaining accounts would be linked at that pace."""
    now = now or timezone.now()
    today = court.local_today(now)
    start = golive.go_live_date if golive and golive.go_live_date else None
    rows = (
        CmecfAccount.objects.filter(court=court, linked_at__isnull=False)
        .annotate(day=TruncDate("linked_at", tzinfo=court.tzinfo))
        .order_by()
        .values("day")
        .annotate(n=Count("*"))  # COUNT(*): the (court, linked_at) index alone answers it
        .order_by("day")
    )
    points, running, recent = [], 0, 0
    window_start = today - dt.timedelta(days=PACE_WINDOW_DAYS)
    for row in rows:
        running += row["n"]
        points.append((row["day"], running))
        if window_start < row["day"] <= today:
            recent += row["n"]
    if start is None and points:
        start = points[0][0]
    pace = recent / PACE_WINDOW_DAYS
    remaining = max(registered - running, 0)
    projected = None
    if remaining and pace > 0:
        projected = today + dt.timedelta(days=math.ceil(remaining / pace))
    elif not remaining and points:
        projected = points[-1][0]
    return BurnUp(start=start, today=today, registered=registered, points=points, linked=running,
                  pace_per_day=pace, projected=projected)


def court_accounts(court: Court, *, now: dt.datetime | None = None, live: bool) -> QuerySet[CmecfAccount]:
    """The court's CM/ECF accounts with `readiness`, their filer joined (for the table and exports)."""
    return cmecf_accounts_with_readiness(
        CmecfAccount.objects.filter(court=court), now=now, live_court_ids=[court.id] if live else []
    ).select_related("filer")


def upcoming_golives(courts: QuerySet[Court], *, rollout: Rollout, now: dt.datetime, months: int) -> list[GoLive]:
    """Scheduled and postponed go-lives dated from the court's own today to `months` months after it,
    soonest first.

    "Today" is each court's date at `now` (Guam's starts hours before the viewer's): the query takes a
    day more on each side of the UTC date, which holds every zone's today (UTC-12 to UTC+14), and each
    row is then kept against its court's today."""
    span = dt.timedelta(days=round(months * 30.44))
    utc_today = now.astimezone(dt.timezone.utc).date()
    golives = GoLive.objects.filter(
        rollout=rollout, status__in=[GoLiveStatus.SCHEDULED, GoLiveStatus.POSTPONED],
        go_live_date__gte=utc_today - dt.timedelta(days=1), go_live_date__lte=utc_today + dt.timedelta(days=1) + span,
        court__in=courts,
    ).select_related("court").order_by("go_live_date", "court__name")
    return [golive for golive in golives
            if (today := golive.court.local_today(now)) <= golive.go_live_date <= today + span]


def current_rollout() -> Rollout:
    return rollout_current()


PEER_CURVES_CACHE_SECONDS = 600


def peer_curves(rollout: Rollout, *, now: dt.datetime | None = None) -> dict:
    """Every live court's weekly % linked curve since go-live (`rollout.dashboard.peers`): two queries,
    the second reading every live court's linked accounts. The answer
    moves by a few links a day and is the same for every user, so it is kept in Django's cache for
    PEER_CURVES_CACHE_SECONDS."""
    from rollout.dashboard.peers import live_court_curves

    now = now or timezone.now()

    def compute() -> dict:
        rows = (GoLive.objects.filter(golive_live_q(now), rollout=rollout, go_live_date__isnull=False).order_by()
                .values_list("court_id", "go_live_date", "court__readiness_count__total", "court__time_zone"))
        return live_court_curves({court_id: (day, total or 0, zone) for court_id, day, total, zone in rows}, now)

    # Each court's day turns at its own midnight, a whole hour in UTC for every U.S. zone: a key per
    # UTC hour never serves a curve computed before one of them.
    key = f"rollout:peer-curves:{rollout.pk}:{now.astimezone(dt.timezone.utc):%Y-%m-%dT%H}"
    return _cached(key, PEER_CURVES_CACHE_SECONDS, compute)


def _cached(key: str, seconds: int, compute):
    """compute() kept in Django's cache for `seconds`. The cache only saves work: when it cannot be
    reached (Redis down, which /healthz reports), the value is computed afresh and the page still
    renders."""
    from django.core.cache import cache

    try:
        value = cache.get(key)
    except Exception:  # the backend raises its client's own connection errors
        log.warning("cache unreachable: %s computed without it", key, exc_info=True)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, seconds)
        except Exception:
            log.warning("cache unreachable: %s not kept", key, exc_info=True)
    return value


def attention_first(courts: QuerySet[Court]) -> QuerySet[Court]:
    """The overview's default order: live courts with accounts first, lowest % linked first (the most
    behind); then the others by soonest go-live, courts with no date last; then by name."""
    live = Q(display_status=GoLiveStatus.LIVE, registered__gt=0)
    return courts.alias(
        attention_group=Case(When(live, then=Value(0)), default=Value(1), output_field=IntegerField()),
        live_pct=Case(When(live, then=F("pct_linked")), output_field=FloatField()),
    ).order_by("attention_group", F("live_pct").asc(nulls_last=True), F("golive_date").asc(nulls_last=True), "name")
