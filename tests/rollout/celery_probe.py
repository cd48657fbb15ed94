"""A task for tests that start a worker process (`celery worker --include tests.rollout.celery_probe`):
it runs one query and records, under `key` in the shared cache, which PostgreSQL backend answered."""
from celery import shared_task
from django.core.cache import cache
from django.db import connection

from courts.models import Court


@shared_task(name="tests.rollout.record_backend")
def record_backend(key: str) -> None:
    Court.objects.exists()
    cache.set(key, connection.connection.info.backend_pid, 300)
