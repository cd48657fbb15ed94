"""Once per recipient, through the real path: dispatch → Redis/filesystem broker → Celery worker → SMTP sink."""
import datetime as dt
import threading

import pytest
from django.db import connection

from courts.models import GoLiveStatus
from rollout.notices.dispatch import deliveries_reclaim_stale, notices_dispatch
from rollout.notices.messages import MessageBuilder, message_id_for
from rollout.notices.models import DeliveryState, NoticeDelivery
from rollout.notices.sending import deliveries_claim
from rollout.notices.tasks import send_deliveries
from tests.conftest import wait_for
from tests.factories import GoLiveFactory, filer_at, montana_court

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery_worker]

GO_LIVE = dt.date(2021, 9, 27)


def live_court_with_filers(n: int):
    court = montana_court()
    golive = GoLiveFactory(court=court, go_live_date=GO_LIVE, status=GoLiveStatus.SCHEDULED)
    accounts = [filer_at(court, name=f"Filer {i} O'Brien") for i in range(n)]
    return court, golive, accounts


def on_go_live_day(court):
    return court.local_midnight(GO_LIVE) + dt.timedelta(hours=9)


def go_live_rows(n: int):
    """A live court with `n` filers and its go-live notice's rows, not yet sent: (court, now, row ids)."""
    from courts.selectors import court_ids_live
    from rollout.notices.dispatch import deliveries_create

    court, golive, accounts = live_court_with_filers(n)
    now = on_go_live_day(court)
    deliveries_create(golive, "golive", "golive", live_court_ids=court_ids_live(now))
    return court, now, list(NoticeDelivery.objects.order_by("id").values_list("id", flat=True))


def all_final():
    return not NoticeDelivery.objects.exclude(state__in=[DeliveryState.SENT, DeliveryState.FAILED, DeliveryState.SKIPPED]).exists()


def test_go_live_notice_reaches_each_recipient_once_through_the_worker(smtp_sink, celery_worker, settings):
    settings.NOTICES_CHUNK_SIZE = 4
    court, golive, accounts = live_court_with_filers(10)
    result = notices_dispatch(on_go_live_day(court))
    assert result.tasks_published == 3  # 10 rows in chunks of 4
    wait_for(lambda: len(smtp_sink.messages) == 10 and all_final(), what="10 messages")
    assert sorted(smtp_sink.per_recipient().values()) == [1] * 10
    rows = NoticeDelivery.objects.order_by("id")
    assert {r.state for r in rows} == {DeliveryState.SENT}
    assert {r.message_id for r in rows} == {m.message_id for m in smtp_sink.messages}
    assert all(r.message_id == message_id_for(r.id, "MTDC") for r in rows)


def test_dispatch_run_twice_at_the_same_time_sends_once(smtp_sink, celery_worker, settings):
    settings.NOTICES_CHUNK_SIZE = 5
    court, golive, accounts = live_court_with_filers(12)
    now = on_go_live_day(court)
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            notices_dispatch(now)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    wait_for(lambda: len(smtp_sink.messages) >= 12 and all_final(), what="12 messages")
    notices_dispatch(now)  # and a third, later beat run
    assert NoticeDelivery.objects.count() == 12
    assert sorted(smtp_sink.per_recipient().values()) == [1] * 12


def test_the_same_chunk_published_twice_sends_once(smtp_sink, celery_worker, settings):
    court, golive, accounts = live_court_with_filers(6)
    notices_dispatch(on_go_live_day(court))
    ids = list(NoticeDelivery.objects.values_list("id", flat=True))
    send_deliveries.delay(ids)  # the chunk again, e.g. redelivered by the broker
    send_deliveries.delay(ids)
    wait_for(lambda: len(smtp_sink.messages) >= 6 and all_final(), what="6 messages")
    # Let the extra publications run too: a marker task published last finishes after them (one worker, FIFO).
    marker = filer_at(court, name="Marker Person")
    notices_dispatch(on_go_live_day(court))
    wait_for(lambda: marker.filer.email in smtp_sink.per_recipient(), what="the marker message")
    assert sorted(smtp_sink.per_recipient().values()) == [1] * 7


def sweeping(predicate):
    """The predicate, with the sweeper run first each time (as beat does): it publishes retries."""
    def check():
        deliveries_reclaim_stale()
        return predicate()
    return check


