"""What notices say after staff change a go-live: the moved blackout, the readiness-fit step and the
court's own help desk in the date-changed notice; the digest's greeting, period and links; the preview."""
import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from courts.models import GoLiveStatus
from courts.services import golive_schedule, golive_set
from rollout.notices.digest import digests_send_due
from rollout.notices.models import DeliveryState, NoticeDelivery, NoticeKind
from rollout.notices.messages import MessageBuilder
from rollout.notices.rendering import default_source
from rollout.notices.services import notice_template_render_sample
from tests.factories import GoLiveFactory, court_admin_user, filer_at, montana_court, utah_court

pytestmark = pytest.mark.django_db
UTC = dt.timezone.utc
NOW = dt.datetime(2027, 3, 1, 18, tzinfo=UTC)


def told_filer(court, state):
    """A filer already sent the prepare notice (so a date change is announced to them)."""
    account = filer_at(court, state=state)
    golive = court.golives.get()
    NoticeDelivery.objects.create(filer=account.filer, court=court, golive=golive, kind=NoticeKind.PREPARE,
                                  notice="prepare", state=DeliveryState.SENT, sent_at=NOW)
    return account


def date_changed_text(court, account) -> str:
    row = NoticeDelivery.objects.select_related("filer", "court", "golive", "change").get(
        filer=account.filer, kind=NoticeKind.DATE_CHANGED)
    return MessageBuilder(NOW).build(row, "legacy").body


@pytest.fixture
def utah_in_april():
    court = utah_court()
    tz = court.tzinfo
    GoLiveFactory(court=court, go_live_date=dt.date(2027, 4, 19), status=GoLiveStatus.SCHEDULED,
                  blackout_start=dt.datetime(2027, 4, 16, 17, tzinfo=tz), blackout_end=dt.datetime(2027, 4, 19, 8, tzinfo=tz))
    return court


def test_a_date_changed_notice_gives_the_moved_blackout_not_the_old_one(utah_in_april):
    account = told_filer(utah_in_april, "legacy")
    golive_schedule(utah_in_april.golives.get(), dt.date(2027, 5, 10), now=NOW)
    text = date_changed_text(utah_in_april, account)
    assert "The new go-live date is Monday, May 10, 2027 (from midnight" in text
    assert "pause from Friday, May 7, 2027 at 5:00 PM MDT until Monday, May 10, 2027 at 8:00 AM MDT" in text
    assert "April 16" not in text and "April 19, 2027 at" not in text


def test_a_date_changed_notice_tells_a_legacy_account_holder_to_upgrade_before_the_new_date(utah_in_april):
    account = told_filer(utah_in_april, "legacy")
    golive_schedule(utah_in_april.golives.get(), dt.date(2027, 5, 10), now=NOW)
    text = date_changed_text(utah_in_april, account)
    assert "legacy account (created before August 11, 2014). Upgrade it before Monday, May 10, 2027" in text
    assert f"Questions: the {utah_in_april.help_desk_name}, 801-524-6100." in text


def test_a_postponement_notice_gives_no_date_and_takes_back_the_pause_it_told(utah_in_april):
    from courts.services import golive_postpone

    account = told_filer(utah_in_april, "ready")
    golive_postpone(utah_in_april.golives.get(), now=NOW)
    row = NoticeDelivery.objects.select_related("filer", "court", "golive", "change").get(
        filer=account.filer, kind=NoticeKind.DATE_CHANGED)
    message = MessageBuilder(NOW).build(row, "ready")
    assert "The switch is postponed" in message.body and "New NextGen" not in message.subject
    assert "will pause" not in message.body
    assert " ".join(message.body.split()).count("The filing pause we told you of, from Friday, April 16, 2027 at 5:00 PM MDT "
                                    "until Monday, April 19, 2027 at 8:00 AM MDT, will not happen") == 1


@pytest.fixture
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return mail.outbox


def digest_for(user, locmem):
    GoLiveFactory(court=montana_court(), go_live_date=dt.date(2021, 9, 27), status=GoLiveStatus.LIVE)
    assert digests_send_due(dt.datetime(2026, 11, 23, 14, tzinfo=UTC)) == 1  # Monday 9:00 in New York
    (message,) = locmem
    return message


