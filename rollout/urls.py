from django.contrib import admin
from allauth.account import views as allauth_views
from django.contrib.auth import views as auth_views
from django.urls import include, path

from rollout import views
from rollout.health.views import healthz
from rollout.signin import views as signin_views
from rollout.health.metrics import metrics

admin.site.site_header = "NextGen CM/ECF rollout tracker"
admin.site.site_title = "Rollout tracker admin"
admin.site.index_title = "Courts, filers and go-lives"
# The changelists here are wide (many columns); the sidebar would squeeze them into a scroll.
admin.site.enable_nav_sidebar = False

# A database outage answers 503 "try again", any other uncaught error the 500 page (rollout.outage).
handler500 = "rollout.outage.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    # Every log-in is django-allauth's (password through axes, then the second factor), the admin's too.
    path("accounts/login/", allauth_views.login, name="login"),
    path("accounts/logout/", allauth_views.logout, name="logout"),
    path("accounts/sign-out-everywhere/", signin_views.sign_out_everywhere, name="sign_out_everywhere"),
    path("accounts/email/", views.email_set_by_coordinator, name="account_email"),
    # allauth's single sign-on button (its URL), answering "unavailable" when the provider cannot be reached.
    path("accounts/oidc/<str:provider_id>/login/", signin_views.sso_login),
    path("accounts/", include("allauth.urls")),
    path("admin/login/", allauth_views.login),
    path("metrics", metrics, name="metrics"),
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
