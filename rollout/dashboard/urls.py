from django.urls import path, register_converter

from courts.input_checks import COURT_ID
from rollout.dashboard import views

app_name = "dashboard"


class CourtIdConverter:
    """A PACER court id in a URL (any case): letters and digits, at most 16. Anything else
    (`MTDC%00UTDC`, a quote, a slash) matches no URL, so it is a 404 before any query runs."""

    regex = COURT_ID.pattern.removesuffix(r"\Z")

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CourtIdConverter, "court_id")

urlpatterns = [
    path("", views.overview, name="overview"),
    path("courts.csv", views.overview_csv, name="overview_csv"),
    path("courts.xlsx", views.overview_xlsx, name="overview_xlsx"),
    path("upcoming/", views.upcoming, name="upcoming"),
    path("courts/<court_id:court_id>/", views.court_detail, name="court"),
    path("courts/<court_id:court_id>/accounts.csv", views.court_csv, name="court_csv"),
    path("courts/<court_id:court_id>/accounts.xlsx", views.court_xlsx, name="court_xlsx"),
]
