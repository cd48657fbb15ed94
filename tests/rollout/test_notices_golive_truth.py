"""What notices say after staff change a go-live: the moved blackout, the readiness-fit step and the
court's own help desk in the date-changed notice; the digest's greeting, period and links; the preview."""
import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from courts.models import GoLiveStatus
from courts.services import golive_schedule
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
    assert "The new go-live date is Monday, May 10, 2027." in text
    assert "pause from Friday, May 7, 2027 at 5:00 PM MDT until Monday, May 10, 2027 at 8:00 AM MDT" in text
    assert "April 16" not in text and "April 19, 2027 at" not in text


def test_a_date_changed_notice_tells_a_legacy_account_holder_to_upgrade_before_the_new_date(utah_in_april):
    account = told_filer(utah_in_april, "legacy")
    golive_schedule(utah_in_april.golives.get(), dt.date(2027, 5, 10), now=NOW)
    text = date_changed_text(utah_in_april, account)
    assert "legacy account (created before August 11, 2014). Upgrade it before Monday, May 10, 2027" in text
    assert f"Questions: the {utah_in_april.help_desk_name}, 801-524-6100." in text


def test_a_postponement_notice_gives_no_blackout_and_no_date(utah_in_april):
    from courts.services import golive_postpone

    account = told_filer(utah_in_april, "ready")
    golive_postpone(utah_in_april.golives.get(), now=NOW)
    row = NoticeDelivery.objects.select_related("filer", "court", "golive", "change").get(
        filer=account.filer, kind=NoticeKind.DATE_CHANGED)
    message = MessageBuilder(NOW).build(row, "ready")
    assert "The switch is postponed" in message.body
    assert "pause" not in message.body and "New NextGen" not in message.subject


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
    period = "November 16 to November 23, 2026"
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
    assert "since ," not in text and "(since Monday, February 15, 2027)" in text


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
    assert "is now live on NextGen CM/ECF (since Monday, March 1, 2027)" in text
