"""Logs and errors: JSON lines with the request id, server errors mailed to ADMINS, Sentry on SENTRY_DSN."""
from __future__ import annotations

import io
import json
import logging

import pytest
from django.core import mail

from tests.factories import superuser

pytestmark = pytest.mark.django_db


def test_a_server_error_is_mailed_to_admins(client, settings, monkeypatch):
    settings.ADMINS = [("", "ops@court.example.gov")]
    monkeypatch.setattr("rollout.dashboard.views.courts_for_user", lambda user: 1 / 0)
    client.raise_request_exception = False
    client.force_login(superuser())
    assert client.get("/").status_code == 500
    assert [m.to for m in mail.outbox] == [["ops@court.example.gov"]]
    assert "ZeroDivisionError" in mail.outbox[0].body


def test_an_error_mail_carries_no_password_of_the_servers_urls(settings):
    """The mail lists the settings: the passwords inside the broker's, Redis's and the bounce
    mailbox's URLs are masked like SECRET_KEY is, the hosts kept."""
    settings.ADMINS = [("", "ops@court.example.gov")]
    settings.REDIS_URL = "redis://:redis-pw-4821@cache.court.example:6379/0"
    settings.CELERY_BROKER_URL = "amqp://rollout:amqp-pw-4821@mq.court.example:5672//"
    settings.NOTICES_BOUNCE_IMAP_URL = "imaps://bounces:imap-pw-4821@imap.court.example/INBOX"
    try:
        1 / 0
    except ZeroDivisionError:
        logging.getLogger("celery").error("a task failed", exc_info=True)
    [message] = mail.outbox
    assert "ZeroDivisionError" in message.body
    assert "pw-4821" not in message.body
    assert "mq.court.example" in message.body and "imap.court.example" in message.body


def test_a_healthz_503_is_not_mailed(client, settings):
    settings.ADMINS = [("", "ops@court.example.gov")]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "obs"}}
    assert client.get("/healthz").status_code == 503  # no heartbeat recorded in this cache
    assert mail.outbox == []


def test_a_request_for_a_host_not_allowed_is_refused_but_not_mailed(client, settings):
    """Scanners reach the site by its address all day: each is a 400 the log keeps, not a server
    error for the on-call mailbox."""
    settings.ADMINS = [("", "ops@court.example.gov")]
    settings.ALLOWED_HOSTS = ["rollout.court.example"]
    assert client.get("/accounts/login/", HTTP_HOST="203.0.113.9").status_code == 400
    assert mail.outbox == []


def test_json_log_lines_carry_the_request_id(client, settings):
    """The production logging configuration (JSON formatter, request-id filter), writing to a buffer:
    the request's log line is one JSON object holding the id the client sent."""
    import copy
    import logging.config
    import uuid

    stream = io.StringIO()
    config = copy.deepcopy(settings.LOGGING)
    config["handlers"]["console"] = {"()": lambda: logging.StreamHandler(stream), "formatter": "json",
                                     "filters": ["request_id"]}
    request_id = uuid.uuid4().hex
    logging.config.dictConfig(config)
    try:
        assert client.get("/no-such-page/", HTTP_X_REQUEST_ID=request_id).status_code == 404
    finally:
        logging.config.dictConfig(settings.LOGGING)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    not_found = [line for line in lines if line["logger"] == "django.request"]
    assert not_found and not_found[0]["request_id"] == request_id
    assert not_found[0]["level"] == "WARNING" and "time" in not_found[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.celery_worker
def test_send_task_log_lines_carry_their_delivery_ids(smtp_sink, celery_worker, settings, caplog):
    import datetime as dt

    from courts.models import GoLiveStatus
    from rollout.notices.dispatch import notices_dispatch
    from rollout.notices.models import DeliveryState, NoticeDelivery
    from tests.conftest import wait_for
    from tests.factories import GoLiveFactory, filer_at, montana_court

    settings.NOTICES_CHUNK_SIZE = 2
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=dt.date(2021, 9, 27), status=GoLiveStatus.SCHEDULED)
    for i in range(3):
        filer_at(court, name=f"Filer {i}")
    caplog.set_level(logging.INFO, logger="rollout.tasks")
    notices_dispatch(court.local_midnight(dt.date(2021, 9, 27)) + dt.timedelta(hours=9))
    wait_for(lambda: NoticeDelivery.objects.filter(state=DeliveryState.SENT).count() == 3, what="3 sent")
    wait_for(lambda: sum(1 for r in caplog.records if r.getMessage() == "task finished") >= 2, what="2 finished lines")
    finished = [r for r in caplog.records if r.name == "rollout.tasks" and r.getMessage() == "task finished"
                and r.task == "rollout.notices.tasks.send_deliveries"]
    logged = sorted(i for r in finished for i in r.delivery_ids)
    assert logged == sorted(NoticeDelivery.objects.values_list("id", flat=True))
    assert all(r.task_id and r.state == "SUCCESS" for r in finished)


@pytest.mark.django_db(transaction=True)
def test_a_send_task_failure_is_logged_with_its_delivery_ids_while_the_database_is_down(caplog):
    """The failure line names the deliveries even when their courts cannot be looked up (the
    database down is often why the task failed)."""
    from django.db import connection

    from rollout.health.signals import task_failed
    from rollout.notices.tasks import send_deliveries
    from tests.conftest import free_loopback_port

    if connection.vendor != "postgresql":
        pytest.skip("points the connection at a PostgreSQL port nothing listens on")
    caplog.set_level(logging.INFO, logger="rollout.tasks")
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(free_loopback_port())  # nothing listens there: the database is down
    try:
        task_failed(sender=send_deliveries, task_id="t-1", exception=RuntimeError("connection lost"), args=([7, 8],))
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port
    (line,) = [r for r in caplog.records if r.name == "rollout.tasks" and r.getMessage() == "task failed"]
    assert line.delivery_ids == [7, 8] and line.court_ids is None
