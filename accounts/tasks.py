from celery import shared_task

from accounts.counts import court_counts_refresh


@shared_task(name="accounts.tasks.recount_readiness", ignore_result=True, time_limit=30 * 60, soft_time_limit=25 * 60)
def recount_readiness() -> int:
    """Nightly safety net: recount every court's stored readiness counts."""
    return court_counts_refresh()
