from django.apps import AppConfig

# What court administrators may do with notices, confined to their courts by the admin.
NOTICE_PERMISSIONS = {"rollout": {"noticetemplate": ("view", "add", "change", "delete"), "noticedelivery": ("view",),
                                  "bouncedaddress": ("view",)}}


class RolloutConfig(AppConfig):
    name = "rollout"
    verbose_name = "Rollout"

    def ready(self) -> None:
        from accounts.permissions import grant_after_migrate

        # Notices react to go-live changes (courts.signals) without courts importing rollout.
        from rollout.notices import signals  # noqa: F401
        # The beat heartbeat and per-task log lines (Celery signals).
        from rollout.health import signals as health_signals  # noqa: F401
        # The notices' admin pages live with the notices (admin.autodiscover only looks for rollout.admin).
        from rollout.notices import admin as notices_admin  # noqa: F401
        # The sign-in log (superusers only).
        from rollout.signin import admin as signin_admin  # noqa: F401
        # django-axes' lists (superusers only).
        from rollout import axes_admin  # noqa: F401

        # The sign-in log (Django's and django-allauth's signals).
        from rollout.signin import signals as signin_signals  # noqa: F401
        # The notice tasks are registered in every process, so the dispatcher publishes them by name
        # (the tasks call the dispatcher; it does not import them back).
        from rollout.notices import tasks  # noqa: F401

        grant_after_migrate(self, NOTICE_PERMISSIONS)
