from django.urls import path

from rollout.status import views

app_name = "status"

urlpatterns = [
    path("", views.index, name="index"),
    path("nextgen.ics", views.ics, name="ics"),
    path("nextgen.json", views.feed_json, name="json"),
    path("circuits/<str:circuit>/nextgen.ics", views.ics, name="circuit_ics"),
    path("<str:court_id>/", views.court, name="court"),
    path("<str:court_id>/nextgen.ics", views.ics, name="court_ics"),
]
