"""Court page and overview hooks, and the weekly digest to court administrators."""
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.counts import court_counts_refresh
from accounts.models import CmecfAccount
from rollout.notices.digest import digests_send_due
from rollout.notices.models import AdminDigest, DeliveryState, NoticeDelivery
from rollout.notices.selectors import last_announcements, notice_summary
from tests.factories import GoLiveFactory, filer_at, montana_administrator, montana_court, utah_court

pytestmark = pytest.mark.django_db

MONDAY_9AM_NY = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.timezone.utc)


def delivery(court, golive, kind, notice, state, sent_at=None):
    account = filer_at(court)
    return NoticeDelivery.objects.create(filer=account.filer, court=court, golive=golive, kind=kind, notice=notice,
                                         state=state, sent_at=sent_at)


def test_last_announcements_gives_the_latest_notice_sent_per_court_in_one_query():
    mt, ut = montana_court(), utah_court()
    g_mt, g_ut = GoLiveFactory(court=mt), GoLiveFactory(court=ut)
    t0 = timezone.now() - dt.timedelta(days=3)
    delivery(mt, g_mt, "prepare", "prepare", DeliveryState.SENT, t0)
    delivery(mt, g_mt, "golive", "golive", DeliveryState.SENT, t0 + dt.timedelta(days=1))
    delivery(mt, g_mt, "reminder", "reminder_7", DeliveryState.FAILED)
    delivery(ut, g_ut, "prepare", "prepare", DeliveryState.SENT, t0)
    with CaptureQueriesContext(connection) as queries:
        result = last_announcements([mt.id, ut.id])
    assert len(queries) == 1
    assert result == {mt.id: ("Go-live announcement", t0 + dt.timedelta(days=1)), ut.id: ("Prepare (before go-live)", t0)}


def test_notice_summary_counts_sent_due_and_failed_per_kind_in_one_query():
    mt = montana_court()
    golive = GoLiveFactory(court=mt)
    delivery(mt, golive, "golive", "golive", DeliveryState.SENT, timezone.now())
    delivery(mt, golive, "golive", "golive", DeliveryState.PENDING)
    delivery(mt, golive, "golive", "golive", DeliveryState.FAILED)
    delivery(mt, golive, "reminder", "reminder_7", DeliveryState.SENDING)
    with CaptureQueriesContext(connection) as queries:
        summary = notice_summary(mt)
    assert len(queries) == 1
    assert summary == {"golive": {"sent": 1, "due": 1, "failed": 1, "skipped": 0},
                       "reminder": {"sent": 0, "due": 1, "failed": 0, "skipped": 0}}


def test_weekly_digest_reports_linked_now_versus_a_week_ago_once_per_week(smtp_sink):
    user = montana_administrator()
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=dt.date(2021, 9, 27))
    accounts = [filer_at(court, name=f"Filer {i}") for i in range(4)]
    CmecfAccount.objects.filter(pk=accounts[0].pk).update(linked_at=MONDAY_9AM_NY - dt.timedelta(days=30))
    CmecfAccount.objects.filter(pk__in=[accounts[1].pk, accounts[2].pk]).update(linked_at=MONDAY_9AM_NY - dt.timedelta(days=2))
    court_counts_refresh([court.id])
    assert digests_send_due(MONDAY_9AM_NY) == 1
    assert digests_send_due(MONDAY_9AM_NY + dt.timedelta(hours=1)) == 0  # the next hourly run
    (received,) = smtp_sink.messages
    text = received.message.get_body(("plain",)).get_content()
    assert received.rcpt_tos == ["clerk@mtd.example.gov"]
    assert "District of Montana (MTDC)" in text and "linked 3 of 4 (+2 in these seven days)" in text
    assert AdminDigest.objects.get(user=user).state == DeliveryState.SENT


def test_weekly_digest_waits_for_its_day_and_hour(smtp_sink):
    montana_administrator()
    assert digests_send_due(MONDAY_9AM_NY - dt.timedelta(hours=4)) == 0  # Monday 5 AM in New York
    assert smtp_sink.messages == []


def digest_left_sending(user, claimed_at):
    """This week's digest row as a sender left it between its claim and its "sent" mark."""
    return AdminDigest.objects.create(user=user, week=dt.date(2026, 11, 23), state=DeliveryState.SENDING,
                                      claimed_at=claimed_at)


def test_a_digest_left_sending_by_a_sender_that_stopped_is_sent_at_the_next_run_flagged(smtp_sink):
    user = montana_administrator()
    digest_left_sending(user, claimed_at=MONDAY_9AM_NY)
    assert digests_send_due(MONDAY_9AM_NY + dt.timedelta(hours=1)) == 1
    assert [m.rcpt_tos for m in smtp_sink.messages] == [["clerk@mtd.example.gov"]]
    row = AdminDigest.objects.get(user=user)
    assert (row.state, row.possible_duplicate) == (DeliveryState.SENT, True)


def test_a_digest_a_live_sender_has_just_claimed_is_left_to_it(smtp_sink):
    user = montana_administrator()
    digest_left_sending(user, claimed_at=MONDAY_9AM_NY - dt.timedelta(seconds=5))
    assert digests_send_due(MONDAY_9AM_NY) == 0
    assert smtp_sink.messages == []


@pytest.mark.parametrize("lost", ["is_staff", "is_active"])
def test_weekly_digest_skips_a_user_who_lost_staff_status_or_was_deactivated(smtp_sink, lost):
    user = montana_administrator()
    GoLiveFactory(court=montana_court(), go_live_date=dt.date(2021, 9, 27))
    setattr(user, lost, False)
    user.save(update_fields=[lost])
    assert digests_send_due(MONDAY_9AM_NY) == 0
    assert smtp_sink.messages == []


def test_notice_summary_counts_the_current_rollouts_notices_only():
    from courts.models import Rollout

    mt = montana_court()
    earlier = GoLiveFactory(court=mt)
    delivery(mt, earlier, "prepare", "prepare", DeliveryState.SENT, timezone.now())
    Rollout.objects.update(is_current=False)
    later = GoLiveFactory(court=mt, rollout=Rollout.objects.create(slug="nextgen-2", name="Release 2", is_current=True))
    delivery(mt, later, "prepare", "prepare", DeliveryState.PENDING)
    assert notice_summary(mt) == {"prepare": {"sent": 0, "due": 1, "failed": 0, "skipped": 0}}
