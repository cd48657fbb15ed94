"""The home page is the dashboard's overview (`rollout.dashboard.views.overview`); the name `home`
stays so `reverse("home")` keeps working. `login_locked_out` is the page django-axes answers with
while a username or an address is locked out (AXES_LOCKOUT_CALLABLE)."""
from django.conf import settings
from django.shortcuts import render

from rollout.dashboard.views import overview as home  # noqa: F401


def login_locked_out(request, original_response=None, credentials=None):
    """The log-in page, saying the log-in is paused, for how long and who can lift it (HTTP 429)."""
    return render(request, "registration/locked_out.html", {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }, status=429)