def test_smtp_4xx_is_retried_and_each_message_goes_once_after_recovery(smtp_sink, celery_worker, settings):
    settings.NOTICES_RETRY_BACKOFF = 0.2
    smtp_sink.fail_4xx = 2
    court, golive, accounts = live_court_with_filers(5)
    notices_dispatch(on_go_live_day(court))
    wait_for(sweeping(lambda: len(smtp_sink.messages) == 5 and all_final()), what="5 messages after retries")
    assert smtp_sink.answered_4xx == 2
    assert sorted(smtp_sink.per_recipient().values()) == [1] * 5
    assert set(NoticeDelivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}
    # Each 451 retries its own message: two rows tried twice, the others once (attempts = offers).
    assert sorted(NoticeDelivery.objects.values_list("attempts", flat=True)) == [1, 1, 1, 2, 2]


def test_smtp_5xx_fails_the_delivery_without_retry(smtp_sink, celery_worker, settings):
    court, golive, accounts = live_court_with_filers(4)
    refused = accounts[1].filer.email
    smtp_sink.refuse_5xx = {refused}
    notices_dispatch(on_go_live_day(court))
    wait_for(lambda: all_final() and NoticeDelivery.objects.filter(state=DeliveryState.SENT).count() == 3,
             what="3 sent and 1 failed")
    failed = NoticeDelivery.objects.get(filer__email=refused)
    assert failed.state == DeliveryState.FAILED
    assert failed.attempts == 1
    assert "550" in failed.last_error and failed.last_error.startswith("Undeliverable address")
    assert refused not in smtp_sink.per_recipient()
    assert sorted(smtp_sink.per_recipient().values()) == [1] * 3
    # The same policy as a hard bounce: the address is undeliverable, with the server's words.
    from rollout.notices.models import BouncedAddress

    marked = BouncedAddress.objects.get(email=refused)
    assert marked.undeliverable_at is not None and "550" in marked.diagnostic


def test_an_address_no_mail_system_takes_fails_unsent_and_is_marked_undeliverable(smtp_sink, settings):
    from accounts.models import Filer
    from rollout.notices.models import BouncedAddress
    from rollout.notices.sending import deliveries_send

    court, golive, accounts = live_court_with_filers(3)
    too_long = "a" * 65 + "@example.com"
    Filer.objects.filter(id=accounts[0].filer_id).update(email=too_long)
    from courts.selectors import court_ids_live
    from rollout.notices.dispatch import deliveries_create

    now = on_go_live_day(court)
    deliveries_create(golive, "golive", "golive", live_court_ids=court_ids_live(now))
    result = deliveries_send(list(NoticeDelivery.objects.values_list("id", flat=True)), claimed_by="t", now=now)
    assert (result.sent, result.failed) == (2, 1)
    row = NoticeDelivery.objects.get(filer_id=accounts[0].filer_id)
    assert row.state == DeliveryState.FAILED and "longer than 64" in row.last_error and row.attempts == 0
    assert too_long not in smtp_sink.per_recipient()
    assert "longer than 64" in BouncedAddress.objects.get(email=too_long).diagnostic


def test_each_message_of_a_chunk_costs_one_query_its_sent_mark(smtp_sink, settings):
    """A chunk's reads (claim, readiness, unsubscribes, go-live and its rollout, templates) are per
    chunk; per message there is only the UPDATE that marks it sent."""
    from django.test.utils import CaptureQueriesContext

    from rollout.notices.sending import deliveries_send, new_claim_token

    court, now, ids = go_live_rows(6)
    with CaptureQueriesContext(connection) as small:
        assert deliveries_send(ids[:2], claimed_by=new_claim_token(), now=now).sent == 2
    with CaptureQueriesContext(connection) as large:
        assert deliveries_send(ids[2:], claimed_by=new_claim_token(), now=now).sent == 4
    assert len(large) - len(small) == 2, [q["sql"][:120] for q in large.captured_queries]


def test_a_redelivered_send_task_takes_back_nothing_an_earlier_execution_holds(smtp_sink, settings):
    """The same task id twice (a broker redelivery): each execution claims with its own token."""
    from courts.selectors import court_ids_live
    from rollout.notices.dispatch import deliveries_create
    from rollout.notices.sending import deliveries_claim, new_claim_token

    court, golive, accounts = live_court_with_filers(3)
    deliveries_create(golive, "golive", "golive", live_court_ids=court_ids_live(on_go_live_day(court)))
    ids = list(NoticeDelivery.objects.values_list("id", flat=True))
    first = deliveries_claim(ids, new_claim_token("worker@host"))
    assert len(first) == 3
    assert deliveries_claim(ids, new_claim_token("worker@host")) == []


