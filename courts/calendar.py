"""The go-live calendar (RFC 5545), built with the `icalendar` library from the go-live facts.

One all-day event per dated go-live, on the go-live date of the court's own calendar (an all-day
DATE value has no zone; the description says which zone the day begins in). Its UID is stable per
court and rollout, so calendar programs update the event instead of adding one; SEQUENCE counts the
event's revisions (0 until the date first set is moved; `selectors.golive_revisions`); a postponed
go-live is its old day with STATUS:CANCELLED. The feed, the court's own feed and the notices'
"add to calendar" attachment are all built here, so they agree.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from urllib.parse import urlparse

from django.conf import settings
from icalendar import Calendar, Event, vText

from courts.selectors import GoLiveFacts

PRODID = "-//NextGen CM/ECF rollout tracker//go-live calendar//EN"


def uid_for(facts: GoLiveFacts, rollout_slug: str) -> str:
    host = urlparse(settings.SITE_URL).hostname or "localhost"
    return f"golive-{rollout_slug}-{facts.court.court_id.lower()}@{host}"


def golive_event(facts: GoLiveFacts, *, rollout_slug: str, page_url: str) -> Event:
    court, day = facts.court, facts.calendar_date
    event = Event()
    event.add("uid", uid_for(facts, rollout_slug))
    event.add("dtstamp", facts.updated_at or dt.datetime.now(dt.timezone.utc))
    if facts.updated_at:
        event.add("last-modified", facts.updated_at)
    event.add("sequence", facts.sequence)
    event.add("summary", f"{court.name}: {facts.rollout_name} go-live")
    event.add("dtstart", day)
    event.add("dtend", day + dt.timedelta(days=1))
    event.add("transp", "TRANSPARENT")
    event.add("status", "CANCELLED" if facts.postponed else "CONFIRMED")
    lines = [
        ("Postponed: a new date will be announced. " if facts.postponed else "")
        + f"The {court.name} moves to {facts.rollout_name} on this day, from midnight {court.time_zone} time "
        "(the court's time zone).",
        "Linking your CM/ECF login to your individual, upgraded PACER account is possible from then on.",
    ]
    if facts.has_blackout:
        lines.append(f"Electronic filing pauses {facts.blackout_text}.")
        if facts.emergency_instructions:
            lines.append(f"For an emergency filing during the pause: {facts.emergency_instructions}")
    if court.login_url:
        lines.append(f"CM/ECF: {court.login_url}")
    if court.help_desk_phone:
        lines.append(f"Help desk: {court.help_desk_phone}")
    lines.append(f"Details: {page_url}")
    event.add("description", "\n".join(lines))
    event.add("url", page_url)
    return event


def calendar_for(facts: Iterable[GoLiveFacts], *, name: str, rollout_slug: str,
                 page_url: Callable[[object], str]) -> Calendar:
    """A calendar of the dated go-lives among `facts`; `page_url(court)` is each court's public page."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    # X-WR-CALNAME has no registered type, so RFC 5545 (3.8.8.2) reads it as TEXT, whose commas and
    # semicolons are escaped; icalendar writes a property it has no type for as it is ("Guam, Bankruptcy
    # Division" would be two values).
    cal.add("x-wr-calname", vText(name))
    for item in facts:
        if item.calendar_date:
            cal.add_component(golive_event(item, rollout_slug=rollout_slug, page_url=page_url(item.court)))
    return cal
