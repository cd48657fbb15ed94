"""/healthz: no login, a small JSON body, 200 when every probe passes and 503 naming the one that fails."""
from __future__ import annotations

import datetime as dt
import shutil

import pytest
from django.utils import timezone

from rollout.health.selectors import heartbeat_age_seconds
from rollout.health.services import heartbeat_record
from rollout.notices.models import DeliveryState, NoticeDelivery
from tests.factories import GoLiveFactory, filer_at, montana_administrator, montana_court

# The probes run in django-health-check's worker threads, with their own database connections: the
# rows a test makes must be committed for them to see.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def own_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "healthz"}}
    from django.core.cache import cache

    cache.clear()


def worker_answers_pings():
    from rollout.celery import app
    from tests.conftest import wait_for

    if str(app.conf.broker_url).startswith("filesystem://"):
        return  # not probed on the development broker

    wait_for(lambda: app.control.ping(timeout=0.5), timeout=30, what="the worker to answer a ping")


def beat_and_sweeps_ran(at=None):
    """Beat sent its sweep and a worker ran it (the two heartbeats), at `at` (now)."""
    from rollout.health.models import BEAT_SWEEP_SENT

    heartbeat_record(at=at, name=BEAT_SWEEP_SENT)
    heartbeat_record(at=at)


def get(client):
    response = client.get("/healthz")
    return response.status_code, response.json()


UNRESOLVABLE = "failed to resolve host 'db-primary.internal.court.example': [Errno -2] Name or service not known"


@pytest.fixture
def database_down(monkeypatch):
    """Returns a function that fails every query from then on, in every thread, as Django fails one on
    PostgreSQL whose host cannot be resolved: its OperationalError raised from psycopg's, whose text
    names the host and which has no SQLSTATE (no server answered). Simulated, rather than a real
    unresolvable DATABASES host, so the test runs on SQLite too and does not wait on DNS."""
    import psycopg
    from django.db import OperationalError, connections

    def unresolvable(self):
        raise OperationalError(UNRESOLVABLE) from psycopg.OperationalError(UNRESOLVABLE)

    return lambda: monkeypatch.setattr(type(connections["default"]), "ensure_connection", unresolvable)


@pytest.mark.celery_worker
def test_healthy_answers_200_without_login_and_shows_no_data(client, celery_worker):
    worker_answers_pings()
    beat_and_sweeps_ran()
    status, body = get(client)
    assert status == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker", "workers", "beat", "sweeps", "relay", "notices_due",
                                  "notices_sending"}
    assert body["oldest_due_notice_age_seconds"] is None and body["oldest_sending_delivery_age_seconds"] is None


def test_no_worker_answering_a_ping_is_503_naming_the_workers(client, settings):
    from rollout.celery import app

    if str(app.conf.broker_url).startswith("filesystem://"):
        pytest.skip("workers are pinged over a broker with broadcasts (Redis)")
    settings.HEALTHZ_WORKER_PING_TIMEOUT = 0.2
    beat_and_sweeps_ran()
    status, body = get(client)
    assert status == 503 and "no worker answered a ping" in body["checks"]["workers"]
    assert body["checks"]["beat"] == "ok" and body["checks"]["broker"] == "ok"


def test_no_sweep_sent_or_run_recorded_is_503(client):
    status, body = get(client)
    assert status == 503 and body["checks"]["beat"].endswith("no sweep sent yet")
    assert body["checks"]["sweeps"].endswith("no sweep run recorded yet")


def test_a_load_balancer_probing_a_machine_by_its_address_gets_the_answer(client, settings):
    """Load balancers (and Kubernetes) probe each backend by its own address, a Host the site's
    ALLOWED_HOSTS does not name: the probe must get the health answer, not Django's 400."""
    settings.ALLOWED_HOSTS = ["rollout.court.example"]
    beat_and_sweeps_ran()
    response = client.get("/healthz", HTTP_HOST="10.0.0.5:8000")
    assert response.status_code in (200, 503), response.status_code
    assert response.json()["checks"]["database"] == "ok"


