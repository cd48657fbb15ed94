"""A notice goes once and says what is true when it goes, whatever staff or the filer did between its
dispatch and its sending: a reported link pauses a reminder, a withdrawn "live" is corrected and never
resent, a change while a chunk is on the wire is announced, and one court day gets one reminder."""
import datetime as dt

import pytest
from django.core import mail

from accounts.self_service import cmecf_account_report_linked
from courts.models import GoLiveStatus
from courts.services import golive_mark_live, golive_schedule, golive_set, golives_mark_live_due
from rollout.notices.dispatch import notices_dispatch
from rollout.notices.models import DeliveryState, NoticeDelivery, NoticeKind
from rollout.notices.sending import deliveries_claim, deliveries_send, new_claim_token
from rollout.notices.services import deliveries_resend, notice_send_now
from tests.factories import GoLiveFactory, filer_at, montana_court, superuser, utah_court

pytestmark = pytest.mark.django_db
UTC = dt.timezone.utc
D = dt.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def send_pending(now=None):
    ids = list(NoticeDelivery.objects.filter(state=DeliveryState.PENDING).order_by("id").values_list("id", flat=True))
    deliveries_send(ids, claimed_by=new_claim_token(), now=now)
    sent, mail.outbox[:] = list(mail.outbox), []
    return sent


def held_then_readdressed(account, now):
    """The filer's address bounces, so the pending notice is held; then they give a new address."""
    from accounts.self_service import filer_change_email
    from rollout.notices.models import BouncedAddress

    BouncedAddress.objects.create(email=account.filer.email, undeliverable_at=now, last_bounce_at=now)
    assert send_pending(now) == []
    filer = account.filer
    filer_change_email(filer.pk, filer.email, "new.address@example.com", filer.email_changes)


def day(court, n, hour=8):
    return court.local_midnight(D + dt.timedelta(days=n)) + dt.timedelta(hours=hour)


def test_a_filer_who_reports_the_link_after_dispatch_gets_no_reminder():
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=D, status=GoLiveStatus.LIVE, reminder_days_after=[7])
    account = filer_at(court)
    now = day(court, 7)
    notices_dispatch(now)
    cmecf_account_report_linked(account.filer, account.pk, now=now)
    send_pending(now)
    reminder = NoticeDelivery.objects.get(notice="reminder_7")
    assert (reminder.state, reminder.skip_reason) == (
        DeliveryState.SKIPPED, "The filer reported the link lately; reminders wait for the court's records.")


def test_withdrawing_live_tells_the_filers_who_got_only_the_go_live_notice():
    now = dt.datetime(2027, 3, 1, 18, tzinfo=UTC)
    court = utah_court()
    golive = GoLiveFactory(court=court, go_live_date=dt.date(2027, 4, 19), status=GoLiveStatus.SCHEDULED)
    filer_at(court)
    golive_mark_live(golive, now=now)  # by mistake: no prepare notice was due yet
    notices_dispatch(now)
    assert len(send_pending(now)) == 1
    golive.refresh_from_db()
    golive_set(golive, dt.date(2027, 4, 19), GoLiveStatus.SCHEDULED, now=now)
    assert NoticeDelivery.objects.filter(kind=NoticeKind.DATE_CHANGED).count() == 1


def test_a_go_live_notice_set_aside_when_live_was_withdrawn_is_not_resent():
    now = dt.datetime(2027, 3, 1, 18, tzinfo=UTC)
    court = utah_court()
    golive = GoLiveFactory(court=court, go_live_date=dt.date(2027, 4, 19), status=GoLiveStatus.SCHEDULED)
    filer_at(court)
    golive_mark_live(golive, now=now)
    notices_dispatch(now)
    NoticeDelivery.objects.update(state=DeliveryState.FAILED)  # the relay refused it
    golive.refresh_from_db()
    golive_set(golive, dt.date(2027, 4, 19), GoLiveStatus.SCHEDULED, now=now)
    withdrawn = NoticeDelivery.objects.get(kind=NoticeKind.GOLIVE)
    assert withdrawn.notice.startswith("golive_withdrawn_")
    real_day = court.local_midnight(dt.date(2027, 4, 19)) + dt.timedelta(hours=8)
    notices_dispatch(real_day)  # the court goes live on its day: its go-live notice goes
    assert len(send_pending(real_day)) == 1
    deliveries_resend([withdrawn], superuser())  # staff resend the failed rows
    assert send_pending(real_day) == []
    withdrawn.refresh_from_db()
    assert withdrawn.state == DeliveryState.SKIPPED