def test_a_dead_senders_rows_are_reclaimed_and_only_the_one_in_flight_is_a_possible_duplicate(
    smtp_sink, celery_worker, settings
):
    """A sender claimed a chunk of 8, had 3 accepted and marked sent, the 4th accepted and died before
    marking it (the window SMTP cannot close). The sweeper takes the other 5 back and flags only the
    4th; the worker sends them; the 4th arrives twice with the same Message-ID and keeps its flag."""
    from django.core.mail import get_connection
    from django.utils import timezone

    court, now, ids = go_live_rows(8)
    dead = deliveries_claim(ids, "dead-worker/1")
    messages = MessageBuilder(timezone.now())
    smtp = get_connection()
    smtp.send_messages([messages.build(row, "ready") for row in dead[:4]])
    smtp.close()
    NoticeDelivery.objects.filter(id__in=ids[:3]).update(state=DeliveryState.SENT, sent_at=timezone.now())
    later = timezone.now() + dt.timedelta(seconds=settings.NOTICES_CLAIM_TIMEOUT_SECONDS + 1)

    reclaimed = deliveries_reclaim_stale(later)
    assert sorted(reclaimed) == ids[3:]
    assert list(NoticeDelivery.objects.filter(possible_duplicate=True).values_list("id", flat=True)) == [ids[3]]
    wait_for(lambda: len(smtp_sink.messages) == 9 and all_final(), what="the reclaimed rows")

    per_recipient = smtp_sink.per_recipient()
    assert sorted(per_recipient.values()) == [1] * 7 + [2]
    twice = [address for address, n in per_recipient.items() if n == 2]
    assert twice == [dead[3].filer.email]
    first, second = smtp_sink.to(twice[0])
    assert first.message_id == second.message_id
    flagged = NoticeDelivery.objects.get(id=ids[3])
    assert flagged.state == DeliveryState.SENT and flagged.possible_duplicate  # still visible after the resend
    assert NoticeDelivery.objects.filter(state=DeliveryState.SENT).count() == 8


def test_smtp_4xx_that_never_recovers_ends_failed_after_the_last_retry(smtp_sink, celery_worker, settings):
    settings.NOTICES_RETRY_BACKOFF = 0.1
    settings.NOTICES_MAX_RETRIES = 2
    smtp_sink.fail_4xx = 1000
    court, golive, accounts = live_court_with_filers(3)
    notices_dispatch(on_go_live_day(court))
    wait_for(sweeping(lambda: NoticeDelivery.objects.filter(state=DeliveryState.FAILED).count() == 3), what="3 failed")
    assert smtp_sink.messages == []
    # Each row offered on the first try and two retries: a 4xx retries that message, not the chunk.
    assert smtp_sink.answered_4xx == 9
    assert all("451" in e for e in NoticeDelivery.objects.values_list("last_error", flat=True))


def test_a_chunk_whose_broker_message_was_lost_is_published_again_by_the_sweeper(smtp_sink, celery_worker, settings):
    from django.utils import timezone

    court, golive, accounts = live_court_with_filers(4)
    long_ago = timezone.now() - dt.timedelta(seconds=settings.NOTICES_REQUEUE_AFTER_SECONDS + 60)
    from rollout.notices.dispatch import deliveries_create
    from courts.selectors import court_ids_live

    deliveries_create(golive, "golive", "golive", live_court_ids=court_ids_live())
    NoticeDelivery.objects.update(queued_at=long_ago)  # "published" long ago; the message never arrived
    deliveries_reclaim_stale()
    wait_for(lambda: len(smtp_sink.messages) == 4 and all_final(), what="4 messages")
    assert sorted(smtp_sink.per_recipient().values()) == [1] * 4