def test_pages_other_than_the_probes_still_refuse_a_host_not_allowed(client, settings):
    settings.ALLOWED_HOSTS = ["rollout.court.example"]
    assert client.get("/accounts/login/", HTTP_HOST="10.0.0.5:8000").status_code == 400


def test_beat_sending_its_sweep_records_its_own_heartbeat():
    from rollout.health.models import BEAT_SWEEP_SENT
    from rollout.health.signals import SWEEP, task_published

    assert heartbeat_age_seconds(BEAT_SWEEP_SENT) is None
    task_published(sender=SWEEP)
    assert heartbeat_age_seconds(BEAT_SWEEP_SENT) < 5


def test_the_heartbeat_outlives_an_emptied_cache(client):
    """Redis (the cache) restarted empty: the sweep beat ran a moment before still counts, so
    /healthz does not blame beat for the broker's outage."""
    from django.core.cache import cache

    beat_and_sweeps_ran()
    cache.clear()
    status, body = get(client)
    assert body["checks"]["beat"] == "ok", body


def test_beat_not_sending_its_sweep_is_503_naming_beat(client, settings):
    settings.HEALTHZ_BEAT_MAX_AGE_SECONDS = 60
    beat_and_sweeps_ran(at=timezone.now() - dt.timedelta(seconds=120))
    status, body = get(client)
    assert status == 503 and "last sweep sent 120 s ago" in body["checks"]["beat"]
    assert body["beat_last_sweep_sent_age_seconds"] >= 120


def test_sweeps_sent_but_not_run_are_503_naming_the_sweeps_not_beat(client, settings):
    """Every worker process busy with a long send: beat is sending sweeps, none runs."""
    from rollout.health.models import BEAT_SWEEP_SENT

    settings.HEALTHZ_SWEEP_MAX_AGE_SECONDS = 60
    heartbeat_record(name=BEAT_SWEEP_SENT)
    heartbeat_record(at=timezone.now() - dt.timedelta(seconds=120))
    status, body = get(client)
    assert status == 503 and body["checks"]["beat"] == "ok"
    assert "last sweep run 120 s ago" in body["checks"]["sweeps"]
    assert body["last_sweep_run_age_seconds"] >= 120


def test_a_relay_refusing_connections_is_503_naming_the_relay_until_a_sender_connects_again(
    client, settings, smtp_sink
):
    """The senders record each connection to the relay; /healthz reads the last one (it never connects
    to the relay itself)."""
    from rollout.notices.sending import deliveries_send, new_claim_token
    from tests.conftest import free_loopback_port
    from tests.rollout.test_notices_delivery import go_live_rows

    beat_and_sweeps_ran()
    court, now, ids = go_live_rows(2)
    sink_port, settings.EMAIL_PORT = settings.EMAIL_PORT, free_loopback_port()  # nothing listens there
    assert deliveries_send(ids, claimed_by=new_claim_token(), now=now).sent == 0
    status, body = get(client)
    assert status == 503 and "failed: ConnectionRefusedError" in body["checks"]["relay"], body
    assert body["relay_last_connection_age_seconds"] < 60
    settings.EMAIL_PORT = sink_port  # the relay is back
    NoticeDelivery.objects.update(next_attempt_at=None)
    assert deliveries_send(ids, claimed_by=new_claim_token(), now=now).sent == 2
    status, body = get(client)
    assert body["checks"]["relay"] == "ok", body