def test_a_date_moved_while_the_prepare_notices_are_being_sent_is_announced_to_their_filers():
    now = dt.datetime(2027, 3, 1, 18, tzinfo=UTC)
    court = utah_court()
    golive = GoLiveFactory(court=court, go_live_date=dt.date(2027, 3, 20), status=GoLiveStatus.SCHEDULED)
    filers = [filer_at(court, login=f"ut{i}") for i in range(3)]
    notices_dispatch(now)
    ids = list(NoticeDelivery.objects.values_list("id", flat=True))
    claimed = deliveries_claim(ids, new_claim_token(), now)  # a sender built them from the old date
    assert len(claimed) == 3
    golive.refresh_from_db()
    golive_schedule(golive, dt.date(2027, 5, 10), now=now)
    told = set(NoticeDelivery.objects.filter(kind=NoticeKind.DATE_CHANGED).values_list("filer_id", flat=True))
    assert told == {a.filer_id for a in filers}


def test_an_earlier_reminder_day_added_later_is_not_sent_after_a_later_one_went():
    court = montana_court()
    golive = GoLiveFactory(court=court, go_live_date=D, status=GoLiveStatus.LIVE, reminder_days_after=[7, 14, 30])
    filer_at(court)
    notices_dispatch(day(court, 14))
    assert len(send_pending(day(court, 14))) == 2  # the go-live notice (still in catch-up) and reminder_14
    golive.reminder_days_after = [7, 10, 30]
    golive.save(update_fields=["reminder_days_after"])
    notices_dispatch(day(court, 20))
    assert not NoticeDelivery.objects.filter(notice="reminder_10").exists()


def test_a_reminder_sent_by_hand_the_day_the_scheduled_one_went_is_not_sent_again():
    court = montana_court()
    golive = GoLiveFactory(court=court, go_live_date=D, status=GoLiveStatus.LIVE, reminder_days_after=[7])
    filer_at(court)
    notices_dispatch(day(court, 7, hour=1))
    send_pending(day(court, 7, hour=1))
    notice_send_now(golive, NoticeKind.REMINDER, superuser(), now=day(court, 7, hour=9))
    assert not NoticeDelivery.objects.filter(notice__startswith="reminder_manual_").exists()


def test_a_reminder_sent_by_hand_before_the_scheduled_day_does_not_stop_the_scheduled_one():
    court = montana_court()
    golive = GoLiveFactory(court=court, go_live_date=D, status=GoLiveStatus.LIVE, reminder_days_after=[7])
    account = filer_at(court)
    notice_send_now(golive, NoticeKind.REMINDER, superuser(), now=day(court, 5))
    send_pending(day(court, 5))
    notices_dispatch(day(court, 7))
    assert NoticeDelivery.objects.filter(notice="reminder_7", filer_id=account.filer_id).exists()


def test_a_postponement_still_queued_when_the_date_is_also_taken_away_still_goes():
    """Postponed, then its date taken away before the postponement's notice went: both read
    "the switch is postponed" to the filer, and the second change, announcing nothing new, creates no
    notice of its own, so the first must go."""
    from courts.services import golive_postpone, golive_unschedule

    now = dt.datetime(2027, 4, 1, 18, tzinfo=UTC)
    court = montana_court()
    golive = GoLiveFactory(court=court, go_live_date=dt.date(2027, 4, 26), status=GoLiveStatus.SCHEDULED,
                           prepare_days_before=30)
    filer_at(court, email="pat@example.com")
    notices_dispatch(now)
    send_pending(now)  # the prepare notice: April 26
    golive.refresh_from_db()
    golive_postpone(golive, now=now)
    golive.refresh_from_db()
    golive_unschedule(golive, now=now)
    sent = send_pending(now)
    assert len(sent) == 1 and "The switch is postponed" in sent[0].body


