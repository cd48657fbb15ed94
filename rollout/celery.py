"""The Celery app. Settings come from Django's settings under the CELERY_ prefix.

The mode comes from ROLLOUT_MODE like every process (this module is imported by the `rollout`
package, so it cannot pick a default of its own); the Procfile starts the worker and beat in
production unless ROLLOUT_MODE says otherwise (`make run` sets development).
"""
import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rollout.settings")

app = Celery("rollout")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Tasks in packages below the apps (autodiscovery only looks at `<app>.tasks`).
app.autodiscover_tasks(["rollout.notices", "rollout.filers"])


@setup_logging.connect
def use_django_logging(**kwargs) -> None:
    """The worker and beat log through the project's LOGGING (settings), in the same format as the web
    process, instead of Celery's own: connecting this signal tells Celery to leave logging alone."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
