"""Reads about courts and their go-lives.

`golive_facts` / `golives_facts` / `courts_facts` are the one source of what filers are told about a
go-live (status as of now, the firm date, the blackout, the calendar SEQUENCE, the texts): the public
pages and feeds, the filer's page, the dashboard, the notices, the digest and the admin all read them.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from courts.formatting import format_day, format_instant
from courts.models import Court, GoLive, GoLiveStatus, Rollout


def rollout_current() -> Rollout:
    """The rollout the tracker follows now (NextGen CM/ECF unless another is marked current)."""
    rollout = Rollout.objects.filter(is_current=True).first()
    if rollout is None:
        rollout, _ = Rollout.objects.get_or_create(
            slug="nextgen", defaults={"name": "NextGen CM/ECF", "is_current": True}
        )
    return rollout


def golive_live_q(now: dt.datetime | None = None, prefix: str = "") -> Q:
    """The condition "this go-live is live at `now`" as a Q over GoLive (or a relation via `prefix`).

    Scheduled or marked live, from its start (`live_at`) on: a court marked live today was not live
    last year, so a link dated before its go-live is not taken. (A live court's start is never in the
    future — the services refuse it — so at the present instant every court marked live is live.)"""
    now = now or timezone.now()
    return Q(**{f"{prefix}status": GoLiveStatus.LIVE, f"{prefix}live_at__isnull": True}) | Q(
        **{f"{prefix}status__in": (GoLiveStatus.LIVE, GoLiveStatus.SCHEDULED), f"{prefix}live_at__lte": now}
    )


def court_ids_live(now: dt.datetime | None = None, rollout: Rollout | None = None) -> list[int]:
    """Ids of the courts live on the current rollout at `now`: one small query (≈200 courts)."""
    rollout = rollout or rollout_current()
    return list(
        GoLive.objects.filter(golive_live_q(now), rollout=rollout).order_by().values_list("court_id", flat=True)
    )


# Who administers a court: the CourtAdministrator rows (accounts) reached through their reverse relation
# `administrators`, so every app's admin can confine itself without courts importing accounts.

def courts_for_user(user) -> QuerySet[Court]:
    """The courts a user administers: every court for a superuser, none for anyone not staff."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Court.objects.none()
    if user.is_superuser:
        return Court.objects.all()
    if not user.is_staff:
        return Court.objects.none()
    return Court.objects.filter(administrators__user=user)


def court_time_zones() -> list[str]:
    """The time zones the courts keep, each once, in order."""
    return list(Court.objects.order_by("time_zone").values_list("time_zone", flat=True).distinct())


def court_ids_for_user(user) -> list[int] | None:
    """The administered court ids, or None for "every court" (a superuser)."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return None
    return list(courts_for_user(user).values_list("id", flat=True))


def user_administers(user, court: Court) -> bool:
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    return bool(user.is_staff and court.administrators.filter(user=user).exists())


# --- The go-live facts every surface reads ------------------------------------------------------

def _differs_q(old: str, new: str) -> Q:
    """`old` IS DISTINCT FROM `new` (two nullable columns) as plain conditions."""
    return (Q(**{f"{old}__isnull": True}, **{f"{new}__isnull": False})
            | Q(**{f"{old}__isnull": False}, **{f"{new}__isnull": True})
            | Q(**{f"{old}__lt": F(new)}) | Q(**{f"{old}__gt": F(new)}))


def golive_revision_q(prefix: str = "changes__") -> Q:
    """A GoLiveChange that touches the go-live's calendar event: a date set, moved or removed, a
    postponement made or ended while the go-live had a date, or the filing pause or its emergency
    instructions (both of which the event's description gives) changed alone on a dated go-live (over a
    relation via `prefix`)."""
    p = prefix
    dated = Q(**{f"{p}old_date__isnull": False}) | Q(**{f"{p}new_date__isnull": False})
    date_moved = (
        Q(**{f"{p}old_date__isnull": True}) | Q(**{f"{p}new_date__isnull": True})
        | Q(**{f"{p}old_date__lt": F(f"{p}new_date")}) | Q(**{f"{p}old_date__gt": F(f"{p}new_date")})
    )
    postponed = Q(**{f"{p}new_status": GoLiveStatus.POSTPONED}) & ~Q(**{f"{p}old_status": GoLiveStatus.POSTPONED})
    resumed = Q(**{f"{p}old_status": GoLiveStatus.POSTPONED}) & ~Q(**{f"{p}new_status": GoLiveStatus.POSTPONED})
    # Recorded alone only while a pause is set (courts.services.golive_change), as the event gives them.
    instructions_changed = _differs_q(f"{p}old_emergency_instructions", f"{p}new_emergency_instructions")
    pause_moved = (Q(**{f"{p}old_date": F(f"{p}new_date")}) & Q(**{f"{p}old_status": F(f"{p}new_status")})
                   & (_differs_q(f"{p}old_blackout_start", f"{p}new_blackout_start")
                      | _differs_q(f"{p}old_blackout_end", f"{p}new_blackout_end") | instructions_changed))
    return dated & (date_moved | postponed | resumed | pause_moved)


def golives_with_revisions(golives: QuerySet[GoLive]) -> QuerySet[GoLive]:
    """Annotate `revised` (touches with a date before) and `datings` (a date set where there was none):
    the event's revisions (its RFC 5545 SEQUENCE) are revised + datings − 1, the first date ever set
    (or a row dated before history was kept) not being one."""
    return golives.annotate(
        revised=Count("changes", filter=golive_revision_q() & Q(changes__old_date__isnull=False)),
        datings=Count("changes", filter=Q(changes__old_date__isnull=True, changes__new_date__isnull=False)),
    )


def _sequence(revised: int, datings: int) -> int:
    return revised + max(datings - 1, 0)


def golive_revisions(golive: GoLive) -> int:
    """How often the go-live's calendar event was revised since its date was first set (0: never). One query."""
    if golive.pk is None:
        return 0
    row = golives_with_revisions(GoLive.objects.filter(pk=golive.pk)).values("revised", "datings").first()
    return _sequence(row["revised"], row["datings"]) if row else 0


