"""Celery tasks: thin wrappers around dispatch, sending, the sweeper and the weekly digest."""
from __future__ import annotations

from celery import shared_task
from django.conf import settings

from rollout.notices.digest import DIGEST_TIME_LIMIT_SECONDS
from rollout.notices.sending import deliveries_send, new_claim_token


@shared_task(name="rollout.notices.tasks.dispatch", ignore_result=True, time_limit=900, soft_time_limit=840)
def dispatch() -> int:
    """Beat: create and publish every notice due now (see `rollout.notices.dispatch`)."""
    from rollout.notices.dispatch import notices_dispatch

    return notices_dispatch().tasks_published


@shared_task(name="rollout.notices.tasks.publish", ignore_result=True, time_limit=900, soft_time_limit=840)
def publish(created: int = 0) -> int:
    """Publish a send task for every pending row not yet published (after an administrator's bulk
    "send a reminder now" of `created` rows; see `rollout.notices.dispatch.deliveries_publish`),
    with fresh planner statistics first when many rows were added (`deliveries_analyze`)."""
    from rollout.notices.dispatch import deliveries_analyze, deliveries_publish

    deliveries_analyze(created)
    return deliveries_publish()


@shared_task(name="rollout.notices.tasks.sweep", ignore_result=True, time_limit=600, soft_time_limit=540)
def sweep() -> int:
    """Beat: take back rows of dead senders, republish lost chunks, publish due retries."""
    from rollout.notices.dispatch import deliveries_reclaim_stale

    return len(deliveries_reclaim_stale())


@shared_task(
    bind=True, name="rollout.notices.tasks.send_deliveries", ignore_result=True, acks_late=True,
    time_limit=settings.NOTICES_SEND_TIME_LIMIT, soft_time_limit=max(5, settings.NOTICES_SEND_TIME_LIMIT - 30),
)
def send_deliveries(self, ids: list[int]) -> int:
    """Send one chunk of deliveries (`sending.deliveries_send`). Never retried through the broker:
    rows a 4xx reply stopped wait in the database with `next_attempt_at`, and the sweeper publishes
    them when that time comes."""
    # A fresh token per execution, never the task id: a redelivered task must not take back the
    # rows an earlier execution left `sending` (the sweeper does, flagging the one in flight).
    return deliveries_send(ids, claimed_by=new_claim_token(self.request.hostname or "")).sent


@shared_task(name="rollout.notices.tasks.process_bounces", ignore_result=True, time_limit=900, soft_time_limit=840)
def process_bounces() -> int:
    """Beat: read the bounce mailbox (see `rollout.notices.bounces`)."""
    from rollout.notices.bounces import bounces_process

    return bounces_process().recorded


@shared_task(name="rollout.notices.tasks.weekly_digest", ignore_result=True, time_limit=DIGEST_TIME_LIMIT_SECONDS,
             soft_time_limit=DIGEST_TIME_LIMIT_SECONDS - 60)
def weekly_digest() -> int:
    """Beat (hourly): once a week, each court administrator's progress email (see `digest.py`)."""
    from rollout.notices.digest import digests_send_due

    return digests_send_due()