def test_a_relay_refusing_at_its_greeting_is_named_by_its_code_not_its_words(client, settings):
    """/healthz answers without a login: it names the kind of failure and the SMTP code, never the
    relay's own text (which can name internal hosts)."""
    import socket
    import threading

    from rollout.notices.sending import deliveries_send, new_claim_token
    from tests.rollout.test_notices_delivery import go_live_rows

    server = socket.create_server(("127.0.0.1", 0))

    def greet_and_refuse():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:  # closed at the end of the test
                return
            with conn:
                conn.sendall(b"554 relay.internal.example 10.1.2.3 not accepting mail\r\n")

    threading.Thread(target=greet_and_refuse, daemon=True).start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.getsockname()[1]
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 5
    court, now, ids = go_live_rows(1)
    try:
        deliveries_send(ids, claimed_by=new_claim_token(), now=now)
    finally:
        server.close()
    status, body = get(client)
    assert status == 503 and body["checks"]["relay"].endswith("failed: SMTPConnectError 554"), body
    assert "internal" not in str(body) and "10.1.2.3" not in str(body)
    assert "relay.internal.example" in NoticeDelivery.objects.get().last_error  # staff see the full answer


def test_a_database_that_cannot_be_reached_is_named_by_the_kind_of_error_not_its_host(client, database_down):
    database_down()
    status, body = get(client)
    assert status == 503 and body["checks"]["database"].endswith("database error (OperationalError)"), body
    assert "db-primary" not in str(body)


def test_a_signed_in_browser_gets_the_json_naming_the_database_while_it_is_down(client, database_down):
    """The session and user are read by middleware before the view: the outage found there still
    answers /healthz's JSON, not the outage page meant for people."""
    client.force_login(montana_administrator())
    database_down()
    client.raise_request_exception = False  # answer as the server would
    response = client.get("/healthz")
    assert response.status_code == 503 and response["Content-Type"] == "application/json", response.content
    body = response.json()
    assert body["status"] == "unavailable" and body["checks"]["database"].endswith("database error (OperationalError)")
    assert "db-primary" not in response.content.decode()


def test_a_cache_that_cannot_be_read_is_named_and_not_blamed_on_the_relay_or_beat(client, unreachable_cache):
    beat_and_sweeps_ran()
    status, body = get(client)
    assert status == 503 and body["checks"]["cache"] != "ok"
    assert body["checks"]["relay"] == "ok" and body["checks"]["beat"] == "ok"


def test_a_relay_failure_older_than_the_window_is_no_longer_reported(client, settings):
    import time

    from django.core.cache import cache

    from rollout.notices.relay import RELAY_KEY

    settings.HEALTHZ_RELAY_FAILURE_WINDOW_SECONDS = 600
    cache.set(RELAY_KEY, {"at": time.time() - 700, "error": "ConnectionRefusedError: refused"}, None)
    status, body = get(client)
    assert body["checks"]["relay"] == "ok" and body["relay_last_connection_age_seconds"] >= 700
    cache.set(RELAY_KEY, {"at": time.time() - 500, "error": "ConnectionRefusedError: refused"}, None)
    status, body = get(client)
    assert status == 503 and "refused" in body["checks"]["relay"]


def delivery(state, created_at=None, **times):
    court = montana_court()
    golive = GoLiveFactory(court=court, go_live_date=dt.date(2021, 9, 27))
    account = filer_at(court, name="Ann Able")
    row = NoticeDelivery.objects.create(filer=account.filer, court=court, golive=golive, kind="golive",
                                        notice="golive", state=state, **times)
    if created_at is not None:  # auto_now_add: set afterwards
        NoticeDelivery.objects.filter(id=row.id).update(created_at=created_at)
    return row


def test_a_notice_due_too_long_is_503_with_its_age(client, settings):
    beat_and_sweeps_ran()
    settings.HEALTHZ_DUE_MAX_AGE_SECONDS = 3600
    # Due two hours ago, republished a moment ago: still two hours overdue.
    delivery(DeliveryState.PENDING, created_at=timezone.now() - dt.timedelta(hours=2), queued_at=timezone.now())
    status, body = get(client)
    assert status == 503 and body["checks"]["notices_due"].startswith("Unavailable: 7")
    assert 7000 < body["oldest_due_notice_age_seconds"] < 7300


