"""The send log: each accepted message is recorded in NoticeSent at once and folded into its
NoticeDelivery row per chunk; the sweeper folds a dead sender's records before reclaiming, so a
recorded send is marked sent and never sent again."""
import datetime as dt

import pytest
from django.core.mail import get_connection
from django.utils import timezone

from courts.selectors import court_ids_live
from rollout.notices.dispatch import deliveries_create, deliveries_reclaim_stale, notices_dispatch
from rollout.notices.models import DeliveryState, NoticeDelivery, NoticeSent
from rollout.notices.rendering import TemplateCache
from rollout.notices.sending import build_message, deliveries_claim, deliveries_fold_sent, deliveries_send
from tests.conftest import wait_for
from tests.rollout.test_notices_delivery import GO_LIVE, all_final, live_court_with_filers, on_go_live_day


def golive_rows(golive, now) -> list[int]:
    deliveries_create(golive, "golive", "golive", live_court_ids=court_ids_live(now))
    return list(NoticeDelivery.objects.filter(notice="golive").order_by("id").values_list("id", flat=True))


def record(delivery_id: int, message_id: str, at: dt.datetime) -> None:
    NoticeSent.objects.create(delivery_id=delivery_id, message_id=message_id, sent_at=at)


# --- the fold -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_fold_marks_recorded_rows_sent_with_the_record_and_deletes_the_records():
    court, golive, accounts = live_court_with_filers(4)
    now = on_go_live_day(court)
    ids = golive_rows(golive, now)
    deliveries_claim(ids, "run/1")
    at = timezone.now() - dt.timedelta(minutes=3)
    record(ids[0], "<a@x>", at)
    record(ids[2], "<c@x>", at)
    record(987654321, "<gone@x>", at)  # its delivery was deleted meanwhile

    folded = deliveries_fold_sent([ids[0], ids[1], ids[2], 987654321])

    assert sorted(folded) == [ids[0], ids[2]]
    rows = NoticeDelivery.objects.in_bulk(ids)
    assert rows[ids[0]].state == DeliveryState.SENT and rows[ids[0]].message_id == "<a@x>"
    assert rows[ids[0]].sent_at == at
    assert rows[ids[2]].state == DeliveryState.SENT and rows[ids[2]].message_id == "<c@x>"
    assert rows[ids[1]].state == DeliveryState.SENDING  # no record: not accepted, left alone
    assert rows[ids[3]].state == DeliveryState.SENDING
    assert not NoticeSent.objects.exists()


@pytest.mark.django_db
def test_fold_keeps_the_first_record_of_a_row_already_sent():
    court, golive, accounts = live_court_with_filers(1)
    [delivery_id] = golive_rows(golive, on_go_live_day(court))
    first = timezone.now() - dt.timedelta(hours=1)
    NoticeDelivery.objects.filter(id=delivery_id).update(state=DeliveryState.SENT, sent_at=first, message_id="<1@x>")
    record(delivery_id, "<2@x>", timezone.now())

    assert deliveries_fold_sent([delivery_id]) == []
    row = NoticeDelivery.objects.get(id=delivery_id)
    assert (row.state, row.sent_at, row.message_id) == (DeliveryState.SENT, first, "<1@x>")
    assert not NoticeSent.objects.exists()


@pytest.mark.django_db
def test_a_chunk_leaves_no_records_behind_and_each_sent_row_carries_its_message_id(smtp_sink):
    court, golive, accounts = live_court_with_filers(5)
    now = on_go_live_day(court)
    ids = golive_rows(golive, now)

    result = deliveries_send(ids, claimed_by="run/1", now=now)

    assert result.sent == 5
    assert not NoticeSent.objects.exists()
    rows = list(NoticeDelivery.objects.order_by("id"))
    assert {r.state for r in rows} == {DeliveryState.SENT}
    assert all(r.sent_at is not None for r in rows)
    assert sorted(r.message_id for r in rows) == sorted(m.message_id for m in smtp_sink.messages)


# --- the sweeper ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sweeper_marks_a_recorded_send_sent_and_reclaims_only_the_rest():
    court, golive, accounts = live_court_with_filers(3)
    now = on_go_live_day(court)
    ids = golive_rows(golive, now)
    deliveries_claim(ids, "dead/1")
    long_ago = timezone.now() - dt.timedelta(hours=2)
    NoticeDelivery.objects.filter(id__in=ids).update(claimed_at=long_ago)
    record(ids[0], "<recorded@x>", long_ago + dt.timedelta(seconds=1))

    reclaimed = deliveries_reclaim_stale()

    assert sorted(reclaimed) == ids[1:]
    recorded = NoticeDelivery.objects.get(id=ids[0])
    assert recorded.state == DeliveryState.SENT and recorded.message_id == "<recorded@x>"
    assert recorded.reclaims == 0
    assert set(NoticeDelivery.objects.filter(id__in=ids[1:]).values_list("state", "reclaims")) == {
        (DeliveryState.PENDING, 1)}
    assert not NoticeSent.objects.exists()


@pytest.mark.django_db
def test_sweeper_leaves_a_live_senders_records_and_drops_old_orphans():
    court, golive, accounts = live_court_with_filers(1)
    [delivery_id] = golive_rows(golive, on_go_live_day(court))
    deliveries_claim([delivery_id], "alive/1")  # claimed just now: its sender is still at work
    record(delivery_id, "<live@x>", timezone.now())
    record(987654321, "<orphan@x>", timezone.now() - dt.timedelta(hours=3))  # its row was deleted

    assert deliveries_reclaim_stale() == []

    assert NoticeDelivery.objects.get(id=delivery_id).state == DeliveryState.SENDING
    assert list(NoticeSent.objects.values_list("delivery_id", flat=True)) == [delivery_id]