def test_a_date_taken_away_then_postponed_tells_every_filer_once_even_sent_in_parts():
    from courts.services import golive_postpone, golive_unschedule

    now = dt.datetime(2027, 4, 1, 18, tzinfo=UTC)
    court = montana_court()
    golive = GoLiveFactory(court=court, go_live_date=dt.date(2027, 4, 26), status=GoLiveStatus.SCHEDULED,
                           prepare_days_before=30)
    for i in range(2):
        filer_at(court, email=f"filer{i}@example.com", login=f"mt{i}")
    notices_dispatch(now)
    send_pending(now)  # the prepare notices: April 26
    for write in (golive_unschedule, golive_postpone):
        golive.refresh_from_db()
        write(golive, now=now)
    first = NoticeDelivery.objects.filter(state=DeliveryState.PENDING).order_by("id").values_list("id", flat=True)[:1]
    deliveries_send(list(first), claimed_by=new_claim_token(), now=now)  # one goes, the other waits
    golive.refresh_from_db()
    golive_unschedule(golive, now=now)
    sent = send_pending(now)  # with the one sent before
    assert sorted(m.to[0] for m in sent) == ["filer0@example.com", "filer1@example.com"]
    assert all("The switch is postponed" in m.body for m in sent)


def test_withdrawing_live_tells_the_filers_who_got_only_a_reminder():
    """A filer added after the go-live notice's catch-up got reminders only ("live since …, you cannot
    file until linked"): when "live" is withdrawn, they hear it too."""
    court = montana_court()
    golive = GoLiveFactory(court=court, go_live_date=D, status=GoLiveStatus.LIVE, reminder_days_after=[20])
    account = filer_at(court)
    now = day(court, 20)
    notices_dispatch(now)
    (reminder,) = send_pending(now)
    assert "live on NextGen CM/ECF since" in reminder.body
    golive.refresh_from_db()
    golive_set(golive, D + dt.timedelta(days=40), GoLiveStatus.SCHEDULED, now=now)
    (changed,) = send_pending(now)
    assert changed.to == [account.filer.email]
    assert "That date has changed." in changed.body and "The new go-live date is Saturday, April 11, 2026" in changed.body


def test_filers_whose_prepare_notice_a_postponement_stopped_get_one_when_a_date_is_set_again():
    """Postponed while the prepare campaign was queued: those filers were told nothing, so they are
    not among those told the new date; they get the prepare notice when it is due again."""
    from courts.services import golive_postpone

    now = dt.datetime(2027, 3, 1, 18, tzinfo=UTC)
    court = utah_court()
    golive = GoLiveFactory(court=court, go_live_date=dt.date(2027, 3, 20), status=GoLiveStatus.SCHEDULED)
    sent_first, queued = filer_at(court, login="ut1"), filer_at(court, login="ut2")
    notices_dispatch(now)
    first = NoticeDelivery.objects.get(filer=sent_first.filer)
    deliveries_send([first.id], claimed_by=new_claim_token(), now=now)
    golive.refresh_from_db()
    golive_postpone(golive, now=now)
    send_pending(now)  # the postponement to the one told; the queued prepare notice is not sent
    golive.refresh_from_db()
    golive_schedule(golive, dt.date(2027, 6, 7), now=now)
    later = court.local_midnight(dt.date(2027, 5, 10)) + dt.timedelta(hours=8)  # within the prepare window
    notices_dispatch(later)
    by_address = {m.to[0]: m for m in send_pending(later)}
    assert set(by_address) == {sent_first.filer.email, queued.filer.email}
    assert "NextGen CM/ECF on Monday, June 7, 2027" in by_address[queued.filer.email].body