@dataclass(frozen=True)
class GoLiveFacts:
    """What filers are told about one court's go-live, as of one moment.

    `status` is what a filer sees: live once the go-live day has begun in the court's zone (before the
    beat records it). Only a scheduled or live go-live has a firm `go_live_date`; a postponed one keeps
    the date that no longer holds as `was_date`. The blackout shows on a scheduled court, and on a live
    court until it ends; never on a postponed or unscheduled one.
    """

    court: Court
    rollout_name: str
    status: str
    go_live_date: dt.date | None
    was_date: dt.date | None
    blackout_start: dt.datetime | None
    blackout_end: dt.datetime | None
    emergency_instructions: str
    sequence: int
    updated_at: dt.datetime | None

    @property
    def tz(self):
        return self.court.tzinfo

    @property
    def live(self) -> bool:
        return self.status == GoLiveStatus.LIVE

    @property
    def postponed(self) -> bool:
        return self.status == GoLiveStatus.POSTPONED

    @property
    def has_blackout(self) -> bool:
        return self.blackout_start is not None

    @property
    def calendar_date(self) -> dt.date | None:
        """The day of the calendar event: the firm date, or the cancelled one of a postponed go-live."""
        return self.go_live_date or self.was_date

    @property
    def date_text(self) -> str:
        return format_day(self.go_live_date)

    @property
    def was_text(self) -> str:
        return format_day(self.was_date)

    @property
    def status_label(self) -> str:
        return GoLiveStatus(self.status).label

    @property
    def status_text(self) -> str:
        """ "Live since Monday, September 27, 2021", "Scheduled for …", "Postponed (was …)", "Not scheduled"."""
        if self.status == GoLiveStatus.LIVE:
            return f"Live since {self.date_text}"
        if self.status == GoLiveStatus.SCHEDULED:
            return f"Scheduled for {self.date_text}"
        if self.status == GoLiveStatus.POSTPONED:
            return "Postponed" + (f" (was {self.was_text})" if self.was_date else "")
        return "Not scheduled"

    @property
    def when_text(self) -> str:
        """The go-live in full, saying which zone the day starts in."""
        zone = self.court.time_zone
        if self.status == GoLiveStatus.LIVE:
            return f"Live since {self.date_text} (in the court's time zone, {zone})"
        if self.status == GoLiveStatus.POSTPONED:
            return "Postponed; a new date will be announced" + (f" (was {self.was_text})" if self.was_date else "")
        if self.status == GoLiveStatus.SCHEDULED:
            return f"{self.date_text}, from midnight {zone} time (the court's time zone)"
        return "Not scheduled yet"

    @property
    def blackout_start_text(self) -> str:
        return format_instant(self.blackout_start, self.tz)

    @property
    def blackout_end_text(self) -> str:
        return format_instant(self.blackout_end, self.tz)

    @property
    def blackout_text(self) -> str:
        """ "from Friday, May 7, 2027 at 5:00 PM MDT until Monday, May 10, 2027 at 8:00 AM MDT" or ""."""
        if not self.has_blackout:
            return ""
        return f"from {self.blackout_start_text} until {self.blackout_end_text}"


