from celery import shared_task

from accounts.counts import court_counts_refresh


@shared_task(name="accounts.tasks.recount_readiness", ignore_result=True, time_limit=30 * 60, soft_time_limit=25 * 60)
def recount_readiness() -> int:
    """Nightly safety net: recount every court's stored readiness counts."""
    return court_counts_refresh()


@shared_task(name="accounts.tasks.import_run", ignore_result=True, acks_late=True, time_limit=3 * 3600,
             soft_time_limit=3 * 3600 - 60)
def import_run(job_id: str) -> str:
    """An admin import's dry run or apply (see `accounts.imports.jobs`)."""
    from accounts.imports.jobs import import_job_run

    return import_job_run(job_id).get("state", "")


@shared_task(name="accounts.tasks.imports_remove_stale", ignore_result=True, time_limit=600, soft_time_limit=540)
def imports_remove_stale() -> int:
    """Beat (hourly): remove uploads that were dry-run but never applied within a day."""
    from accounts.imports.jobs import imports_remove_stale as remove

    return remove()
