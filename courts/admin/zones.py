"""Times in the admin: a court's times in the court's zone, labelled; forms of one court's record take
times in that zone. Times not tied to a court follow the user's own zone (accounts.middleware)."""
from __future__ import annotations

from django.utils import timezone

from courts.timezones import format_in_zone


def court_time(value, court) -> str:
    """ "2026-11-30 13:31 MST" in the court's zone, "—" when empty."""
    return format_in_zone(value, court.tzinfo)


class CourtZoneFormAdmin:
    """Change and add pages of a court's record read and take times in that court's zone.

    `zone_court(obj)` names the record's court; the page is rendered inside the override, so the
    form's fields, their initial values and the read-only times all use the court's zone.
    """

    def zone_court(self, obj):
        return obj.court

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        obj = self.get_object(request, object_id) if object_id else None
        if obj is None:
            return super().changeform_view(request, object_id, form_url, extra_context)
        court = self.zone_court(obj)
        extra_context = {**(extra_context or {}),
                         "subtitle": f"Times on this page are in {court.court_id}'s time zone, {court.time_zone} "
                                     f"({court.zone_abbreviation} now)."}
        with timezone.override(court.tzinfo):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
        return response


def court_value(text: str, court) -> str:
    """An audit value as people read it: a stored ISO date-time ("2026-11-30T20:31:00+00:00") in the
    court's zone, labelled ("2026-11-30 13:31 MST"); anything else as stored, "—" when empty."""
    import datetime as dt

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
