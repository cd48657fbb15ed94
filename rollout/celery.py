"""The Celery app. Settings come from Django's settings under the CELERY_ prefix.

The mode comes from ROLLOUT_MODE like every process (this module is imported by the `rollout`
package, so it cannot pick a default of its own); the Procfile starts the worker and beat in
production unless ROLLOUT_MODE says otherwise (`make run` sets development).
"""
import os

from celery import Celery
from celery.signals import setup_logging, task_postrun, task_prerun
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rollout.settings")

# The no-server development broker, `filesystem://`, is kombu's transport with whole-file writes
# (rollout/broker_files.py): kombu resolves a URL's scheme through this public table.
TRANSPORT_ALIASES["filesystem"] = "rollout.broker_files:Transport"

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


@task_prerun.connect
@task_postrun.connect
def close_old_database_connections(task=None, **kwargs) -> None:
    """Before and after each task, what Django does around each web request: close a database
    connection that broke (the database restarted, its backend was terminated) or outlived
    CONN_MAX_AGE, so the next query opens a fresh one; a healthy connection is kept for the next
    task (CELERY_DB_REUSE_MAX stops Celery from closing it every time). Not for a task run eagerly
    inside the caller's transaction."""
    if task is not None and task.request.is_eager:
        return
    from django.db import close_old_connections

    close_old_connections()
