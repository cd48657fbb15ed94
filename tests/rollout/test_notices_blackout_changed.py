"""Filers told a go-live's filing pause (blackout) hear when it alone changes: the new window, in the
court's zone, and the one it replaces; once per change, and only the change that still holds."""
import datetime as dt

import pytest
from django.core import mail

from courts.models import GoLiveChange, GoLiveStatus
from courts.services import golive_set_blackout
from rollout.notices.dispatch import notices_dispatch
from rollout.notices.models import DeliveryState, NoticeDelivery, NoticeKind
from rollout.notices.sending import deliveries_send, new_claim_token
from tests.factories import GoLiveFactory, filer_at, montana_court

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2027, 4, 1, 18, tzinfo=dt.timezone.utc)
DAY = dt.date(2027, 4, 19)  # a Monday


@pytest.fixture(autouse=True)
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def send_pending():
    ids = list(NoticeDelivery.objects.filter(state=DeliveryState.PENDING).order_by("id").values_list("id", flat=True))
    deliveries_send(ids, claimed_by=new_claim_token(), now=NOW)
    sent, mail.outbox[:] = list(mail.outbox), []
    return sent


def at(court, day, hour):
    return court.local_midnight(day) + dt.timedelta(hours=hour)


@pytest.fixture
def told():
    """Montana scheduled for April 19, filing paused from Friday 17:00 to Monday 08:00, its filers
    sent the prepare notice that says so."""
    court = montana_court()
    golive = GoLiveFactory(court=court, go_live_date=DAY, status=GoLiveStatus.SCHEDULED, prepare_days_before=30,
                           blackout_start=at(court, DAY - dt.timedelta(days=3), 17), blackout_end=at(court, DAY, 8))
    filer_at(court, login="mt1"), filer_at(court, login="mt2")
    notices_dispatch(NOW)
    assert len(send_pending()) == 2
    return golive


def test_a_changed_pause_is_announced_to_the_filers_told_the_old_one(told):
    court = told.court
    golive_set_blackout(told, at(court, DAY - dt.timedelta(days=5), 12), at(court, DAY, 8), now=NOW)
    sent = send_pending()
    assert len(sent) == 2 and {m.to[0] for m in sent} == set(NoticeDelivery.objects.filter(
        kind=NoticeKind.PREPARE).values_list("filer__email", flat=True))
    body = sent[0].body
    assert "Electronic filing will now pause from Wednesday, April 14, 2027 at 12:00 PM MDT until Monday, April 19, " \
           "2027 at 8:00 AM MDT." in body
    assert "This replaces the pause we wrote to you about: from Friday, April 16, 2027 at 5:00 PM MDT" in body
    assert "filing pause" in sent[0].subject


def test_the_change_is_recorded_in_the_go_live_history(told):
    court = told.court
    golive_set_blackout(told, at(court, DAY - dt.timedelta(days=5), 12), at(court, DAY, 8), now=NOW)
    change = GoLiveChange.objects.get(golive=told)
    assert change.blackout_only and change.reason == "Filing pause changed"
    assert change.old_blackout_start == at(court, DAY - dt.timedelta(days=3), 17)


def test_a_pause_changed_twice_before_its_notice_goes_is_announced_once_as_it_stands(told):
    court = told.court
    golive_set_blackout(told, at(court, DAY - dt.timedelta(days=5), 12), at(court, DAY, 8), now=NOW)
    golive_set_blackout(told, at(court, DAY - dt.timedelta(days=4), 12), at(court, DAY, 8), now=NOW)
    sent = send_pending()
    assert len(sent) == 2 and all("Thursday, April 15, 2027 at 12:00 PM MDT" in m.body for m in sent)
    reasons = set(NoticeDelivery.objects.filter(kind=NoticeKind.BLACKOUT_CHANGED, state=DeliveryState.SKIPPED)
                  .values_list("skip_reason", flat=True))
    assert reasons == {"A later change to the filing pause replaced the one this notice announces."}


def test_a_pause_taken_away_says_filing_goes_on(told):
    golive_set_blackout(told, None, None, now=NOW)
    sent = send_pending()
    assert len(sent) == 2 and "There is no pause any more" in sent[0].body


