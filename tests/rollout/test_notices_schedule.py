"""Which notices are due when, in each court's own time zone; time is passed in, never waited for."""
import datetime as dt

import pytest

from accounts.services import cmecf_account_link
from courts.models import GoLiveStatus, Rollout
from courts.services import golive_postpone, golive_reschedule
from rollout.notices.dispatch import notices_dispatch
from rollout.notices.models import DeliveryState, NoticeDelivery, NoticeUnsubscribe
from rollout.notices.sending import deliveries_send
from tests.factories import CmecfAccountFactory, GoLiveFactory, eastern_court, filer_at, guam_court, hawaii_court, montana_court

pytestmark = pytest.mark.django_db

D = dt.date(2026, 3, 2)
UTC = dt.timezone.utc


def notices_of(court):
    return sorted(set(NoticeDelivery.objects.filter(court=court).values_list("notice", flat=True)))


def send_pending():
    ids = list(NoticeDelivery.objects.filter(state=DeliveryState.PENDING).values_list("id", flat=True))
    return deliveries_send(ids, claimed_by="test")


def three_zones(**golive):
    courts = [guam_court(), hawaii_court(), eastern_court()]
    for court in courts:
        GoLiveFactory(court=court, go_live_date=D, status=GoLiveStatus.SCHEDULED, **golive)
        filer_at(court)
    return courts


def test_go_live_notice_goes_from_each_courts_own_midnight():
    guam, hawaii, eastern = three_zones()
    notices_dispatch(dt.datetime(2026, 3, 1, 14, 30, tzinfo=UTC))  # Guam: Mar 2, 00:30
    assert (notices_of(guam), notices_of(hawaii), notices_of(eastern)) == (["golive"], ["prepare"], ["prepare"])
    notices_dispatch(dt.datetime(2026, 3, 2, 5, 30, tzinfo=UTC))  # New York: Mar 2, 00:30; Honolulu: Mar 1
    assert "golive" in notices_of(eastern) and "golive" not in notices_of(hawaii)
    notices_dispatch(dt.datetime(2026, 3, 2, 10, 30, tzinfo=UTC))  # Honolulu: Mar 2, 00:30
    assert "golive" in notices_of(hawaii)


def test_prepare_notice_is_due_the_configured_days_before_in_court_time():
    guam, hawaii, eastern = three_zones(prepare_days_before=30)
    # Jan 31 in Guam, Jan 30 in Honolulu and New York: only Guam is 30 days out.
    notices_dispatch(dt.datetime(2026, 1, 30, 15, 0, tzinfo=UTC))
    assert (notices_of(guam), notices_of(hawaii), notices_of(eastern)) == (["prepare"], [], [])


def test_postponed_go_live_gets_no_prepare_notice():
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=D, status=GoLiveStatus.POSTPONED)
    filer_at(court)
    notices_dispatch(dt.datetime(2026, 2, 20, 18, tzinfo=UTC))
    assert notices_of(court) == []


def test_only_the_latest_reminder_day_that_has_come_is_sent(settings):
    settings.NOTICES_CATCH_UP_DAYS = 30
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=D, status=GoLiveStatus.SCHEDULED, reminder_days_after=[7, 14, 30])
    filer_at(court)
    notices_dispatch(court.local_midnight(D + dt.timedelta(days=15)) + dt.timedelta(hours=8))
    assert notices_of(court) == ["golive", "reminder_14"]


def test_a_reminder_missed_while_beat_was_down_still_goes_within_the_catch_up_window(settings):
    settings.NOTICES_CATCH_UP_DAYS = 14
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=D, status=GoLiveStatus.SCHEDULED, reminder_days_after=[7, 14, 30])
    filer_at(court)
    notices_dispatch(court.local_midnight(D + dt.timedelta(days=43)))
    assert notices_of(court) == ["reminder_30"]
    NoticeDelivery.objects.all().delete()
    notices_dispatch(court.local_midnight(D + dt.timedelta(days=45)))  # 15 days late: stale
    assert notices_of(court) == []


def test_reminders_stop_once_the_filer_links():
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=D, status=GoLiveStatus.SCHEDULED, reminder_days_after=[7, 14])
    linker, other = filer_at(court, name="Ann Linker"), filer_at(court, name="Bob Waiter")
    notices_dispatch(court.local_midnight(D + dt.timedelta(days=7)) + dt.timedelta(hours=8))
    cmecf_account_link(linker, linked_at=court.local_midnight(D + dt.timedelta(days=8)))
    notices_dispatch(court.local_midnight(D + dt.timedelta(days=14)) + dt.timedelta(hours=8))
    reminded_14 = set(NoticeDelivery.objects.filter(notice="reminder_14").values_list("filer_id", flat=True))
    assert reminded_14 == {other.filer_id}


def test_a_filer_who_linked_after_the_reminder_was_created_is_skipped_not_sent(smtp_sink):
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=D, status=GoLiveStatus.SCHEDULED, reminder_days_after=[7])
    account = filer_at(court)
    notices_dispatch(court.local_midnight(D + dt.timedelta(days=7)) + dt.timedelta(hours=8))
    cmecf_account_link(account, linked_at=court.local_midnight(D + dt.timedelta(days=7)) + dt.timedelta(hours=9))
    send_pending()
    assert smtp_sink.messages == []
    assert set(NoticeDelivery.objects.values_list("state", "skip_reason")) == {(DeliveryState.SKIPPED, "Already linked.")}


