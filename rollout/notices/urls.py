from django.urls import path

from rollout.notices import views

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="notice_unsubscribe"),
]