def test_filers_not_told_of_the_pause_yet_get_no_extra_notice():
    court = montana_court()
    golive = GoLiveFactory(court=court, go_live_date=DAY, status=GoLiveStatus.SCHEDULED,
                           blackout_start=at(court, DAY - dt.timedelta(days=3), 17), blackout_end=at(court, DAY, 8))
    filer_at(court)
    golive_set_blackout(golive, at(court, DAY - dt.timedelta(days=5), 12), at(court, DAY, 8), now=NOW)
    assert not NoticeDelivery.objects.exists()


def test_a_pause_changed_twice_names_the_window_the_filer_was_told_not_the_one_in_between(told):
    """Told Friday 17:00 (the prepare notice); changed to Wednesday, then to Thursday before the
    first change's notice went: the notice replaces Friday's window, the one the filer has."""
    court = told.court
    golive_set_blackout(told, at(court, DAY - dt.timedelta(days=5), 12), at(court, DAY, 8), now=NOW)
    golive_set_blackout(told, at(court, DAY - dt.timedelta(days=4), 12), at(court, DAY, 8), now=NOW)
    body = send_pending()[0].body
    assert "This replaces the pause we wrote to you about: from Friday, April 16, 2027 at 5:00 PM MDT" in body
    assert "Wednesday, April 14" not in body


def test_a_pause_changed_and_changed_back_before_its_notice_goes_sends_nothing(told):
    court = told.court
    golive_set_blackout(told, at(court, DAY - dt.timedelta(days=5), 12), at(court, DAY, 8), now=NOW)
    golive_set_blackout(told, at(court, DAY - dt.timedelta(days=3), 17), at(court, DAY, 8), now=NOW)
    assert send_pending() == []


def set_instructions(golive, text):
    from courts.services import golive_change

    return golive_change(golive, new_date=golive.go_live_date, new_status=golive.status, emergency=text, now=NOW)


def test_new_emergency_instructions_for_the_same_pause_are_announced_with_the_pause_kept(told):
    set_instructions(told, "Email emergency filings to intake@mtd.uscourts.gov.")
    sent = send_pending()
    assert len(sent) == 2
    body = " ".join(sent[0].body.split())
    assert "has changed what to do for an emergency filing" in body
    assert "The pause itself stays as we wrote to you: from Friday, April 16, 2027 at 5:00 PM MDT" in body
    assert "For an emergency filing during that time: Email emergency filings to intake@mtd.uscourts.gov." in body
    assert "This replaces the pause" not in body and sent[0].subject.startswith("New emergency filing instructions")
    change = GoLiveChange.objects.get(golive=told)
    assert (change.old_emergency_instructions, change.new_emergency_instructions) == (
        "", "Email emergency filings to intake@mtd.uscourts.gov.")


def test_instructions_changed_and_changed_back_before_their_notice_goes_send_nothing(told):
    set_instructions(told, "Email emergency filings to intake@mtd.uscourts.gov.")
    set_instructions(told, "")
    assert send_pending() == []


def test_instructions_of_a_court_with_no_pause_are_not_announced():
    court = montana_court()
    golive = GoLiveFactory(court=court, go_live_date=DAY, status=GoLiveStatus.SCHEDULED, prepare_days_before=30)
    filer_at(court, login="mt1")
    notices_dispatch(NOW)
    assert len(send_pending()) == 1
    assert set_instructions(golive, "Email emergency filings to intake@mtd.uscourts.gov.") is None
    golive.refresh_from_db()
    assert golive.emergency_filing_instructions.startswith("Email") and send_pending() == []


def test_instructions_naming_no_address_or_number_are_refused_and_nothing_changes(told):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        set_instructions(told, "Email your emergency filing to the clerk.")
    assert "emergency_filing_instructions" in refused.value.message_dict
    told.refresh_from_db()
    assert told.emergency_filing_instructions == "" and not GoLiveChange.objects.exists()


