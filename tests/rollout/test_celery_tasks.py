"""Rules every Celery task of the project keeps, checked on the app's own registry."""
from __future__ import annotations

from django.conf import settings

from rollout.celery import app


def project_tasks():
    app.loader.import_default_modules()
    return [task for name, task in app.tasks.items() if not name.startswith("celery.")]


def test_a_task_acknowledged_late_ends_before_the_broker_hands_it_to_another_worker():
    """With acks_late, Redis gives a message not acknowledged within its visibility timeout to a
    second worker: a task allowed to run longer could run twice at once."""
    visibility = settings.REDIS_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    late = [task for task in project_tasks() if getattr(task, "acks_late", False)]
    assert late
    assert [task.name for task in late if not task.time_limit or task.time_limit >= visibility] == []
