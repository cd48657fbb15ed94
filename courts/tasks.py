from celery import shared_task

from courts.services import golives_mark_live_due


@shared_task(name="courts.tasks.golives_mark_live", ignore_result=True, time_limit=120, soft_time_limit=100)
def golives_mark_live() -> int:
    """Beat: a court whose go-live date has started in its own time zone becomes live."""
    return golives_mark_live_due()
