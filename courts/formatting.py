"""Court dates and times written out for people, in the court's own calendar and zone.

Shared by every surface (public pages, feeds, notices, the filer's page, the digest, the admin) so
that a date reads the same everywhere: "Monday, May 10, 2027", "Sunday, May 9, 2027 at 5:00 PM MDT".
"""
from __future__ import annotations

import datetime as dt


def format_day(day: dt.date | None) -> str:
    return f"{day:%A, %B} {day.day}, {day.year}" if day else ""


def format_instant(value: dt.datetime | None, tz) -> str:
    """An instant as the court reads it, with the zone's abbreviation of that day (MST or MDT)."""
    if value is None:
        return ""
    local = value.astimezone(tz)
    hour = local.strftime("%I:%M %p").lstrip("0")
    return f"{format_day(local.date())} at {hour} {local.tzname()}"
