"""The weekly digest lists each court's unresolved help requests and the age of the oldest."""
import datetime as dt

import pytest

from accounts.models import HelpReason, HelpStatus
from accounts.self_service import help_request_create, help_request_update
from rollout.notices.digest import digests_send_due
from tests.factories import GoLiveFactory, filer_at, montana_administrator, montana_court

pytestmark = pytest.mark.django_db
MONDAY_9AM_NY = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.timezone.utc)


def test_the_weekly_digest_includes_open_help_requests_and_the_oldest(smtp_sink):
    montana_administrator()
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=dt.date(2021, 9, 27))
    a, b = filer_at(court, name="Filer A"), filer_at(court, name="Filer B")
    help_request_create(a.filer, a.pk, HelpReason.NAMES, now=MONDAY_9AM_NY - dt.timedelta(days=9))
    help_request_create(b.filer, b.pk, HelpReason.FORGOT_LOGIN, now=MONDAY_9AM_NY - dt.timedelta(days=2))
    done = help_request_create(b.filer, b.pk, HelpReason.OTHER, "x", now=MONDAY_9AM_NY - dt.timedelta(days=30))
    help_request_update(done, by=None, status=HelpStatus.RESOLVED)
    assert digests_send_due(MONDAY_9AM_NY) == 1
    (received,) = smtp_sink.messages
    text = received.message.get_body(("plain",)).get_content()
    html = received.message.get_body(("html",)).get_content()
    assert "help requests open: 2 (oldest 9 days)" in text
    assert "2 (oldest 9 d)" in html
