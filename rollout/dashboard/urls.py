from django.urls import path

from rollout import converters  # noqa: F401  (registers <court_id:…>)
from rollout.dashboard import views

app_name = "dashboard"


urlpatterns = [
    path("", views.overview, name="overview"),
    path("courts.csv", views.overview_csv, name="overview_csv"),
    path("courts.xlsx", views.overview_xlsx, name="overview_xlsx"),
    path("upcoming/", views.upcoming, name="upcoming"),
    path("courts/<court_id:court_id>/", views.court_detail, name="court"),
    path("courts/<court_id:court_id>/accounts.csv", views.court_csv, name="court_csv"),
    path("courts/<court_id:court_id>/accounts.xlsx", views.court_xlsx, name="court_xlsx"),
]
