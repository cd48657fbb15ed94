"""Reads for the public status pages and feeds: each a fixed number of queries whatever the number of courts."""
from __future__ import annotations

import datetime as dt

from django.db.models import Count, Max, Q
from django.utils import timezone

from courts.models import Court, GoLive, GoLiveStatus, Rollout
from courts.selectors import GoLiveFacts, courts_facts, golive_facts, golive_pause_called_off_text, golives_facts

NEXTGEN_STATES = {
    GoLiveStatus.LIVE: "Live",
    GoLiveStatus.SCHEDULED: "Scheduled",
    GoLiveStatus.POSTPONED: "Postponed",
    GoLiveStatus.NOT_SCHEDULED: "Not scheduled",
}


def court_rows(rollout: Rollout, *, now: dt.datetime | None = None, circuit: str | None = None,
               state: str | None = None) -> list[GoLiveFacts]:
    """Every court (of one circuit or state) with its go-live facts, in name order. Two queries."""
    courts = Court.objects.all()
    if circuit:
        courts = courts.filter(circuit=circuit)
    if state:
        courts = courts.filter(state=state)
    return courts_facts(rollout, now=now, courts=courts)


def court_facts(rollout: Rollout, court_id: str, *, now: dt.datetime | None = None) -> GoLiveFacts | None:
    """One court's facts by its id (any case), None when no court has it. Two queries."""
    court = Court.objects.filter(court_id__iexact=court_id).first()
    if court is None:
        return None
    return golives_facts(rollout, court_ids=[court.pk], now=now).get(court.pk) or golive_facts(
        None, court=court, rollout_name=rollout.name)


def court_pause_called_off(rollout: Rollout, court: Court, *, now: dt.datetime | None = None) -> str:
    """The announced filing pause that marking the court live early called off, in a sentence ("" when
    none). Two queries at most."""
    golive = GoLive.objects.filter(rollout=rollout, court=court).first()
    if golive is None:
        return ""
    golive.court = court
    return golive_pause_called_off_text(golive, now=now)


def filter_choices() -> tuple[list[str], list[str]]:
    """The circuits and states that courts have, for the filter form (one query)."""
    rows = list(Court.objects.order_by().values_list("circuit", "state").distinct())
    return sorted({c for c, _ in rows if c}), sorted({s for _, s in rows if s})


def feed_version(rollout: Rollout, *, court_ids: list[int] | None = None, circuit: str | None = None
                 ) -> tuple[dt.datetime | None, str]:
    """(last modified, a version string) of what a feed shows: two aggregate queries.

    Any change of a go-live (date, status, blackout), of a court (name, URLs, phones) or of the rollout
    (its name, in the calendar's name and every event) moves the newest `updated_at`, and the
    rollout's name is in the version itself; a removed court or go-live changes the counts. A go-live that becomes live
    or whose blackout ends changes what the feed shows with no row written (the clock alone): the
    counts of those move the version, and the latest such instant passed is a modification time."""
    golives = GoLive.objects.filter(rollout=rollout)
    courts = Court.objects.all()
    if court_ids is not None:
        golives, courts = golives.filter(court_id__in=court_ids), courts.filter(pk__in=court_ids)
    if circuit is not None:
        golives, courts = golives.filter(court__circuit=circuit), courts.filter(circuit=circuit)
    now = timezone.now()
    # What the clock alone changes (a day begun, a blackout over) counts too, so the version moves with it.
    g = golives.aggregate(m=Max("updated_at"), n=Count("id"), begun=Count("id", filter=Q(live_at__lte=now)),
                          over=Count("id", filter=Q(blackout_end__lte=now)),
                          begun_at=Max("live_at", filter=Q(live_at__lte=now)),
                          over_at=Max("blackout_end", filter=Q(blackout_end__lte=now)))
    c = courts.aggregate(m=Max("updated_at"), n=Count("id"))
    # Last-Modified moves with the clock as the ETag does, or a client asking with If-Modified-Since
    # alone would be told "not modified" after a pause ended.
    stamps = [m for m in (g["m"], g["begun_at"], g["over_at"], c["m"], rollout.updated_at) if m]
    last = max(stamps) if stamps else None
    version = (f"{rollout.pk}-{g['n']}-{g['begun']}-{g['over']}-{c['n']}-{last.timestamp() if last else 0}"
               f"-{rollout.name}")
    return last, version