def test_a_prepare_notice_still_pending_at_go_live_is_skipped_with_the_reason(smtp_sink):
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=D, status=GoLiveStatus.SCHEDULED)
    filer_at(court)
    notices_dispatch(court.local_midnight(D - dt.timedelta(days=5)))
    send_pending()  # real now is after D: the court is live
    row = NoticeDelivery.objects.get()
    assert (row.state, row.skip_reason) == (DeliveryState.SKIPPED, "The court is already live: a prepare notice would come too late.")
    assert smtp_sink.messages == []


def test_go_live_moved_after_the_prepare_notice_sends_a_date_change_not_a_second_prepare(smtp_sink):
    court = montana_court()
    today = court.local_today()
    golive = GoLiveFactory(court=court, go_live_date=today + dt.timedelta(days=20), status=GoLiveStatus.SCHEDULED)
    account = filer_at(court, name="Carla Told")
    notices_dispatch()
    send_pending()
    new_date = today + dt.timedelta(days=40)
    golive_reschedule(golive, new_date, reason="vendor delay")
    notices_dispatch()
    send_pending()
    notices_dispatch()
    assert notices_of(court) == ["date_changed_%d" % golive.changes.latest("id").id, "prepare"]
    subjects = [m.message["Subject"] for m in smtp_sink.to(account.filer.email)]
    assert len(subjects) == 2 and "get your PACER account ready" in subjects[0]
    assert subjects[1].startswith("New NextGen CM/ECF date") and f"{new_date.day}, {new_date.year}" in subjects[1]


def test_a_filer_not_yet_told_gets_no_date_change_notice():
    court = montana_court()
    golive = GoLiveFactory(court=court, go_live_date=court.local_today() + dt.timedelta(days=60))
    filer_at(court)
    golive_reschedule(golive, golive.go_live_date + dt.timedelta(days=7))
    assert notices_of(court) == []


def test_a_postponement_without_a_new_date_is_announced_to_those_told(smtp_sink):
    court = montana_court()
    golive = GoLiveFactory(court=court, go_live_date=court.local_today() + dt.timedelta(days=10))
    account = filer_at(court)
    notices_dispatch()
    send_pending()
    golive_postpone(golive, reason="network upgrade")
    send_pending()
    last = smtp_sink.to(account.filer.email)[-1].message
    assert "postponed" in last["Subject"]


def test_a_filer_at_two_courts_gets_one_message_per_court_and_notice():
    mt, md = montana_court(), eastern_court()
    for court in (mt, md):
        GoLiveFactory(court=court, go_live_date=D, status=GoLiveStatus.SCHEDULED)
    account = filer_at(mt, email="two.courts@example.com")
    CmecfAccountFactory(filer=account.filer, court=md, login="twocourts")
    CmecfAccountFactory(filer=account.filer, court=md, login="twocourts2")  # a second login at one court
    notices_dispatch(dt.datetime(2026, 3, 2, 12, tzinfo=UTC))
    rows = list(NoticeDelivery.objects.filter(filer=account.filer).values_list("court__court_id", "notice"))
    assert sorted(rows) == [("MDDC", "golive"), ("MTDC", "golive")]


def test_an_unsubscribed_filer_still_gets_the_go_live_notice_but_no_reminder():
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=D, status=GoLiveStatus.SCHEDULED, reminder_days_after=[7])
    account = filer_at(court)
    NoticeUnsubscribe.objects.create(filer=account.filer, court=court)
    notices_dispatch(court.local_midnight(D + dt.timedelta(days=7)) + dt.timedelta(hours=1))
    assert notices_of(court) == ["golive"]


def test_dispatch_run_again_creates_and_publishes_nothing_new():
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=D, status=GoLiveStatus.SCHEDULED)
    for i in range(3):
        filer_at(court, name=f"Filer {i}")
    now = dt.datetime(2026, 3, 2, 12, tzinfo=UTC)
    first = notices_dispatch(now)
    second = notices_dispatch(now)
    assert (first.tasks_published, second.tasks_published, second.rows_considered) == (1, 0, 0)
    assert NoticeDelivery.objects.count() == 3


def test_a_courts_go_live_in_a_later_rollout_has_notices_of_its_own():
    court = montana_court()
    first = GoLiveFactory(court=court, go_live_date=D, status=GoLiveStatus.SCHEDULED)
    filer_at(court)
    notices_dispatch(dt.datetime(2026, 2, 20, 18, tzinfo=UTC))
    Rollout.objects.update(is_current=False)
    later_rollout = Rollout.objects.create(slug="nextgen-2", name="NextGen CM/ECF, release 2", is_current=True)
    later = GoLiveFactory(court=court, rollout=later_rollout, go_live_date=D.replace(year=2027),
                          status=GoLiveStatus.SCHEDULED)
    notices_dispatch(dt.datetime(2027, 2, 20, 18, tzinfo=UTC))
    assert list(NoticeDelivery.objects.order_by("id").values_list("golive", "notice")) == [
        (first.id, "prepare"), (later.id, "prepare")]
