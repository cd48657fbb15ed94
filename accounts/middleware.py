"""Activate the signed-in user's own time zone for times not tied to a court (a court's times are always
shown in the court's zone, whatever the user's)."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from django.utils import timezone


SESSION_KEY = "rollout_time_zone"


class UserTimeZoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = ""
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            zone = request.session.get(SESSION_KEY)
            if zone is None:
                # Read once per session (the preferences page refreshes it); no row = the site's zone.
                from accounts.models import UserPreference

                zone = UserPreference.objects.filter(user=user).values_list("time_zone", flat=True).first() or ""
                request.session[SESSION_KEY] = zone
        if zone:
            timezone.activate(ZoneInfo(zone))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