def test_the_digest_greets_by_name(locmem):
    user = court_admin_user("montana", montana_court(), email="clerk@mtd.example.gov")
    user.first_name, user.last_name = "Maria", "Lopez"
    user.save()
    message = digest_for(user, locmem)
    assert message.body.startswith("Hello Maria Lopez,")
    assert "montana" not in message.body.split("\n")[0]


def test_the_digest_greets_without_a_login_when_no_name_is_known(locmem):
    message = digest_for(court_admin_user("montana", montana_court(), email="clerk@mtd.example.gov"), locmem)
    assert message.body.startswith("Hello,")


def test_the_digest_names_one_period_in_subject_and_body_and_links_the_court_page(locmem, settings):
    message = digest_for(court_admin_user("montana", montana_court(), email="clerk@mtd.example.gov"), locmem)
    period = "November 16 to November 23, 2026 (America/New_York)"
    assert message.subject.endswith(period)
    assert f"Progress of your courts, {period}:" in message.body
    page = settings.SITE_URL + reverse("dashboard:court", args=["mtdc"])
    assert f"court page: {page}" in message.body
    (html, _), = message.alternatives
    assert f'href="{page}"' in html


@pytest.mark.parametrize("kind", ["prepare", "golive", "reminder", "date_changed"])
def test_the_template_preview_uses_a_sample_court_with_a_date(kind):
    subject, text, html = notice_template_render_sample(None, kind, default_source(kind), now=NOW)
    assert "since ," not in text and " on ." not in text and "on :" not in subject
    assert "U.S. District Court for the District of Sample" in text
    assert ", 2027" in text


def test_the_prepare_preview_shows_a_blackout_in_the_sample_courts_zone():
    subject, text, html = notice_template_render_sample(None, "prepare", default_source("prepare"), now=NOW)
    assert "Electronic filing at this court pauses from Friday, March 26, 2027 at 5:00 PM MDT " \
           "until Monday, March 29, 2027 at 8:00 AM MDT." in text


def test_a_courts_preview_without_a_date_uses_the_sample_date():
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=None, status=GoLiveStatus.NOT_SCHEDULED)
    subject, text, html = notice_template_render_sample(court, "golive", default_source("golive"), now=NOW)
    assert "since ," not in text and "(since Monday, February 15, 2027," in text


def test_marking_live_early_sends_no_date_changed_notice_and_the_go_live_notice_says_today(utah_in_april):
    from courts.services import golive_mark_live
    from rollout.notices.dispatch import notices_dispatch

    account = told_filer(utah_in_april, "ready")
    golive = utah_in_april.golives.get()
    golive_mark_live(golive, now=NOW)
    assert not NoticeDelivery.objects.filter(filer=account.filer, kind=NoticeKind.DATE_CHANGED).exists()
    notices_dispatch(NOW)
    row = NoticeDelivery.objects.select_related("filer", "court", "golive", "change").get(
        filer=account.filer, kind=NoticeKind.GOLIVE)
    text = MessageBuilder(NOW).build(row, "ready").body
    assert "is now live on NextGen CM/ECF (since Monday, March 1, 2027," in text


def go_live_message(court, account, now=NOW):
    from rollout.notices.dispatch import notices_dispatch

    notices_dispatch(now)
    row = NoticeDelivery.objects.select_related("filer", "court", "golive", "change").get(
        filer=account.filer, kind=NoticeKind.GOLIVE)
    return MessageBuilder(now).build(row, "ready")


def test_marking_live_early_moves_the_calendar_event_sent_with_the_prepare_notice(utah_in_april):
    from courts.services import golive_mark_live

    account = told_filer(utah_in_april, "ready")
    golive_mark_live(utah_in_april.golives.get(), now=NOW)
    message = go_live_message(utah_in_april, account)
    (name, calendar, _), = message.attachments
    assert name == "go-live.ics" and "DTSTART;VALUE=DATE:20270301" in str(calendar)
    assert "moves the go-live day in your calendar to Monday, March 1, 2027" in " ".join(message.body.split())


