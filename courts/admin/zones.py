"""Times in the admin: a court's times in the court's zone, labelled; forms of one court's record take
times in that zone; date filters whose days are each court's own. Times not tied to a court follow the
user's own zone (accounts.middleware)."""
from __future__ import annotations

import datetime as dt

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import Q
from django.utils import timezone

from courts.admin.scope import request_courts
from courts.timezones import format_in_zone


def court_time(value, court) -> str:
    """ "2026-11-30 13:31 MST" in the court's zone, "—" when empty."""
    return format_in_zone(value, court.tzinfo)


def court_zone_note(court) -> str:
    return (f"Times on this page are in {court.court_id}'s time zone, {court.time_zone} "
            f"({court.zone_abbreviation} now).")


# A new record's court is not known until the form names it: until then the page says whose zone it
# will be, so the help texts' "the court's time zone" is never a guess.
ADD_ZONE_NOTE = "Times on this page are in the time zone of the court you choose."


class CourtZoneFormAdmin:
    """Change, view and add pages of a court's record read and take times in that court's zone.

    `zone_court(obj)` names the record's court (None: the record has none, and the page follows the
    user's zone). On the add page the court is the one the form names (`zone_court_field`, posted or
    given as ?court=), looked up among the user's courts only: a court the user does not administer
    is refused by the form's choices, and its zone must not be used to read the form either. The
    page is rendered inside the override, so the form's fields, their initial values and the
    read-only times all use the court's zone.
    """

    zone_court_field: str | None = "court"

    def zone_court(self, obj):
        return obj.court

    def zone_court_for_add(self, request):
        if not self.zone_court_field:
            return None
        data = request.POST if request.method == "POST" else request.GET
        value = data.get(self.zone_court_field) or ""
        if not (value.isascii() and value.isdigit() and len(value) <= 18):  # junk names no court
            return None
        return request_courts(request).filter(pk=int(value)).first()

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id:
            obj = self.get_object(request, object_id)
            court = self.zone_court(obj) if obj is not None else None
        else:
            court = self.zone_court_for_add(request)
        if court is None:
            if not object_id and self.zone_court_field:
                extra_context = {**(extra_context or {}), "subtitle": ADD_ZONE_NOTE}
            return super().changeform_view(request, object_id, form_url, extra_context)
        extra_context = {**(extra_context or {}), "subtitle": court_zone_note(court)}
        with timezone.override(court.tzinfo):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
        return response


class CourtDateFilter(admin.SimpleListFilter):
    """A date filter whose days are each court's own: "today" is the day it is at each row's court,
    from that court's midnight to the next, and a given day (?court_day=2026-03-10) is that calendar day
    at each court. Django's date filters and date hierarchy cut days at the user's midnight, which
    files a Guam change made on a Tuesday morning under Monday.

    One condition per time zone among the user's courts (a range on `field_path`, which its index
    serves, for the courts of that zone), so the filter stays one query over the records; rows with no
    court (`court_may_be_empty`) take the user's own zone, as their times are shown.
    """

    title = "date (court time)"
    parameter_name = "court_day"
    field_path = "at"
    court_path = "court"
    court_may_be_empty = False
    CHOICES = (("today", "Today"), ("past_7_days", "Past 7 days"), ("this_month", "This month"),
               ("this_year", "This year"))

    def lookups(self, request, model_admin):
        day = _iso_day(self.value())
        return [*self.CHOICES, *([(self.value(), day.isoformat())] if day else [])]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        if self.value() not in dict(self.CHOICES) and _iso_day(self.value()) is None:
            raise IncorrectLookupParameters(f"Not a date choice: {self.value()[:40]!r}")
        now = timezone.now()
        by_zone: dict[str, list] = {}
        for court in request_courts(request).only("pk", "time_zone"):
            by_zone.setdefault(court.time_zone, []).append(court)
        match = Q()
        for courts in by_zone.values():
            start, end = self._days(courts[0].local_today(now))
            match |= Q(**{f"{self.court_path}_id__in": [c.pk for c in courts],
                          f"{self.field_path}__gte": courts[0].local_midnight(start),
                          f"{self.field_path}__lt": courts[0].local_midnight(end)})
        if self.court_may_be_empty:
            zone = timezone.get_current_timezone()
            start, end = self._days(now.astimezone(zone).date())
            match |= Q(**{f"{self.court_path}__isnull": True,
                          f"{self.field_path}__gte": dt.datetime.combine(start, dt.time.min, tzinfo=zone),
                          f"{self.field_path}__lt": dt.datetime.combine(end, dt.time.min, tzinfo=zone)})
        return queryset.filter(match) if match else queryset.none()

    def _days(self, today: dt.date) -> tuple[dt.date, dt.date]:
        """The chosen days, [first, after last), given the day it is at the court."""
        value, tomorrow = self.value(), today + dt.timedelta(days=1)
        if value == "today":
            return today, tomorrow
        if value == "past_7_days":  # as Django's own date filter counts it
            return today - dt.timedelta(days=7), tomorrow
        if value == "this_month":
            first = today.replace(day=1)
            return first, (first + dt.timedelta(days=32)).replace(day=1)
        if value == "this_year":
            return today.replace(month=1, day=1), today.replace(year=today.year + 1, month=1, day=1)
        day = _iso_day(value)
        return day, day + dt.timedelta(days=1)


def _iso_day(value) -> dt.date | None:
    try:
        day = dt.date.fromisoformat(value or "")
    except ValueError:
        return None
    # One day either side of the calendar's ends: no midnight out of datetime's range.
    return day if dt.date.min < day < dt.date.max else None


def court_value(text: str, court) -> str:
    """An audit value as people read it: a stored ISO date-time ("2026-11-30T20:31:00+00:00") in the
    court's zone, labelled ("2026-11-30 13:31 MST"); anything else as stored, "—" when empty."""
    if not text:
        return "—"
    if court is not None and "T" in text and len(text) >= 19:
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            return text
        if timezone.is_aware(value):
            return court_time(value, court)
    return text
