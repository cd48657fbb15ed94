from celery import shared_task

from accounts.counts import court_counts_refresh
# An admin import's dry run or apply runs as `import_run`, defined beside its job; imported here so
# every worker registers it.
from accounts.imports.jobs import import_run, imports_remove_stale as remove_stale_imports  # noqa: F401


@shared_task(name="accounts.tasks.recount_readiness", ignore_result=True, time_limit=30 * 60, soft_time_limit=25 * 60)
def recount_readiness() -> int:
    """Nightly safety net: recount every court's stored readiness counts."""
    return court_counts_refresh()


@shared_task(name="accounts.tasks.imports_remove_stale", ignore_result=True, time_limit=600, soft_time_limit=540)
def imports_remove_stale() -> int:
    """Beat (hourly): remove uploads that were dry-run but never applied within a day."""
    return remove_stale_imports()