def test_a_court_live_on_its_announced_day_sends_no_calendar_again(utah_in_april):
    from courts.services import golives_mark_live_due

    account = told_filer(utah_in_april, "ready")
    on_the_day = dt.datetime(2027, 4, 19, 18, tzinfo=UTC)
    golives_mark_live_due(on_the_day)
    message = go_live_message(utah_in_april, account, on_the_day)
    assert message.attachments == [] and "go-live.ics" not in message.body


def send_pending(now=NOW) -> list:
    """Send every pending row as a sender would; returns the messages the server took."""
    from rollout.notices.sending import deliveries_send, new_claim_token

    ids = list(NoticeDelivery.objects.filter(state=DeliveryState.PENDING).order_by("id").values_list("id", flat=True))
    deliveries_send(ids, claimed_by=new_claim_token(), now=now)
    sent = list(mail.outbox)
    mail.outbox.clear()
    return sent


def test_a_date_moved_twice_before_the_first_notice_went_tells_only_the_date_that_holds(utah_in_april, locmem):
    told_filer(utah_in_april, "ready")
    golive = utah_in_april.golives.get()
    golive_schedule(golive, dt.date(2027, 5, 10), now=NOW)
    golive_schedule(golive, dt.date(2027, 6, 7), now=NOW)
    (message,) = send_pending()
    assert "June 7, 2027" in message.subject and "May 10" not in message.body
    # The date the filer last received, not the replaced May 10 they never did.
    assert "would move to NextGen CM/ECF on Monday, April 19, 2027. That date has changed." in message.body
    first = NoticeDelivery.objects.get(kind=NoticeKind.DATE_CHANGED, change__new_date=dt.date(2027, 5, 10))
    assert first.state == DeliveryState.SKIPPED and "later change" in first.skip_reason


def test_marked_live_early_then_postponed_before_anything_went_names_the_date_and_pause_the_filer_was_told(
        utah_in_april, locmem):
    """The change in between was announced by a go-live notice, set aside when "live" was withdrawn:
    the postponement names the prepare notice's date, not the day the court was briefly live, and
    takes back the pause the prepare notice announced."""
    from courts.services import golive_mark_live, golive_postpone

    told_filer(utah_in_april, "ready")
    golive = utah_in_april.golives.get()
    golive_mark_live(golive, now=NOW)
    golive_postpone(utah_in_april.golives.get(), now=NOW)
    (message,) = [m for m in send_pending() if "postponed" in m.subject]
    body = " ".join(message.body.split())
    assert "would move to NextGen CM/ECF on Monday, April 19, 2027. That date has changed." in body
    assert ("The filing pause we told you of, from Friday, April 16, 2027 at 5:00 PM MDT until Monday, April 19, "
            "2027 at 8:00 AM MDT, will not happen") in body


def test_a_notice_marked_sent_by_another_path_told_the_last_change_before_its_send_time(utah_in_april, locmem):
    """Rows marked sent without the sender's record (seeded history, as the demo data has) are
    judged by their send time: this prepare notice went after the date was moved to May 10."""
    from courts.services import golive_postpone

    golive_schedule(utah_in_april.golives.get(), dt.date(2027, 5, 10), now=NOW - dt.timedelta(days=1))
    NoticeDelivery.objects.all().delete()  # that move's own notice: nobody was told anything yet
    told_filer(utah_in_april, "ready")
    golive_postpone(utah_in_april.golives.get(), now=NOW + dt.timedelta(hours=1))
    (message,) = send_pending(NOW + dt.timedelta(hours=1))
    assert "would move to NextGen CM/ECF on Monday, May 10, 2027. That date has changed." in message.body


def test_a_date_moved_and_moved_back_before_any_notice_went_sends_nothing(utah_in_april, locmem):
    told_filer(utah_in_april, "ready")
    golive = utah_in_april.golives.get()
    golive_schedule(golive, dt.date(2027, 5, 10), now=NOW)
    golive_schedule(golive, dt.date(2027, 4, 19), now=NOW)
    assert send_pending() == []
    assert set(NoticeDelivery.objects.filter(kind=NoticeKind.DATE_CHANGED).values_list("state", flat=True)) == {
        DeliveryState.SKIPPED}