@pytest.mark.django_db(transaction=True)
@pytest.mark.celery_worker
def test_a_dead_senders_recorded_messages_are_not_sent_again(smtp_sink, celery_worker):
    """A sender claimed 8 rows, got 3 messages accepted, recorded the first 2 and died before
    recording the third (the window SMTP cannot close) and before folding. The sweeper marks the 2
    recorded rows sent and reclaims the other 6; the worker sends those: one duplicate in all."""
    court, golive, accounts = live_court_with_filers(8)
    now = on_go_live_day(court)
    ids = golive_rows(golive, now)
    dead = deliveries_claim(ids, "dead-worker/1")
    templates = TemplateCache()
    messages = [build_message(row, "ready", templates, timezone.now()) for row in dead[:3]]
    smtp = get_connection()
    smtp.send_messages(messages)
    smtp.close()
    accepted_at = timezone.now()
    for row, message in list(zip(dead, messages))[:2]:
        record(row.id, message.extra_headers["Message-ID"], accepted_at)
    NoticeDelivery.objects.filter(id__in=ids).update(claimed_at=timezone.now() - dt.timedelta(hours=2))

    reclaimed = deliveries_reclaim_stale()
    assert sorted(reclaimed) == ids[2:]
    wait_for(lambda: len(smtp_sink.messages) == 9 and all_final(), what="the reclaimed rows")

    per_recipient = smtp_sink.per_recipient()
    assert sorted(per_recipient.values()) == [1] * 7 + [2]
    [duplicate] = [address for address, n in per_recipient.items() if n == 2]
    assert duplicate == dead[2].filer.email  # accepted, not recorded: the only one sent twice
    first, second = smtp_sink.to(duplicate)
    assert first.message_id == second.message_id
    rows = NoticeDelivery.objects.in_bulk(ids)
    assert {rows[i].state for i in ids} == {DeliveryState.SENT}
    assert [rows[i].reclaims for i in ids] == [0, 0] + [1] * 6
    assert [rows[i].sent_at for i in ids[:2]] == [accepted_at] * 2
    assert not NoticeSent.objects.exists()
    assert len(smtp_sink.messages) == len(ids) + 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.celery_worker
def test_a_4xx_midway_keeps_the_messages_accepted_before_it_sent(smtp_sink, celery_worker, settings):
    """The chunk's first two messages are accepted, then the server answers 451: those two are
    folded (sent, not retried); the rest go back to pending and the retry sends them once."""
    settings.NOTICES_RETRY_BACKOFF = 0.2
    smtp_sink.accept_before_4xx, smtp_sink.fail_4xx = 2, 1
    court, golive, accounts = live_court_with_filers(5)
    notices_dispatch(on_go_live_day(court))
    wait_for(lambda: len(smtp_sink.messages) == 5 and all_final(), what="5 messages after the retry")
    assert smtp_sink.answered_4xx == 1
    assert sorted(smtp_sink.per_recipient().values()) == [1] * 5
    rows = list(NoticeDelivery.objects.order_by("id"))
    assert {r.state for r in rows} == {DeliveryState.SENT}
    assert [r.attempts for r in rows] == [1, 1, 2, 2, 2]
    assert not NoticeSent.objects.exists()


# --- planner statistics after a large insert -------------------------------------------------------


@pytest.mark.django_db
def test_dispatch_refreshes_the_planner_statistics_after_many_new_rows(monkeypatch):
    """Claims pick their plan from the statistics: after a large insert they are refreshed before
    the send tasks are published (PostgreSQL; elsewhere nothing to do)."""
    from django.db import connection

    from rollout.notices import dispatch

    court, golive, accounts = live_court_with_filers(6)
    monkeypatch.setattr(dispatch, "ANALYZE_AFTER_ROWS", 6)
    assert dispatch.deliveries_analyze(5) is False
    calls = []
    real = dispatch.deliveries_analyze
    monkeypatch.setattr(dispatch, "deliveries_analyze", lambda created: calls.append(created) or real(created))

    notices_dispatch(on_go_live_day(court))

    assert calls == [6]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [NoticeDelivery._meta.db_table])
            assert cursor.fetchone()[0] == 6  # counted by this ANALYZE, rows of this test's transaction


@pytest.mark.django_db
def test_a_message_that_cannot_be_rendered_fails_alone_when_rendered_ahead(smtp_sink, monkeypatch):
    """The next message is rendered while the server reads the current one: a template error there
    fails that row only, and neither the message on the wire nor the ones after it."""
    from rollout.notices import sending

    court, golive, accounts = live_court_with_filers(4)
    now = on_go_live_day(court)
    ids = golive_rows(golive, now)
    real = sending.build_message

    def build_message(row, *args):
        if row.id == ids[1]:
            raise ValueError("broken template")
        return real(row, *args)

    monkeypatch.setattr(sending, "build_message", build_message)
    result = deliveries_send(ids, claimed_by="run/1", now=now)

    assert (result.sent, result.failed) == (3, 1)
    failed = NoticeDelivery.objects.get(id=ids[1])
    assert failed.state == DeliveryState.FAILED and "broken template" in failed.last_error
    assert set(NoticeDelivery.objects.exclude(id=ids[1]).values_list("state", flat=True)) == {DeliveryState.SENT}
    assert len(smtp_sink.messages) == 3 and failed.filer.email not in smtp_sink.per_recipient()
    assert not NoticeSent.objects.exists()
