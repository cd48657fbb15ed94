"""The home page is the dashboard's overview (`rollout.dashboard.views.overview`); the name `home`
stays so `reverse("home")` keeps working."""
from rollout.dashboard.views import overview as home  # noqa: F401
