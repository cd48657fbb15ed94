from django.urls import path

from rollout.filers import views

app_name = "filers"

urlpatterns = [
    path("", views.request_link, name="request_link"),
    path("address/<str:token>/", views.email_confirm, name="email_confirm"),
    path("address/undo/<str:token>/", views.email_undo, name="email_undo"),
    path("<str:token>/", views.status, name="status"),
    path("<str:token>/linked/", views.report_linked, name="report_linked"),
    path("<str:token>/upgraded/", views.report_upgraded, name="report_upgraded"),
    path("<str:token>/help/", views.ask_help, name="help"),
    path("<str:token>/address/", views.change_email, name="change_email"),
]
