from django.urls import path

from rollout import converters  # noqa: F401  (registers <court_id:…> and <circuit:…>)
from rollout.status import views

app_name = "status"

urlpatterns = [
    path("", views.index, name="index"),
    path("nextgen.ics", views.ics, name="ics"),
    path("nextgen.json", views.feed_json, name="json"),
    path("circuits/<circuit:circuit>/", views.circuit, name="circuit"),
    path("circuits/<circuit:circuit>/nextgen.ics", views.ics, name="circuit_ics"),
    path("<court_id:court_id>/", views.court, name="court"),
    path("<court_id:court_id>/nextgen.ics", views.ics, name="court_ics"),
]
