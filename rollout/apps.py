from django.apps import AppConfig


class RolloutConfig(AppConfig):
    name = "rollout"
    verbose_name = "Rollout"

    def ready(self) -> None:
        # Notices react to go-live changes (courts.signals) without courts importing rollout.
        from rollout.notices import signals  # noqa: F401
        # The beat heartbeat and per-task log lines (Celery signals; issue 11).
        from rollout.health import signals as health_signals  # noqa: F401