@pytest.fixture
def live_with_pause():
    """Montana live since this morning (April 1), filing paused from March 31 00:00 until April 2
    08:00 court time, its filers told that pause."""
    from courts.services import golive_mark_live

    court = montana_court()
    golive = GoLiveFactory(court=court, go_live_date=DAY, status=GoLiveStatus.SCHEDULED, prepare_days_before=30)
    filer_at(court, login="mt1")
    notices_dispatch(NOW)
    send_pending()
    golive_mark_live(golive, now=NOW)
    golive_set_blackout(golive, at(court, dt.date(2027, 3, 31), 0), at(court, dt.date(2027, 4, 2), 8), now=NOW)
    (told,) = send_pending()
    assert "until Friday, April 2, 2027 at 8:00 AM MDT" in told.body
    return golive


def test_a_pause_cut_short_to_a_time_already_past_tells_filers_filing_is_open_again(live_with_pause):
    court = live_with_pause.court
    golive_set_blackout(live_with_pause, at(court, dt.date(2027, 3, 31), 0), at(court, dt.date(2027, 4, 1), 8), now=NOW)
    (sent,) = send_pending()
    body = " ".join(sent.body.split())
    assert "The pause is over: electronic filing here is open again since Thursday, April 1, 2027 at 8:00 AM MDT" in body
    assert sent.subject.startswith("Electronic filing is open again")


def test_a_pause_cut_short_then_cleared_before_its_notice_goes_still_tells_filing_is_open(live_with_pause):
    """The clearing of a pause already over is not recorded (it matters to nobody but those told the
    longer one): the notice of the cut goes, saying what holds."""
    court = live_with_pause.court
    golive_set_blackout(live_with_pause, at(court, dt.date(2027, 3, 31), 0), at(court, dt.date(2027, 4, 1), 8), now=NOW)
    golive_set_blackout(live_with_pause, None, None, now=NOW)
    (sent,) = send_pending()
    assert "There is no pause any more" in sent.body


def test_postponed_and_set_again_on_the_same_day_before_any_notice_went_tells_the_pause_is_gone(told):
    """The postponement cleared the pause; set again on the same day, the go-live has none. The
    date the filers were told stands, their pause does not: the notice says so."""
    from courts.services import golive_postpone, golive_schedule

    golive_postpone(told, now=NOW)
    golive_schedule(told, DAY, now=NOW)
    sent = send_pending()
    assert len(sent) == 2
    body = " ".join(sent[0].body.split())
    assert "would move to NextGen CM/ECF on Monday, April 19, 2027. That date stands; the filing pause around it has changed." in body
    assert "There is no filing pause any more" in body and "That date has changed" not in body
    assert sent[0].subject.startswith("Filing pause changed")


def test_a_changed_pause_comes_with_the_calendar_event_revised(told):
    """The prepare notice's event described the old pause; the filing-pause notice carries it again
    with the next SEQUENCE (as the public feed has it), describing the new one."""
    from icalendar import Calendar

    court = told.court
    golive_set_blackout(told, at(court, DAY - dt.timedelta(days=5), 12), at(court, DAY, 8), now=NOW)
    sent = send_pending()
    (name, content, mimetype), = sent[0].attachments
    event = next(c for c in Calendar.from_ical(content).walk() if c.name == "VEVENT")
    assert name == "go-live.ics" and int(event["SEQUENCE"]) == 1
    assert "Electronic filing pauses from Wednesday, April 14, 2027 at 12:00 PM MDT" in " ".join(
        str(event["DESCRIPTION"]).split())


def test_new_emergency_instructions_come_with_the_calendar_event_revised(told):
    """The event's description gives the instructions for the pause: changed alone, they revise it."""
    from icalendar import Calendar

    from courts.services import golive_change

    golive_change(told, new_date=told.go_live_date, new_status=told.status,
                  emergency="Email emergency filings to intake@mtd.uscourts.gov.", now=NOW)
    sent = send_pending()
    (name, content, mimetype), = sent[0].attachments
    event = next(c for c in Calendar.from_ical(content).walk() if c.name == "VEVENT")
    assert name == "go-live.ics" and int(event["SEQUENCE"]) == 1
    assert ("For an emergency filing during the pause: Email emergency filings to intake@mtd.uscourts.gov."
            in " ".join(str(event["DESCRIPTION"]).split()))
