"""Every email the tracker sends: the plain-text part shows names exactly as typed (no HTML escapes),
the HTML part escapes them. Names with ' & < > in the filer's and the court's name, in every email."""
import datetime as dt

import pytest
from django.core import mail
from django.utils.html import escape

from courts.models import GoLiveChange, GoLiveStatus
from rollout.filers.emails import send_email_changed, send_email_confirm, send_status_link
from rollout.notices.digest import digests_send_due
from rollout.notices.models import NoticeDelivery
from rollout.notices.messages import MessageBuilder
from tests.factories import GoLiveFactory, court_admin_user, filer_at, montana_court

pytestmark = pytest.mark.django_db

FILER = "Seán O'Brien & Sons <Law>"
COURT = "Court of Law & Equity's <Sample>"
ESCAPES = ("&amp;", "&#x27;", "&#39;", "&lt;", "&gt;", "&quot;")
UTC = dt.timezone.utc


@pytest.fixture
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return mail.outbox


@pytest.fixture
def court():
    court = montana_court()
    court.name = COURT
    court.save()
    return court


def assert_plain(text: str, *names: str) -> None:
    for name in names:
        assert name in text
    assert not [e for e in ESCAPES if e in text], text


def assert_escaped(html: str, *names: str) -> None:
    for name in names:
        assert escape(name) in html and name not in html


def notice(kind: str, court, *, live: bool, change: bool = False):
    now = dt.datetime(2027, 5, 20, 18, tzinfo=UTC)
    day = dt.date(2027, 5, 17) if live else dt.date(2027, 6, 14)
    golive = GoLiveFactory(court=court, go_live_date=day, status=GoLiveStatus.LIVE if live else GoLiveStatus.SCHEDULED)
    account = filer_at(court, name=FILER, state="legacy")
    moved = GoLiveChange.objects.create(golive=golive, old_date=day - dt.timedelta(days=21), new_date=day,
                                        old_status=GoLiveStatus.SCHEDULED, new_status=GoLiveStatus.SCHEDULED) \
        if change else None
    row = NoticeDelivery.objects.create(filer=account.filer, court=court, golive=golive, kind=kind, notice=kind,
                                        change=moved)
    row = NoticeDelivery.objects.select_related("filer", "court", "golive", "change").get(id=row.id)
    return MessageBuilder(now).build(row, "legacy")


@pytest.mark.parametrize("kind, live, change", [
    ("prepare", False, False), ("golive", True, False), ("reminder", True, False), ("date_changed", False, True)])
def test_each_notice_kind_is_plain_in_text_and_escaped_in_html(court, kind, live, change):
    message = notice(kind, court, live=live, change=change)
    (html, _), = message.alternatives
    assert_plain(message.body, FILER, COURT)
    assert_plain(message.subject, COURT)
    assert_escaped(html, FILER, COURT)


def test_the_digest_is_plain_in_text_and_escaped_in_html(court, locmem):
    user = court_admin_user("digest-reader", court, email="digest.reader@mtd.example.gov")
    user.first_name, user.last_name = "Seán", "O'Brien & <Sons>"
    user.save()
    GoLiveFactory(court=court, go_live_date=dt.date(2021, 9, 27), status=GoLiveStatus.LIVE)
    assert digests_send_due(dt.datetime(2026, 11, 23, 14, tzinfo=UTC)) == 1
    (message,) = locmem
    (html, _), = message.alternatives
    assert_plain(message.body, "Seán O'Brien & <Sons>", COURT)
    assert_escaped(html, "O'Brien & <Sons>", COURT)


@pytest.mark.parametrize("send", ["status_link", "email_confirm", "email_changed"])
def test_the_filers_own_emails_are_plain_text(court, locmem, send):
    filer = filer_at(court, name=FILER).filer
    {"status_link": lambda: send_status_link(filer),
     "email_confirm": lambda: send_email_confirm(filer, "new.address@example.com"),
     "email_changed": lambda: send_email_changed(filer, "old.address@example.com")}[send]()
    (message,) = locmem
    assert not getattr(message, "alternatives", None)  # one part, plain text
    assert_plain(message.body, FILER)
