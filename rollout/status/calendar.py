"""The go-live calendar (RFC 5545), built with the `icalendar` library.

One all-day event per dated go-live, on the go-live date of the court's own calendar (an all-day
DATE value has no zone; the description says which zone the day begins in). Its UID is stable per
court and rollout, so calendar programs update the event instead of adding one; SEQUENCE counts the
reschedules (`selectors.calendar_golives`); a postponed go-live is STATUS:CANCELLED.
"""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlparse

from django.conf import settings
from django.urls import reverse
from icalendar import Calendar, Event

from courts.models import GoLive, GoLiveStatus

PRODID = "-//NextGen CM/ECF rollout tracker//go-live calendar//EN"


def uid_for(golive: GoLive) -> str:
    host = urlparse(settings.SITE_URL).hostname or "localhost"
    return f"golive-{golive.rollout.slug}-{golive.court.court_id.lower()}@{host}"


def court_page_url(court) -> str:
    return f"{settings.SITE_URL}{reverse('status:court', args=[court.court_id.lower()])}"


def golive_event(golive: GoLive, sequence: int) -> Event:
    court = golive.court
    event = Event()
    event.add("uid", uid_for(golive))
    event.add("dtstamp", golive.updated_at or dt.datetime.now(dt.timezone.utc))
    if golive.updated_at:
        event.add("last-modified", golive.updated_at)
    event.add("sequence", sequence)
    event.add("summary", f"{court.name}: {golive.rollout.name} go-live")
    event.add("dtstart", golive.go_live_date)
    event.add("dtend", golive.go_live_date + dt.timedelta(days=1))
    event.add("transp", "TRANSPARENT")
    postponed = golive.status == GoLiveStatus.POSTPONED
    event.add("status", "CANCELLED" if postponed else "CONFIRMED")
    lines = [
        ("Postponed: a new date will be announced. " if postponed else "")
        + f"The {court.name} moves to {golive.rollout.name} on this day, from midnight {court.time_zone} time "
        "(the court's time zone).",
        "Linking your CM/ECF login to your individual, upgraded PACER account is possible from then on.",
    ]
    if court.login_url:
        lines.append(f"CM/ECF: {court.login_url}")
    if court.help_desk_phone:
        lines.append(f"Help desk: {court.help_desk_phone}")
    url = court_page_url(court)
    lines.append(f"Details: {url}")
    event.add("description", "\n".join(lines))
    event.add("url", url)
    return event


def calendar_for(golives: list[GoLive], *, name: str) -> Calendar:
    """A calendar of `golives`, each carrying its `sequence` annotation."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for golive in golives:
        cal.add_component(golive_event(golive, getattr(golive, "sequence", 0)))
    return cal


def golive_ics(golive: GoLive, sequence: int) -> bytes:
    """One go-live as an .ics file (the "add to calendar" attachment of prepare and date-changed notices)."""
    return calendar_for([_with_sequence(golive, sequence)], name=f"{golive.court.name} go-live").to_ical()


def _with_sequence(golive: GoLive, sequence: int) -> GoLive:
    golive.sequence = sequence
    return golive
