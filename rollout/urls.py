from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from rollout import views
from rollout.health.views import healthz
from rollout.metrics import metrics

admin.site.site_header = "NextGen CM/ECF rollout tracker"
admin.site.site_title = "Rollout tracker admin"
admin.site.index_title = "Courts, filers and go-lives"
# The changelists here are wide (many columns); the sidebar would squeeze them into a scroll.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The link a new court administrator gets to set a password (Django's reset token and pages).
    path("accounts/reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("preferences/", views.preferences, name="preferences"),
    path("admin/", admin.site.urls),
    path("", include("rollout.dashboard.urls")),
    path("notices/", include("rollout.notices.urls")),
    path("me/", include("rollout.filers.urls")),
    path("status/", include("rollout.status.urls")),
]