def test_a_prepare_notice_cannot_be_sent_by_hand_for_a_postponed_go_live():
    from django.core.exceptions import ValidationError

    from courts.services import golive_postpone

    now = dt.datetime(2027, 3, 1, 18, tzinfo=UTC)
    court = utah_court()
    golive = GoLiveFactory(court=court, go_live_date=dt.date(2027, 3, 20), status=GoLiveStatus.SCHEDULED)
    filer_at(court)
    golive_postpone(golive, now=now)
    golive.refresh_from_db()
    with pytest.raises(ValidationError, match="postponed"):
        notice_send_now(golive, NoticeKind.PREPARE, superuser(), now=now)
    assert not NoticeDelivery.objects.filter(kind=NoticeKind.PREPARE).exists()


def test_a_date_change_held_for_an_undeliverable_address_goes_once_the_filer_gives_a_new_one():
    """Skipped "waiting for a new address": the new address gets what still holds, at the next dispatch."""
    from accounts.self_service import filer_change_email
    from rollout.notices.models import BouncedAddress

    now = dt.datetime(2027, 3, 1, 18, tzinfo=UTC)
    court = utah_court()
    golive = GoLiveFactory(court=court, go_live_date=dt.date(2027, 3, 20), status=GoLiveStatus.SCHEDULED)
    account = filer_at(court)
    notices_dispatch(now)
    send_pending(now)
    BouncedAddress.objects.create(email=account.filer.email, undeliverable_at=now, last_bounce_at=now)
    golive.refresh_from_db()
    golive_schedule(golive, dt.date(2027, 4, 12), now=now)
    assert send_pending(now) == []
    filer = account.filer
    filer_change_email(filer.pk, filer.email, "new.address@example.com", filer.email_changes)
    notices_dispatch(now)
    (changed,) = send_pending(now)
    assert changed.to == ["new.address@example.com"]
    assert "The new go-live date is Monday, April 12, 2027" in changed.body


def test_a_reminder_held_for_an_undeliverable_address_is_not_sent_late():
    """A missed reminder day is not sent late (as the dispatch does): the next reminder day reaches
    the new address."""
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=D, status=GoLiveStatus.LIVE, reminder_days_after=[20])
    account = filer_at(court)
    now = day(court, 20)
    notices_dispatch(now)
    held_then_readdressed(account, now)
    notices_dispatch(now)
    assert send_pending(now) == []


def test_a_live_courts_date_corrected_tells_the_filers_the_pause_moved_with_it():
    """Told "filing pauses until Monday 8:00 AM" by the go-live notice; the court's live date is
    corrected to Sunday and the pause moves with it: filing is open since Sunday 8:00 AM."""
    court = utah_court()
    monday = dt.date(2027, 4, 26)
    tz = court.tzinfo
    golive = GoLiveFactory(court=court, go_live_date=monday, status=GoLiveStatus.SCHEDULED,
                           blackout_start=dt.datetime(2027, 4, 23, 17, tzinfo=tz),
                           blackout_end=dt.datetime(2027, 4, 26, 8, tzinfo=tz))
    filer_at(court)
    now = dt.datetime(2027, 4, 26, 1, tzinfo=tz)  # live since midnight; the pause runs until 8:00
    golives_mark_live_due(now)
    notices_dispatch(now)
    (golive_notice,) = send_pending(now)
    assert "Monday, April 26, 2027 at 8:00 AM MDT" in golive_notice.body
    golive.refresh_from_db()
    golive_set(golive, monday - dt.timedelta(days=1), GoLiveStatus.LIVE, now=now)
    (changed,) = send_pending(now)
    assert "electronic filing here is open again since Sunday, April 25, 2027 at 8:00 AM MDT" in changed.body


def test_a_live_courts_date_corrected_long_after_its_pause_tells_nothing():
    court = utah_court()
    monday = dt.date(2027, 4, 26)
    tz = court.tzinfo
    golive = GoLiveFactory(court=court, go_live_date=monday, status=GoLiveStatus.LIVE,
                           blackout_start=dt.datetime(2027, 4, 23, 17, tzinfo=tz),
                           blackout_end=dt.datetime(2027, 4, 26, 8, tzinfo=tz))
    filer_at(court)
    now = dt.datetime(2027, 5, 3, 9, tzinfo=tz)
    notices_dispatch(now)
    send_pending(now)
    golive_set(golive, monday - dt.timedelta(days=1), GoLiveStatus.LIVE, now=now)
    assert not NoticeDelivery.objects.filter(kind=NoticeKind.BLACKOUT_CHANGED).exists()