def test_chunks_still_waiting_in_the_broker_queue_are_not_published_again(settings):
    """A long campaign keeps its chunks in the queue for minutes; the sweeper must not add a copy of
    each one every NOTICES_REQUEUE_AFTER_SECONDS (the queue would grow by the whole backlog each time)."""
    from rollout.celery import app
    from rollout.notices.dispatch import deliveries_publish, send_queue_length

    app.control.purge()  # no worker runs in this test: what is published stays in the queue
    court, now, ids = go_live_rows(250)
    assert deliveries_publish(now=now) == 3
    later = now + dt.timedelta(seconds=settings.NOTICES_REQUEUE_AFTER_SECONDS + 60)

    deliveries_reclaim_stale(now=later)

    assert set(NoticeDelivery.objects.values_list("queued_at", flat=True)) == {now}
    assert send_queue_length() == 3
    app.control.purge()


def test_beats_sweep_is_not_held_behind_a_campaigns_backlog(smtp_sink, celery_worker, settings):
    """Send chunks wait in a queue of their own: the sweep (beat's heartbeat for /healthz, the
    recovery of dead senders) published behind 60 waiting chunks runs before most of them."""
    from celery.signals import task_prerun

    from rollout.notices.tasks import sweep

    court, now, ids = go_live_rows(60)
    sent_when_swept = []

    def sweep_started(task=None, **_):
        if task.name == sweep.name:
            sent_when_swept.append(NoticeDelivery.objects.filter(state=DeliveryState.SENT).count())

    task_prerun.connect(sweep_started, weak=False)
    try:
        for delivery_id in ids:  # one task per message: a backlog of 60 for the one worker process
            send_deliveries.delay([delivery_id])
        sweep.delay()
        wait_for(lambda: sent_when_swept and len(smtp_sink.messages) == 60 and all_final(), what="60 messages")
    finally:
        task_prerun.disconnect(sweep_started)
    assert sent_when_swept[0] < 30


def test_a_real_worker_killed_mid_chunk_loses_nothing_and_duplicates_at_most_one_message(
    smtp_sink, settings, tmp_path
):
    """A worker process gets SIGKILL while sending a chunk to a slow SMTP server; the sweeper takes
    its rows back and another worker sends them. Counted at the sink, per recipient."""
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from django.db import connections
    from django.utils import timezone

    from rollout.celery import app

    smtp_sink.delay = 0.15
    court, golive, accounts = live_court_with_filers(12)
    env = {**os.environ, "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(settings.EMAIL_PORT),
           "ROLLOUT_VAR_DIR": str(tmp_path / "worker-var"), "LOG_LEVEL": "WARNING"}
    db = connections["default"].settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    else:
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    if str(app.conf.broker_url).startswith("filesystem://"):
        # The subprocess reads its queue from <ROLLOUT_VAR_DIR>/celery/queue: publish there.
        from tests.conftest import _celery_app_use_broker_options

        folder = tmp_path / "worker-var" / "celery"
        (folder / "queue").mkdir(parents=True)
        (folder / "processed").mkdir()
        _celery_app_use_broker_options(app, {"data_folder_in": str(folder / "queue"),
                                             "data_folder_out": str(folder / "queue"),
                                             "processed_folder": str(folder / "processed"), "store_processed": False})
    else:
        app.control.purge()
    celery = Path(sys.executable).with_name("celery")
    worker = subprocess.Popen(
        [str(celery), "-A", "rollout", "worker", "-P", "solo", "-c", "1", "--without-mingle", "--without-gossip",
         "--without-heartbeat", "--loglevel", "WARNING"],
        env=env, cwd=str(Path(__file__).resolve().parents[2]), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        notices_dispatch(on_go_live_day(court))  # one chunk of 12
        wait_for(lambda: len(smtp_sink.messages) >= 4, timeout=120, what="the worker to be mid-chunk")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(30)
    finally:
        if worker.poll() is None:
            worker.kill()
    received_before = len(smtp_sink.messages)
    assert NoticeDelivery.objects.filter(state=DeliveryState.SENDING).exists()
    assert received_before < 12
    # Each accepted message was marked sent before the next could be accepted: at most the last one
    # the sink took is not marked.
    assert received_before - 1 <= NoticeDelivery.objects.filter(state=DeliveryState.SENT).count() <= received_before

    smtp_sink.delay = 0
    from celery.contrib.testing.worker import start_worker

    with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, loglevel="WARNING",
                      shutdown_timeout=60):
        later = timezone.now() + dt.timedelta(seconds=settings.NOTICES_CLAIM_TIMEOUT_SECONDS + 1)
        reclaimed = deliveries_reclaim_stale(later)
        assert reclaimed
        wait_for(lambda: all_final() and NoticeDelivery.objects.filter(state=DeliveryState.SENT).count() == 12,
                 what="every row sent")

    per_recipient = smtp_sink.per_recipient()
    duplicates = [address for address, n in per_recipient.items() if n == 2]
    assert len(per_recipient) == 12 and max(per_recipient.values()) <= 2
    assert len(duplicates) <= 1  # one crash: at most the one message accepted but not yet recorded
    for address in duplicates:
        first, second = smtp_sink.to(address)
        assert first.message_id == second.message_id
        assert NoticeDelivery.objects.get(filer__email=address).possible_duplicate
    assert NoticeDelivery.objects.filter(possible_duplicate=True).count() == 1  # only the one in flight
    assert len(smtp_sink.messages) == NoticeDelivery.objects.filter(state=DeliveryState.SENT).count() + len(duplicates)