def golive_facts(
    golive: GoLive | None, *, court: Court | None = None, now: dt.datetime | None = None,
    sequence: int | None = None, rollout_name: str = "",
) -> GoLiveFacts:
    """The facts of one go-live (or of a court without one). `sequence` is read (one query) unless
    given or annotated (`touches`)."""
    now = now or timezone.now()
    court = court or golive.court
    if golive is None:
        return GoLiveFacts(court, rollout_name, GoLiveStatus.NOT_SCHEDULED, None, None, None, None, "", 0, None)
    if sequence is None:
        revised = getattr(golive, "revised", None)
        sequence = _sequence(revised, golive.datings) if revised is not None else golive_revisions(golive)
    status = golive.status
    if status == GoLiveStatus.SCHEDULED and golive.live_at is not None and now >= golive.live_at:
        status = GoLiveStatus.LIVE
    firm = status in (GoLiveStatus.SCHEDULED, GoLiveStatus.LIVE)
    start, end = golive.blackout_start, golive.blackout_end
    show_blackout = firm and start is not None and end is not None and not (status == GoLiveStatus.LIVE and end <= now)
    if golive.rollout_id and not rollout_name:
        rollout_name = golive.rollout.name
    return GoLiveFacts(
        court=court, rollout_name=rollout_name, status=status,
        go_live_date=golive.go_live_date if firm else None,
        was_date=golive.go_live_date if status == GoLiveStatus.POSTPONED else None,
        blackout_start=start if show_blackout else None, blackout_end=end if show_blackout else None,
        emergency_instructions=(golive.emergency_filing_instructions or "") if show_blackout else "",
        sequence=sequence, updated_at=golive.updated_at,
    )


def golive_pause_called_off_text(golive: GoLive | None, *, now: dt.datetime | None = None) -> str:
    """The filing pause that marking the court live early called off, written out for filers ("" when
    none): they were told filing would pause, and nothing else says it will not.

    Steps: only a live go-live with no pause to come or under way; its latest change that cleared a
    pause while it was not over yet (one query) either marked the court live then, or
    postponed it (taking the pause away) before a later change marked it live while the pause
    would still have been to come or under way (one more query).
    """
    now = now or timezone.now()
    if golive is None or golive.pk is None or not golive.is_live(now):
        return ""
    if golive.blackout_end is not None and golive.blackout_end > now:
        return ""  # a pause holds now: the notice states it (one set since, already over, does not)
    # The last pause taken away while it was still to come or under way (one over by then told
    # nobody anything untrue; one replaced by another is the other's to announce).
    change = (golive.changes.filter(old_blackout_start__isnull=False, old_blackout_end__gt=F("changed_at"),
                                    new_blackout_start__isnull=True)
              .order_by("-changed_at", "-id").first())
    if change is None or change.old_status == GoLiveStatus.LIVE:
        return ""
    tz = golive.court.tzinfo
    start, end = format_instant(change.old_blackout_start, tz), format_instant(change.old_blackout_end, tz)
    if change.new_status != GoLiveStatus.LIVE:
        if change.old_blackout_end <= now or not golive.changes.filter(
                id__gt=change.id, new_status=GoLiveStatus.LIVE).exists():
            return ""
        if change.old_blackout_start > now:
            return (f"The filing pause announced from {start} until {end} does not take place: "
                    "the court is live, and electronic filing here stays open.")
        return f"The filing pause announced until {end} does not take place: electronic filing here is open."
    if change.old_blackout_start > change.changed_at:
        return (f"The filing pause announced from {start} until {end} does not take place: "
                "the court went live early, and electronic filing here stays open.")
    return (f"The filing pause announced until {end} ended early, when the court went live: "
            "electronic filing here is open.")


def golives_facts(
    rollout: Rollout, *, court_ids: list[int] | None = None, circuit: str | None = None,
    now: dt.datetime | None = None,
) -> dict[int, GoLiveFacts]:
    """{court pk: facts} of the courts with a go-live on `rollout` (optionally some courts or one
    circuit). One query whatever the number of courts."""
    now = now or timezone.now()
    golives = GoLive.objects.filter(rollout=rollout)
    if court_ids is not None:
        golives = golives.filter(court_id__in=court_ids)
    if circuit is not None:
        golives = golives.filter(court__circuit=circuit)
    golives = golives_with_revisions(golives.select_related("court", "rollout")).order_by()
    return {g.court_id: golive_facts(g, now=now, rollout_name=rollout.name) for g in golives}


def courts_facts(rollout: Rollout, *, now: dt.datetime | None = None, courts: QuerySet[Court] | None = None
                 ) -> list[GoLiveFacts]:
    """The facts of every court (or of `courts`), in name order; a court without a go-live is not
    scheduled. Two queries."""
    courts = list((courts if courts is not None else Court.objects.all()).order_by("name", "court_id"))
    facts = golives_facts(rollout, court_ids=[c.pk for c in courts], now=now)
    result = []
    for court in courts:
        found = facts.get(court.pk)
        if found is not None:
            found = dataclasses.replace(found, court=court)
        result.append(found or golive_facts(None, court=court, rollout_name=rollout.name))
    return result
