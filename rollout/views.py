"""The home page is the dashboard's overview (`rollout.dashboard.views.overview`); the name `home`
stays so `reverse("home")` keeps working. The preferences page sets the user's own time zone.
`email_set_by_coordinator` stands in for allauth's email-address page. `login_locked_out` is the page django-axes answers with while a username or an address is locked out
(AXES_LOCKOUT_CALLABLE)."""
from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.middleware import SESSION_KEY
from accounts.models import UserPreference
from accounts.services import user_preference_set_time_zone
from courts.selectors import court_time_zones
from rollout.dashboard.views import overview as home  # noqa: F401

def zone_choices(current: str = "") -> list[tuple[str, str]]:
    """The zones the courts keep (staff work in one of them), UTC, and the user's own if it is another."""
    zones = sorted({*court_time_zones(), "UTC", *([current] if current else [])})
    return [("", "The site's time zone")] + [(zone, zone) for zone in zones]


class PreferencesForm(forms.Form):
    time_zone = forms.ChoiceField(
        required=False, label="Your time zone",
        help_text="For times not tied to one court (e.g. when a list was exported). A court's go-live, links and "
        "notices are always shown in that court's own zone.",
    )

    def __init__(self, *args, current: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = zone_choices(current)


@login_required
def preferences(request):
    current = UserPreference.objects.filter(user=request.user).values_list("time_zone", flat=True).first() or ""
    form = PreferencesForm(request.POST or None, initial={"time_zone": current}, current=current)
    if request.method == "POST" and form.is_valid():
        user_preference_set_time_zone(request.user, form.cleaned_data["time_zone"])
        request.session[SESSION_KEY] = form.cleaned_data["time_zone"]
        messages.success(request, "Saved: times not tied to a court are now shown in "
                                  f"{form.cleaned_data['time_zone'] or 'the site time zone'}.")
        return redirect("preferences")
    return render(request, "preferences.html", {"form": form, "now": timezone.localtime()})


@login_required
def email_set_by_coordinator(request):
    """Instead of allauth's email-address page: a staff address names the account a coordinator adds
    courts to and the one single sign-on links, so only a coordinator changes it. The page says so;
    a POST (allauth's add, make primary, remove) is refused with it (HTTP 403)."""
    return render(request, "registration/email_set_by_coordinator.html", status=200 if request.method == "GET" else 403)


def login_locked_out(request, original_response=None, credentials=None):
    """The log-in page, saying the log-in is paused, for how long and who can lift it (HTTP 429)."""
    return render(request, "registration/locked_out.html", {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }, status=429)