def test_a_relay_rate_limit_421_at_mail_from_retries_only_the_refused_messages(smtp_sink, settings):
    """A relay answers 421 (closing the connection) to 3 of 10 MAIL FROMs: the chunk goes on over a
    new connection, only those 3 wait for a retry (no try counted: the relay refused the sender,
    not the recipient), and each goes out once."""
    from rollout.notices.sending import deliveries_send

    refused = {"left": 3}

    async def handle_MAIL(server, session, envelope, address, mail_options):
        if refused["left"] and len(smtp_sink.messages) % 3 == 1:
            refused["left"] -= 1
            return "421 4.7.0 Too many messages, slow down"
        envelope.mail_from = address
        return "250 OK"

    smtp_sink.handle_MAIL = handle_MAIL
    court, now, ids = go_live_rows(10)
    first = deliveries_send(ids, claimed_by="first", now=now)
    assert (first.sent, first.released) == (7, 3)
    waiting = NoticeDelivery.objects.filter(state=DeliveryState.PENDING)
    assert waiting.count() == 3 and set(waiting.values_list("attempts", flat=True)) == {0}
    assert all("421" in e for e in waiting.values_list("last_error", flat=True))
    NoticeDelivery.objects.update(next_attempt_at=None)  # their retry time has come
    deliveries_send(ids, claimed_by="retry", now=now)
    assert sorted(smtp_sink.per_recipient().values()) == [1] * 10
    assert sorted(NoticeDelivery.objects.values_list("attempts", flat=True)) == [1] * 10


def test_a_connection_dropped_after_data_retries_that_message_flagged_and_the_rest_without_a_try(
    smtp_sink, settings
):
    """The relay takes the 3rd message and drops the connection instead of answering: the sender
    cannot know whether it was accepted, so that row waits for a retry flagged possible duplicate
    (one try counted); the rows never offered wait without a try; each goes out, the 3rd twice."""
    from rollout.notices.sending import deliveries_send

    accept = smtp_sink.handle_DATA

    async def accept_then_drop(server, session, envelope):
        reply = await accept(server, session, envelope)
        if len(smtp_sink.messages) == 3:
            server.transport.close()  # no reply reaches the sender
        return reply

    smtp_sink.handle_DATA = accept_then_drop
    court, now, ids = go_live_rows(6)
    first = deliveries_send(ids, claimed_by="first", now=now)
    assert first.sent == 2
    rows = {r.id: r for r in NoticeDelivery.objects.all()}
    third = rows[ids[2]]
    assert (third.state, third.attempts, third.possible_duplicate) == (DeliveryState.PENDING, 1, True)
    assert third.next_attempt_at is not None
    assert [(rows[i].state, rows[i].attempts, rows[i].possible_duplicate) for i in ids[3:]] == [
        (DeliveryState.PENDING, 0, False)] * 3
    smtp_sink.handle_DATA = accept
    NoticeDelivery.objects.update(next_attempt_at=None)  # their retry time has come
    deliveries_send(ids, claimed_by="retry", now=now)
    per_recipient = smtp_sink.per_recipient()
    assert per_recipient.pop(third.filer.email) == 2
    assert sorted(per_recipient.values()) == [1] * 5
    first_copy, second_copy = smtp_sink.to(third.filer.email)
    assert first_copy.message_id == second_copy.message_id
    assert list(NoticeDelivery.objects.filter(possible_duplicate=True).values_list("id", flat=True)) == [ids[2]]
    assert set(NoticeDelivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}
