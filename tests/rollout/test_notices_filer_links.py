"""Every notice links the filer's own status page and the court's public page; prepare and
date-changed notices carry the go-live day as an .ics (same UID and SEQUENCE as the public feed)."""
import datetime as dt
import re

import pytest
from icalendar import Calendar

from courts.models import GoLive, GoLiveStatus
from courts.services import golive_reschedule
from rollout.notices.dispatch import notices_dispatch
from rollout.notices.models import NoticeDelivery
from tests.factories import GoLiveFactory, filer_at, montana_court
from tests.rollout.test_notices_content import go_live_message, parts, send_pending

pytestmark = pytest.mark.django_db


def attached_calendar(message):
    (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert part.get_filename() == "go-live.ics"
    return Calendar.from_ical(part.get_content())


def prepared(smtp_sink):
    court = montana_court()
    day = court.local_today() + dt.timedelta(days=20)
    GoLiveFactory(court=court, go_live_date=day, status=GoLiveStatus.SCHEDULED)
    account = filer_at(court)
    notices_dispatch()
    send_pending()
    (received,) = smtp_sink.to(account.filer.email)
    return account, day, received


def test_a_notice_links_the_filers_status_page_and_the_courts_public_page(smtp_sink, client):
    message, text, html = go_live_message(smtp_sink)
    (link,) = set(re.findall(r"https?://\S+/me/[^\s\"<]+/", text))
    assert link in html
    assert "/status/mtdc/" in text and "/status/mtdc/" in html
    page = client.get(link.split("127.0.0.1:8000", 1)[-1], follow=True)
    assert page.status_code == 200 and "District of Montana" in page.content.decode()


def test_the_go_live_notice_carries_no_calendar(smtp_sink):
    message, _, _ = go_live_message(smtp_sink)
    assert not [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]


def test_the_prepare_notice_attaches_the_go_live_day_as_in_the_public_feed(smtp_sink, client):
    account, day, received = prepared(smtp_sink)
    message, text, html = parts(received)
    (event,) = attached_calendar(message).walk("VEVENT")
    assert event.decoded("DTSTART") == day and str(event["STATUS"]) == "CONFIRMED"
    feed = Calendar.from_ical(client.get("/status/nextgen.ics").content)
    (public,) = feed.walk("VEVENT")
    assert (str(public["UID"]), int(public["SEQUENCE"])) == (str(event["UID"]), int(event["SEQUENCE"]))


def test_the_date_changed_notice_attaches_the_new_day_with_a_higher_sequence(smtp_sink):
    account, day, received = prepared(smtp_sink)
    (first,) = attached_calendar(received.message).walk("VEVENT")
    golive = GoLive.objects.get(court=account.court)
    golive_reschedule(golive, day + dt.timedelta(days=7))
    assert NoticeDelivery.objects.filter(kind="date_changed").count() == 1
    send_pending()
    changed = [m for m in smtp_sink.to(account.filer.email) if m is not received]
    (event,) = attached_calendar(changed[-1].message).walk("VEVENT")
    assert event.decoded("DTSTART") == day + dt.timedelta(days=7)
    assert str(event["UID"]) == str(first["UID"]) and int(event["SEQUENCE"]) == int(first["SEQUENCE"]) + 1


def test_the_notice_that_a_date_no_longer_holds_cancels_the_event_the_filer_was_sent(smtp_sink):
    """Unscheduled after the prepare notice: the go-live has no date, so the public feed drops it;
    the filer's calendar still holds the day, and the notice that says so must cancel it."""
    from courts.services import golive_unschedule

    account, day, received = prepared(smtp_sink)
    (first,) = attached_calendar(received.message).walk("VEVENT")
    golive_unschedule(GoLive.objects.get(court=account.court))
    send_pending()
    changed = [m for m in smtp_sink.to(account.filer.email) if m is not received]
    message, text, html = parts(changed[-1])
    (event,) = attached_calendar(message).walk("VEVENT")
    assert str(event["UID"]) == str(first["UID"]) and int(event["SEQUENCE"]) > int(first["SEQUENCE"])
    assert str(event["STATUS"]) == "CANCELLED" and event.decoded("DTSTART") == day
    assert "marks" in text and "as cancelled in your calendar" in text