@pytest.mark.celery_worker
def test_a_recent_due_notice_is_reported_but_healthy(client, celery_worker):
    worker_answers_pings()
    beat_and_sweeps_ran()
    delivery(DeliveryState.PENDING, created_at=timezone.now() - dt.timedelta(minutes=5))
    status, body = get(client)
    assert status == 200 and 250 < body["oldest_due_notice_age_seconds"] < 400


def test_a_delivery_left_sending_too_long_is_503(client, settings):
    beat_and_sweeps_ran()
    settings.HEALTHZ_SENDING_MAX_AGE_SECONDS = 600
    delivery(DeliveryState.SENDING, claimed_at=timezone.now() - dt.timedelta(hours=1))
    status, body = get(client)
    assert status == 503 and body["checks"]["notices_sending"] != "ok"
    assert body["oldest_sending_delivery_age_seconds"] >= 3600


def test_unreachable_broker_is_503(client, settings):
    from rollout.celery import app

    beat_and_sweeps_ran()
    # The write URL: the environment's CELERY_BROKER_URL outranks app.conf.broker_url in Celery.
    app.conf.broker_write_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        status, body = get(client)
    finally:
        app.conf.broker_write_url = None
    assert status == 503 and "broker unreachable" in body["checks"]["broker"]
    if not str(app.conf.broker_url).startswith("filesystem://"):
        # Not sent at all, rather than retried until the probe's own timeout.
        assert "ping not sent" in body["checks"]["workers"], body


@pytest.mark.celery_worker
def test_the_sweep_task_run_by_a_worker_records_the_heartbeat(celery_worker):
    from rollout.notices.tasks import sweep
    from tests.conftest import wait_for

    sweep.delay()
    wait_for(lambda: heartbeat_age_seconds() is not None, what="the heartbeat")


@pytest.mark.celery_worker
@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_the_first_check_after_the_broker_restarted_still_finds_the_worker(client, settings, tmp_path):
    """Each web process keeps pooled broker connections; a Redis restart kills them. The worker
    reconnects by itself, and the next /healthz must say so, not "ping not sent"."""
    from tests.conftest import wait_for
    from tests.rollout.test_notices_faults import private_broker, start_worker_process, stop, worker_env

    with private_broker(settings, tmp_path) as redis:
        worker = start_worker_process(worker_env(settings, tmp_path, redis.url))
        try:
            wait_for(lambda: get(client)[1]["checks"]["workers"] == "ok", timeout=60, what="the worker to answer")
            redis.restart()
            # The worker is back once its remote-control queue is bound again (read with a client of
            # our own: a ping from this process would itself replace the dead pooled connection).
            wait_for(lambda: _redis_has_key(redis.port, "_kombu.binding.celery.pidbox"), timeout=60,
                     what="the worker to reconnect")
            assert get(client)[1]["checks"]["workers"] == "ok"
        finally:
            stop(worker)


def _redis_has_key(port: int, key: str) -> bool:
    import redis

    return bool(redis.Redis(port=port, socket_timeout=1).exists(key))


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_a_broker_that_stops_answering_is_named_not_waited_for(client, settings, tmp_path):
    """A Redis that takes connections and answers nothing (a hung host): the broker's socket timeout
    ends the probes, and /healthz answers naming the broker instead of waiting on the socket."""
    import os
    import signal
    import threading

    from tests.rollout.test_notices_faults import private_broker

    beat_and_sweeps_ran()
    with private_broker(settings, tmp_path) as redis:
        os.kill(redis.process.pid, signal.SIGSTOP)
        # Without a socket timeout the request would wait for Redis for ever: thaw it in the end.
        thaw = threading.Timer(60, os.kill, (redis.process.pid, signal.SIGCONT))
        thaw.start()
        try:
            status, body = get(client)
        finally:
            thaw.cancel()
            os.kill(redis.process.pid, signal.SIGCONT)
    assert status == 503 and "broker unreachable" in body["checks"]["broker"], body
