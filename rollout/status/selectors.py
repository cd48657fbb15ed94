"""Reads for the public status pages and feeds: each a fixed number of queries whatever the number of courts."""
from __future__ import annotations

import datetime as dt

from django.db.models import Case, CharField, Count, F, FilteredRelation, Max, Q, QuerySet, TextField, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from courts.models import Court, GoLive, GoLiveStatus, Rollout
from courts.selectors import golive_live_q

NEXTGEN_STATES = {
    GoLiveStatus.LIVE: "Live",
    GoLiveStatus.SCHEDULED: "Scheduled",
    GoLiveStatus.POSTPONED: "Postponed",
    GoLiveStatus.NOT_SCHEDULED: "Not scheduled",
}


def courts_with_status(rollout: Rollout, *, now: dt.datetime | None = None) -> QuerySet[Court]:
    """Every court with its go-live on `rollout`: golive_date, nextgen_status (live once the go-live day
    has begun in the court's zone), blackout and emergency instructions. One query."""
    now = now or timezone.now()
    return (
        Court.objects.annotate(cur=FilteredRelation("golives", condition=Q(golives__rollout=rollout)))
        .annotate(
            golive_date=F("cur__go_live_date"),
            nextgen_status=Case(
                When(golive_live_q(now, prefix="cur__"), then=Value(GoLiveStatus.LIVE)),
                When(cur__status=GoLiveStatus.POSTPONED, then=Value(GoLiveStatus.POSTPONED)),
                When(cur__status=GoLiveStatus.SCHEDULED, then=Value(GoLiveStatus.SCHEDULED)),
                default=Value(GoLiveStatus.NOT_SCHEDULED), output_field=CharField(),
            ),
            blackout_start=F("cur__blackout_start"), blackout_end=F("cur__blackout_end"),
            emergency=Coalesce(F("cur__emergency_filing_instructions"), Value(""), output_field=TextField()),
        )
        .order_by("name", "court_id")
    )


def filter_choices() -> tuple[list[str], list[str]]:
    """The circuits and states that courts have, for the filter form (one query)."""
    rows = list(Court.objects.order_by().values_list("circuit", "state").distinct())
    return sorted({c for c, _ in rows if c}), sorted({s for _, s in rows if s})


# A reschedule, a postponement or its end: each raises the event's SEQUENCE (RFC 5545 §3.8.7.4).
_RESCHEDULE = (
    Q(changes__old_date__isnull=True, changes__new_date__isnull=False)
    | Q(changes__old_date__isnull=False, changes__new_date__isnull=True)
    | Q(changes__old_date__lt=F("changes__new_date")) | Q(changes__old_date__gt=F("changes__new_date"))
    | Q(changes__new_status=GoLiveStatus.POSTPONED) | Q(changes__old_status=GoLiveStatus.POSTPONED)
)


def calendar_golives(rollout: Rollout, *, court_ids: list[int] | None = None, circuit: str | None = None) -> list[GoLive]:
    """Dated go-lives on `rollout` with their court and `sequence` (how often they were rescheduled). One query."""
    golives = GoLive.objects.filter(rollout=rollout, go_live_date__isnull=False)
    if court_ids is not None:
        golives = golives.filter(court_id__in=court_ids)
    if circuit is not None:
        golives = golives.filter(court__circuit=circuit)
    return list(golives.select_related("court", "rollout").annotate(sequence=Count("changes", filter=_RESCHEDULE))
                .order_by("go_live_date", "court__name"))


def golive_sequence(golive: GoLive) -> int:
    return GoLive.objects.filter(pk=golive.pk).annotate(sequence=Count("changes", filter=_RESCHEDULE)) \
        .values_list("sequence", flat=True).get()


def feed_version(rollout: Rollout, *, court_ids: list[int] | None = None, circuit: str | None = None
                 ) -> tuple[dt.datetime | None, str]:
    """(last modified, a version string) of what a feed shows: two aggregate queries.

    Any change of a go-live (date, status, blackout) or of a court (name, URLs, phones) moves the
    newest `updated_at`; a removed court or go-live changes the counts."""
    golives = GoLive.objects.filter(rollout=rollout)
    courts = Court.objects.all()
    if court_ids is not None:
        golives, courts = golives.filter(court_id__in=court_ids), courts.filter(pk__in=court_ids)
    if circuit is not None:
        golives, courts = golives.filter(court__circuit=circuit), courts.filter(circuit=circuit)
    g = golives.aggregate(m=Max("updated_at"), n=Count("id"))
    c = courts.aggregate(m=Max("updated_at"), n=Count("id"))
    stamps = [m for m in (g["m"], c["m"]) if m]
    last = max(stamps) if stamps else None
    version = f"{rollout.pk}-{g['n']}-{c['n']}-{last.timestamp() if last else 0}"
    return last, version