def test_a_postponement_not_yet_sent_when_a_date_is_set_again_is_not_sent(utah_in_april, locmem):
    from courts.services import golive_postpone

    told_filer(utah_in_april, "ready")
    golive = utah_in_april.golives.get()
    golive_postpone(golive, now=NOW)
    golive_schedule(golive, dt.date(2027, 5, 10), now=NOW)
    subjects = [m.subject for m in send_pending()]
    assert subjects == ["New NextGen CM/ECF date at the District of Utah: Monday, May 10, 2027"]


def test_a_postponed_go_live_set_again_on_the_same_date_is_announced(utah_in_april, locmem):
    from courts.services import golive_postpone

    told_filer(utah_in_april, "ready")
    golive = utah_in_april.golives.get()
    golive_postpone(golive, now=NOW)
    assert "postponed" in send_pending()[0].subject
    golive_schedule(golive, dt.date(2027, 4, 19), now=NOW)
    (message,) = send_pending()
    assert "had no date for now. A date is now set." in message.body
    assert "The new go-live date is Monday, April 19, 2027" in message.body


def test_a_date_set_after_a_cancelled_one_is_announced_without_an_empty_old_date(utah_in_april, locmem):
    from courts.services import golive_unschedule

    told_filer(utah_in_april, "ready")
    golive = utah_in_april.golives.get()
    golive_unschedule(golive, now=NOW)
    send_pending()
    golive_schedule(golive, dt.date(2027, 5, 10), now=NOW)
    (message,) = send_pending()
    assert " on . " not in message.body and "had no date for now" in message.body


@pytest.mark.parametrize("kind", ["prepare", "golive", "reminder", "date_changed"])
def test_every_notice_says_its_date_is_in_the_courts_time_zone(kind):
    court = utah_court()
    GoLiveFactory(court=court, go_live_date=dt.date(2027, 2, 15), status=GoLiveStatus.LIVE)
    subject, text, html = notice_template_render_sample(court, kind, default_source(kind), now=NOW)
    assert "in the court's time zone, America/Denver" in text
    assert "in the court&#x27;s time zone, America/Denver" in html or "in the court's time zone, America/Denver" in html


def test_a_court_marked_live_by_mistake_and_set_back_sends_the_go_live_notice_again_on_the_real_day(
        utah_in_april, locmem):
    from courts.services import golive_mark_live, golive_set, golives_mark_live_due
    from rollout.notices.dispatch import notices_dispatch

    told_filer(utah_in_april, "ready")
    golive = utah_in_april.golives.get()
    golive_mark_live(golive, now=NOW)  # by mistake
    notices_dispatch(NOW)
    assert ["is now live" in m.body for m in send_pending()] == [True]
    golive.refresh_from_db()
    golive_set(golive, dt.date(2027, 4, 19), GoLiveStatus.SCHEDULED, now=NOW)  # set back
    assert ["The new go-live date is Monday, April 19, 2027" in m.body for m in send_pending()] == [True]
    real_day = dt.datetime(2027, 4, 19, 18, tzinfo=UTC)
    golives_mark_live_due(real_day)
    notices_dispatch(real_day)
    assert ["is now live" in m.body for m in send_pending(real_day)] == [True]


def test_a_date_moved_to_today_is_not_announced_as_still_to_come_once_the_court_is_live(utah_in_april, locmem):
    """Moved on the evening of March 1 to March 2; its notice still waiting at 00:30 on March 2,
    Utah time, would tell filers to keep filing the old way "until the court is live". The go-live
    notice tells them instead."""
    told_filer(utah_in_april, "ready")
    # The pause, moved with the date, would have begun on February 27: staff clear it with the move.
    golive_set(utah_in_april.golives.get(), dt.date(2027, 3, 2), GoLiveStatus.SCHEDULED, blackout=(None, None), now=NOW)
    after_midnight = utah_in_april.local_midnight(dt.date(2027, 3, 2)) + dt.timedelta(minutes=30)
    assert send_pending(after_midnight) == []
    assert NoticeDelivery.objects.get(kind=NoticeKind.DATE_CHANGED).skip_reason.startswith("The court is live now")
