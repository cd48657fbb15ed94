from django.apps import AppConfig

# What court administrators may do with notices, confined to their courts by the admin.
NOTICE_PERMISSIONS = {"rollout": {"noticetemplate": ("view", "add", "change", "delete"), "noticedelivery": ("view",),
                                  "bouncedaddress": ("view",),
                                  # Their own weekly digests only (the admin shows each user theirs).
                                  "admindigest": ("view",)}}


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
        _media_storage_check()


def _media_storage_check() -> None:
    """MEDIA_STORAGE names a class that imports: the settings only found its module (they may not
    import it), and otherwise the first upload of an import would answer 500, long after start-up."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.utils.module_loading import import_string

    from rollout.settings.base import STORAGE_EXAMPLE

    backend = settings.STORAGES["default"]["BACKEND"]
    try:
        import_string(backend)
    except ImportError as exc:
        raise ImproperlyConfigured(f'Environment variable "MEDIA_STORAGE" invalid: {backend} cannot be imported '
                                   f"({exc}; {STORAGE_EXAMPLE}).") from None
