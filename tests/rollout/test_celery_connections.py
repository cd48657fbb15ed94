"""A worker keeps its database connection from task to task, and replaces one that broke before the
next task runs: the Procfile's prefork pool in a real worker process, on PostgreSQL and Redis."""
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.core.cache import cache
from django.db import connection

from tests.conftest import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery_worker]
PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def worker_process(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        db = connection.settings_dict
        if db["ENGINE"].endswith("sqlite3") or not os.environ.get("REDIS_URL"):
            pytest.skip("needs PostgreSQL backends and a broker and cache shared with a worker process")
        env = {**os.environ, "LOG_LEVEL": "WARNING",
               "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}
    from rollout.celery import app

    app.control.purge()
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("celery")), "-A", "rollout", "worker", "--pool=prefork", "--concurrency=1",
         "--include", "tests.rollout.celery_probe", "--without-mingle", "--without-gossip", "--loglevel", "WARNING"],
        env=env, cwd=str(PROJECT), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    yield app
    process.terminate()
    process.wait(60)


def backend_of_a_task(app) -> int:
    key = f"backend-{uuid.uuid4().hex}"
    app.send_task("tests.rollout.record_backend", args=[key])
    return wait_for(lambda: cache.get(key), timeout=90, what="the worker to record its database backend")


def test_consecutive_tasks_share_one_database_connection(worker_process):
    assert backend_of_a_task(worker_process) == backend_of_a_task(worker_process)


def test_a_connection_terminated_between_tasks_is_replaced_before_the_next_task(worker_process):
    before = backend_of_a_task(worker_process)
    db = connection.settings_dict
    with psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"],
                         autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [before])
    assert backend_of_a_task(worker_process) != before
