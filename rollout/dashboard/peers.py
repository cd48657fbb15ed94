"""Who is behind: each live court compared with its peers at the same age.

The peer bucket is the number of whole weeks since go-live (week 0 = the go-live day and the six days
after it). A court's *peers* at week w are the other live courts that have been live for at least w
weeks; their value is the share of their accounts linked by the end of their own week w (the links of
that week included). A court's "vs. peers" is its % linked now minus the median of its peers' values
at its current week, in percentage points: +5.0 means five points ahead of the typical court at the
same stage. Weeks rather than days, because a single day's median swings with the weekday. Days are
each court's own: a link's day is its date in the court's time zone, and a court's current week
counts from its own today (Guam's day starts hours before the server's).

Peers are every live court, not only the user's: only the median is shown, never another court's
figures, and only over at least PEERS_MIN courts the viewer does not administer (`known`): the median
of one peer is that court's figure, and with the court's own % linked beside "vs. peers" anyone could
read it back — as could an administrator of three courts from a median of those three and one other. One grouped query over the linked accounts of the live courts feeds both the overview's
column and the court page's peer curve.
"""
from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from zoneinfo import ZoneInfo

from django.db.models import Case, Count, DateField, When
from django.db.models.functions import TruncDate

from accounts.models import CmecfAccount

WEEK = 7
PEERS_MIN = 3
Curve = list[float]  # % linked at the end of week 0, 1, 2, … since go-live


def median(values: dict[int, float], known: frozenset[int] = frozenset()) -> float | None:
    """The median of {court id: value}; None when fewer than PEERS_MIN of the courts are outside
    `known` (the courts whose figures the viewer already sees)."""
    unknown = sum(1 for court_id in values if court_id not in known)
    return statistics.median(values.values()) if unknown >= PEERS_MIN else None


def week_of(day: dt.date, go_live: dt.date) -> int:
    return max((day - go_live).days, 0) // WEEK


def curve_from_links(links: list[tuple[dt.date, int]], *, go_live: dt.date, today: dt.date, registered: int) -> Curve:
    """% linked at the end of each week since go-live up to the current week, from (day, links that day)."""
    weeks = week_of(today, go_live) + 1
    per_week = [0] * weeks
    for day, n in links:
        per_week[min(week_of(day, go_live), weeks - 1)] += n
    curve, running = [], 0
    for n in per_week:
        running += n
        curve.append(100.0 * running / registered if registered else 0.0)
    return curve


def peer_median_curve(curves: dict[int, Curve], *, exclude: int | None = None, weeks: int | None = None,
                      known: frozenset[int] = frozenset()) -> list[float | None]:
    """Per week w: the median over the courts (but `exclude`) whose curve reaches w; None where fewer
    than PEERS_MIN of them are outside `known`."""
    others = {key: c for key, c in curves.items() if key != exclude}
    length = weeks if weeks is not None else max((len(c) for c in others.values()), default=0)
    return [median({key: c[w] for key, c in others.items() if len(c) > w}, known) for w in range(length)]


def vs_peers(curves: dict[int, Curve], court_id: int, pct_now: float,
             known: frozenset[int] = frozenset()) -> float | None:
    """The court's % linked now minus its peers' median at its current week (None: not live, or fewer
    than PEERS_MIN peers outside `known`)."""
    curve = curves.get(court_id)
    if not curve:
        return None
    peer = median({key: c[len(curve) - 1] for key, c in curves.items() if key != court_id and len(c) >= len(curve)},
                  known)
    return None if peer is None else pct_now - peer


def live_court_curves(golives: dict[int, tuple[dt.date, int, str]], now: dt.datetime) -> dict[int, Curve]:
    """{court id: curve} for live courts given as {court id: (go-live date, registered accounts, time zone)}.

    One grouped query: links per court and day in the court's time zone over the linked accounts of
    these courts."""
    links: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    if golives:
        rows = (CmecfAccount.objects.filter(court_id__in=list(golives), linked_at__isnull=False)
                .annotate(day=_court_local_day("linked_at", golives)).order_by()
                .values_list("court_id", "day").annotate(n=Count("*")))
        for court_id, day, n in rows:
            links[court_id].append((day, n))
    curves = {}
    for court_id, (go_live, registered, zone) in golives.items():
        today = now.astimezone(ZoneInfo(zone)).date()
        if go_live <= today:
            curves[court_id] = curve_from_links(links[court_id], go_live=go_live, today=today, registered=registered)
    return curves


def _court_local_day(field: str, golives: dict[int, tuple[dt.date, int, str]]) -> Case:
    """The day of `field` in its court's time zone, in SQL on any backend: TruncDate in each zone the
    courts keep (a handful), chosen by court id, so the (court, linked_at) index still answers alone."""
    by_zone: dict[str, list[int]] = defaultdict(list)
    for court_id, (_, _, zone) in golives.items():
        by_zone[zone].append(court_id)
    return Case(*[When(court_id__in=ids, then=TruncDate(field, tzinfo=ZoneInfo(zone)))
                  for zone, ids in sorted(by_zone.items())], output_field=DateField())