def test_a_date_change_waits_for_the_prepare_notice_still_being_sent_to_its_filer():
    """The prepare notice, built from the old date, is still on its way (another sender holds it):
    the date-changed notice sent first would arrive before it, and the old date would be the last
    the filer read. It waits, without a try counted, and goes once the prepare notice has."""
    now = dt.datetime(2027, 3, 1, 18, tzinfo=UTC)
    court = utah_court()
    golive = GoLiveFactory(court=court, go_live_date=dt.date(2027, 3, 20), status=GoLiveStatus.SCHEDULED)
    account = filer_at(court)
    notices_dispatch(now)
    prepare = NoticeDelivery.objects.get(kind=NoticeKind.PREPARE)
    deliveries_claim([prepare.id], new_claim_token(), now)  # another sender has it on the wire
    golive.refresh_from_db()
    golive_schedule(golive, dt.date(2027, 5, 10), now=now)
    changed = NoticeDelivery.objects.get(kind=NoticeKind.DATE_CHANGED)
    assert send_pending(now) == []
    changed.refresh_from_db()
    assert (changed.state, changed.attempts) == (DeliveryState.PENDING, 0)
    assert changed.next_attempt_at is not None and "earlier notice" in changed.last_error
    NoticeDelivery.objects.filter(id=prepare.id).update(state=DeliveryState.SENT)  # that sender is done
    (sent,) = send_pending(now)
    assert sent.to == [account.filer.email] and "The new go-live date is Monday, May 10, 2027" in sent.body


def test_a_pause_change_already_told_by_a_queued_date_change_is_not_sent_again():
    """The date moved (the pause with it), then the pause changed, both before the date-changed
    notice went: that notice tells the pause as it now stands, so the filing-pause notice would only
    repeat it, saying it replaces a pause the filer never received."""
    from courts.services import golive_set_blackout

    now = dt.datetime(2027, 3, 1, 18, tzinfo=UTC)
    court = utah_court()
    tz = court.tzinfo
    golive = GoLiveFactory(court=court, go_live_date=dt.date(2027, 3, 22), status=GoLiveStatus.SCHEDULED,
                           blackout_start=dt.datetime(2027, 3, 19, 17, tzinfo=tz),
                           blackout_end=dt.datetime(2027, 3, 22, 8, tzinfo=tz))
    account = filer_at(court)
    notices_dispatch(now)
    send_pending(now)
    golive.refresh_from_db()
    golive_schedule(golive, dt.date(2027, 4, 5), now=now)  # the pause moves to April 2–5
    golive.refresh_from_db()
    golive_set_blackout(golive, dt.datetime(2027, 4, 2, 12, tzinfo=tz), dt.datetime(2027, 4, 5, 8, tzinfo=tz), now=now)
    date_changed = NoticeDelivery.objects.get(kind=NoticeKind.DATE_CHANGED)
    deliveries_send([date_changed.id], claimed_by=new_claim_token(), now=now)  # one sender, then another
    (sent,) = mail.outbox
    assert sent.to == [account.filer.email]
    assert "The new go-live date is Monday, April 5, 2027" in sent.body
    assert "Friday, April 2, 2027 at 12:00 PM MDT" in sent.body
    assert send_pending(now)[1:] == []
    assert NoticeDelivery.objects.get(kind=NoticeKind.BLACKOUT_CHANGED).skip_reason == (
        "The filing pause is back to what the filer was last told.")


