"""Once per recipient, through the real path: dispatch → Redis/filesystem broker → Celery worker → SMTP sink."""
import datetime as dt
import threading

import pytest
from django.db import connection

from courts.models import GoLiveStatus
from rollout.notices.dispatch import deliveries_publish, deliveries_reclaim_stale, notices_dispatch
from rollout.notices.models import DeliveryState, NoticeDelivery
from rollout.notices.sending import build_message, deliveries_claim, message_id_for
from rollout.notices.rendering import TemplateCache
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


def test_smtp_4xx_is_retried_and_each_message_goes_once_after_recovery(smtp_sink, celery_worker, settings):
    settings.NOTICES_RETRY_BACKOFF = 0.2
    smtp_sink.fail_4xx = 2
    court, golive, accounts = live_court_with_filers(5)
    notices_dispatch(on_go_live_day(court))
    wait_for(lambda: len(smtp_sink.messages) == 5 and all_final(), what="5 messages after retries")
    assert smtp_sink.answered_4xx == 2
    assert sorted(smtp_sink.per_recipient().values()) == [1] * 5
    assert set(NoticeDelivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}
    assert max(NoticeDelivery.objects.values_list("attempts", flat=True)) == 3  # two 451s, then accepted


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
    assert "550" in failed.last_error
    assert refused not in smtp_sink.per_recipient()
    assert sorted(smtp_sink.per_recipient().values()) == [1] * 3


def test_worker_killed_mid_chunk_rows_are_reclaimed_and_sent_with_at_most_one_identical_duplicate(
    smtp_sink, celery_worker, settings
):
    """A sender claimed a chunk, got 3 messages accepted, and died before recording them (the window
    SMTP cannot close). The sweeper reclaims the chunk; the worker sends it."""
    from django.core.mail import get_connection
    from django.utils import timezone

    court, golive, accounts = live_court_with_filers(8)
    now = on_go_live_day(court)
    notices_dispatch(now)
    wait_for(lambda: len(smtp_sink.messages) == 8 and all_final(), what="the first 8")
    # A second notice: the dead worker's chunk.
    NoticeDelivery.objects.filter(notice="golive").update(notice="golive_done")  # free the key
    smtp_sink.messages.clear()
    from rollout.notices.dispatch import deliveries_create
    from courts.selectors import court_ids_live

    deliveries_create(golive, "golive", "golive", live_court_ids=court_ids_live(now))
    ids = list(NoticeDelivery.objects.filter(notice="golive").values_list("id", flat=True))
    dead = deliveries_claim(ids, "dead-worker/1")
    templates = TemplateCache()
    smtp = get_connection()
    smtp.send_messages([build_message(row, "ready", templates, timezone.now()) for row in dead[:3]])
    smtp.close()
    NoticeDelivery.objects.filter(id__in=ids).update(claimed_at=timezone.now() - dt.timedelta(hours=2))

    reclaimed = deliveries_reclaim_stale()
    assert sorted(reclaimed) == sorted(ids)
    wait_for(lambda: len(smtp_sink.messages) == 11 and all_final(), what="the reclaimed chunk")

    per_recipient = smtp_sink.per_recipient()
    assert max(per_recipient.values()) == 2 and sorted(per_recipient.values()) == [1] * 5 + [2] * 3
    for address, count in per_recipient.items():
        if count == 2:
            first, second = smtp_sink.to(address)
            assert first.message_id == second.message_id
    assert NoticeDelivery.objects.filter(notice="golive", reclaims=1).count() == 8
    sent = NoticeDelivery.objects.filter(notice="golive", state=DeliveryState.SENT).count()
    accepted_before_the_crash = 3  # the only duplicates: identical, same Message-ID
    assert sent == 8
    assert len(smtp_sink.messages) == sent + accepted_before_the_crash
