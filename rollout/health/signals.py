"""Celery signal handlers: the beat and sweep heartbeats and one structured log line per task.

The notices code stays untouched: beat's heartbeat is written when it sends a sweep, the sweep's when
the sweep or dispatch task succeeds, and the
send task's delivery ids (its argument) and their courts' codes go into the task's start and end log lines, so every
delivery can be traced to the task run (and request id, through django-guid) that sent it.
"""
from __future__ import annotations

import logging

from celery.signals import beat_init, before_task_publish, task_failure, task_postrun, task_prerun
from django.db import DatabaseError, close_old_connections

from rollout.health.models import BEAT_SWEEP_SENT
from rollout.health.selectors import deliveries_court_codes
from rollout.health.services import heartbeat_record
from rollout.health.metrics import IMPORT_TASK, import_job_event_count

DISPATCH = "rollout.notices.tasks.dispatch"
SWEEP = "rollout.notices.tasks.sweep"
SEND = "rollout.notices.tasks.send_deliveries"
logger = logging.getLogger("rollout.tasks")


def _fields(task, args, kwargs) -> dict:
    fields = {"task": task.name, "task_id": task.request.id, "retries": task.request.retries or 0}
    if task.name == SEND:
        ids = (args[0] if args else kwargs.get("ids")) or []
        fields["delivery_ids"] = list(ids)
        try:
            fields["court_ids"] = deliveries_court_codes(fields["delivery_ids"])
        except DatabaseError:
            # The database is down (often why the task failed): the line still comes, with its ids.
            fields["court_ids"] = None
    return fields


@task_prerun.connect
def task_started(sender=None, task_id=None, task=None, args=(), kwargs=None, **_):
    logger.info("task started", extra=_fields(task, args, kwargs or {}))
    if task.name == IMPORT_TASK:
        import_job_event_count("started")


@task_postrun.connect
def task_finished(sender=None, task_id=None, task=None, args=(), kwargs=None, retval=None, state=None, **_):
    logger.info("task finished", extra={**_fields(task, args, kwargs or {}), "state": state,
                                        "result": retval if isinstance(retval, (int, str)) else None})
    if task.name in (DISPATCH, SWEEP) and state == "SUCCESS":
        try:
            heartbeat_record()
        except DatabaseError:  # gone since the task finished: the next sweep records it
            logger.warning("could not record the beat heartbeat", exc_info=True)
    if task.name == IMPORT_TASK:
        job_state = retval.get("state") if isinstance(retval, dict) else None
        import_job_event_count("done" if state == "SUCCESS" and job_state == "done" else "failed")


@before_task_publish.connect
def task_published(sender=None, **_):
    """An import job waits for a worker from here (metrics: jobs queued). A sweep is sent by beat
    alone: its sending is beat's own heartbeat, apart from the sweep's run on a worker, so /healthz
    tells a stopped beat from workers too busy to sweep."""
    if sender == IMPORT_TASK:
        import_job_event_count("published")
    if sender == SWEEP:
        # Beat holds one connection for its whole life: one the database dropped (a restart) is
        # replaced here, or every later heartbeat would fail with it.
        close_old_connections()
        try:
            heartbeat_record(name=BEAT_SWEEP_SENT)
        except DatabaseError:  # the database is down: /healthz names it; the next sweep sent records beat
            logger.warning("could not record beat's heartbeat", exc_info=True)


@beat_init.connect
def beat_started(sender=None, **_):
    """Beat dispatches and sweeps once as it starts (a schedule without saved state waits a whole
    interval first): notices that came due while beat was down go out at once, rows left by a fault
    are taken back at once, and a fresh deployment is healthy as soon as its processes are."""
    for name in (DISPATCH, SWEEP):
        sender.app.send_task(name)
        logger.info("beat starting: sent %s", name, extra={"task": name})


@task_failure.connect
def task_failed(sender=None, task_id=None, exception=None, args=(), kwargs=None, **_):
    logger.error("task failed", extra={**_fields(sender, args, kwargs or {}), "error": repr(exception)},
                 exc_info=exception)