def test_a_date_moved_while_the_prepare_notices_wait_in_the_queue_is_told_once_with_the_new_date():
    """Queued prepare notices, not yet claimed, are built from the new date when they go: one email,
    no date-changed notice after it."""
    now = dt.datetime(2027, 3, 1, 18, tzinfo=UTC)
    court = utah_court()
    golive = GoLiveFactory(court=court, go_live_date=dt.date(2027, 3, 20), status=GoLiveStatus.SCHEDULED)
    filer_at(court)
    notices_dispatch(now)
    golive.refresh_from_db()
    golive_schedule(golive, dt.date(2027, 5, 10), now=now)
    (sent,) = send_pending(now)
    assert "NextGen CM/ECF on Monday, May 10, 2027" in sent.body
    assert NoticeDelivery.objects.get(kind=NoticeKind.DATE_CHANGED).skip_reason == (
        "An earlier notice sent with it tells the filer what holds now.")


def test_a_date_change_for_a_filer_whose_prepare_notice_failed_is_not_sent():
    """Nothing reached the filer: "we wrote to you that …" would not be true."""
    now = dt.datetime(2027, 3, 1, 18, tzinfo=UTC)
    court = utah_court()
    golive = GoLiveFactory(court=court, go_live_date=dt.date(2027, 3, 20), status=GoLiveStatus.SCHEDULED)
    filer_at(court)
    notices_dispatch(now)
    prepare = NoticeDelivery.objects.get(kind=NoticeKind.PREPARE)
    deliveries_claim([prepare.id], new_claim_token(), now)
    golive.refresh_from_db()
    golive_schedule(golive, dt.date(2027, 5, 10), now=now)
    NoticeDelivery.objects.filter(id=prepare.id).update(state=DeliveryState.FAILED)  # the relay refused it
    assert send_pending(now) == []
    assert NoticeDelivery.objects.get(kind=NoticeKind.DATE_CHANGED).skip_reason == (
        "Nothing this notice corrects reached the filer.")


def test_a_reminder_caught_up_late_stops_one_sent_by_hand_the_same_court_day():
    """Beat was down on days 7 and 8: reminder_7 goes out on day 9 (today). A reminder sent by hand
    that day would be the filer's second in one court day."""
    from django.utils import timezone

    now = timezone.now()
    court = montana_court()
    golive = GoLiveFactory(court=court, go_live_date=court.local_today(now) - dt.timedelta(days=9),
                           status=GoLiveStatus.LIVE, reminder_days_after=[7])
    account = filer_at(court)
    notices_dispatch(now)
    send_pending(now)
    assert NoticeDelivery.objects.get(notice="reminder_7", filer_id=account.filer_id).state == DeliveryState.SENT
    notice_send_now(golive, NoticeKind.REMINDER, superuser(), now=now)
    assert not NoticeDelivery.objects.filter(notice__startswith="reminder_manual_").exists()


@pytest.mark.parametrize(("readdressed_on", "sent"), [(3, True), (60, False)])
def test_a_go_live_notice_held_for_an_undeliverable_address_goes_only_within_its_catch_up_window(
        readdressed_on, sent):
    """A filer added 60 days after go-live gets no go-live notice (only the reminders): nor does one
    whose address was fixed that late."""
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=D, status=GoLiveStatus.LIVE, reminder_days_after=[])
    account = filer_at(court)
    now = day(court, 0)
    notices_dispatch(now)
    held_then_readdressed(account, now)
    later = day(court, readdressed_on)
    notices_dispatch(later)
    assert [m.to for m in send_pending(later)] == ([["new.address@example.com"]] if sent else [])


def test_a_reminder_caught_up_late_and_still_going_out_stops_one_sent_by_hand():
    from django.utils import timezone

    now = timezone.now()
    court = montana_court()
    golive = GoLiveFactory(court=court, go_live_date=court.local_today(now) - dt.timedelta(days=9),
                           status=GoLiveStatus.LIVE, reminder_days_after=[7])
    filer_at(court)
    notices_dispatch(now)  # reminder_7 made today, not sent yet
    notice_send_now(golive, NoticeKind.REMINDER, superuser(), now=now)
    assert not NoticeDelivery.objects.filter(notice__startswith="reminder_manual_").exists()
