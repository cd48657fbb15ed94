"""A task's soft time limit stops its run: the weekly digest puts back the digest it was sending and
the bounce reader leaves the bounce it was recording, and each stops, instead of going on to the next
until the hard limit kills the process. A real worker process (the prefork pool, which enforces time
limits) on PostgreSQL and Redis, with a mail server that stalls or a row another writer holds."""
import datetime as dt
import email
import mailbox
import os
import subprocess
import sys
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from rollout.notices.messages import verp_address
from rollout.notices.models import AdminDigest, DeliveryState, NoticeDelivery
from tests.conftest import wait_for
from tests.factories import GoLiveFactory, montana_administrator, montana_court, utah_administrator, utah_court

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery_worker]
PROJECT = Path(__file__).resolve().parents[2]


def digest_due_zone() -> str:
    """A site zone in which this week's digest is due now (past its weekday and hour)."""
    for zone in ("UTC", "Pacific/Kiritimati"):  # 14 hours apart: one of them is past Monday 07:00
        local = timezone.now().astimezone(ZoneInfo(zone))
        if (local.weekday(), local.hour) >= (settings.NOTICES_DIGEST_WEEKDAY, settings.NOTICES_DIGEST_HOUR):
            return zone
    raise AssertionError("no zone found in which the digest is due")


@pytest.fixture
def start_worker(django_db_setup, django_db_blocker):
    """`start_worker(**settings)`: a worker process on the test database, with these settings (env)."""
    processes = []

    def start(**overrides):
        with django_db_blocker.unblock():
            db = connection.settings_dict
            if db["ENGINE"].endswith("sqlite3") or not os.environ.get("REDIS_URL"):
                pytest.skip("needs PostgreSQL and a broker and cache shared with a worker process")
            env = {**os.environ, "LOG_LEVEL": "WARNING", **overrides,
                   "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}
        from rollout.celery import app

        app.control.purge()
        processes.append(subprocess.Popen(
            [str(Path(sys.executable).with_name("celery")), "-A", "rollout", "worker", "--pool=prefork",
             "--concurrency=1", "--include", "tests.rollout.celery_probe", "--without-mingle", "--without-gossip",
             "--loglevel", "WARNING"],
            env=env, cwd=str(PROJECT), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        return app

    yield start
    for process in processes:
        process.terminate()
        process.wait(60)


def after_the_tasks_before(app) -> None:
    """Wait until the worker (one process, one task at a time) has finished what it was given."""
    key = f"backend-{uuid.uuid4().hex}"
    app.send_task("tests.rollout.record_backend", args=[key])
    wait_for(lambda: cache.get(key), timeout=120, what="the worker to finish the tasks before")


def test_the_digest_run_stops_at_its_soft_time_limit(start_worker, smtp_sink):
    """The first administrator's digest is on the wire when the soft limit comes: it is put back as
    a cut-off send is (pending, flagged: the server may have taken it), and the run stops there; the
    second administrator's waits, untried, for the next hourly run."""
    from rollout.notices.tasks import weekly_digest

    GoLiveFactory(court=montana_court(), go_live_date=dt.date(2027, 3, 1))
    GoLiveFactory(court=utah_court(), go_live_date=dt.date(2027, 3, 1))
    first, second = sorted([montana_administrator(), utah_administrator()], key=lambda u: u.pk)
    smtp_sink.delay = 4  # each DATA answered after 4 s, well within the SMTP timeout
    worker = start_worker(TIME_ZONE=digest_due_zone(), EMAIL_HOST=settings.EMAIL_HOST,
                          EMAIL_PORT=str(settings.EMAIL_PORT))
    weekly_digest.apply_async(soft_time_limit=1, time_limit=120)
    after_the_tasks_before(worker)
    rows = {row.user_id: row for row in AdminDigest.objects.all()}
    assert (rows[first.pk].state, rows[first.pk].possible_duplicate) == (DeliveryState.PENDING, True)
    assert (rows[second.pk].state, rows[second.pk].claimed_at) == (DeliveryState.PENDING, None)


def test_the_bounce_run_stops_at_its_soft_time_limit(start_worker, tmp_path):
    """The first bounce waits for its delivery's row (locked by another writer) when the soft limit
    comes: it is left in the mailbox, unrecorded, and the run stops there; the second bounce is left
    for the next run instead of being read past the limit."""
    from rollout.notices.tasks import process_bounces
    from tests.rollout.test_notices_bounces import SAMPLES, sent_deliveries

    address = "bounces@tracker.example"
    settings.NOTICES_BOUNCE_ADDRESS = address  # the test's own VERP addresses, as the worker's
    _, _, (waiting, next_one) = sent_deliveries(2)
    box = mailbox.Maildir(str(tmp_path / "bounces"), create=True)
    for delivery, subdir in ((waiting, "cur"), (next_one, "new")):  # Maildir lists cur/ before new/
        raw = (SAMPLES / "postfix_permanent.eml").read_text().replace(
            "VERP_ADDRESS", verp_address(delivery.id)).replace("RCPT_ADDRESS", delivery.filer.email)
        message = mailbox.MaildirMessage(email.message_from_string(raw))
        message.set_subdir(subdir)
        box.add(message)
    worker = start_worker(NOTICES_BOUNCE_ADDRESS=address, NOTICES_BOUNCE_MAILDIR=str(tmp_path / "bounces"))
    db = connection.settings_dict
    with psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"]) as writer:
        writer.execute(f"SELECT id FROM {NoticeDelivery._meta.db_table} WHERE id = %s FOR UPDATE", [waiting.id])
        process_bounces.apply_async(soft_time_limit=2, time_limit=120)
        after_the_tasks_before(worker)
    assert NoticeDelivery.objects.get(id=next_one.id).state == DeliveryState.SENT
    assert len(list(box.iterkeys())) == 2
