"""The weekly digest goes once per administrator and week: a failed send is tried again within the
week, flagged as a possible duplicate only when the server may have taken it."""
from __future__ import annotations

import datetime as dt

import pytest

from rollout.notices.digest import DIGEST_TAKE_BACK_SECONDS, digests_send_due
from rollout.notices.models import AdminDigest, DeliveryState
from tests.conftest import free_loopback_port
from tests.factories import GoLiveFactory, montana_administrator, montana_court, utah_administrator

pytestmark = pytest.mark.django_db
MONDAY_9AM_NY = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def administrator():
    GoLiveFactory(court=montana_court(), go_live_date=dt.date(2026, 12, 1))
    return montana_administrator()


def test_a_digest_cut_off_after_it_was_offered_is_retried_flagged(administrator, smtp_sink, settings):
    """No reply to DATA within the timeout: the server may have taken it, so the retry is flagged."""
    settings.EMAIL_TIMEOUT = 0.3
    smtp_sink.delay = 0.6
    digests_send_due(MONDAY_9AM_NY)
    row = AdminDigest.objects.get(user=administrator)
    assert (row.state, row.possible_duplicate) == (DeliveryState.PENDING, True)


def test_a_digest_the_server_could_not_be_reached_for_is_retried_unflagged(administrator, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_loopback_port(), 1
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    digests_send_due(MONDAY_9AM_NY)
    row = AdminDigest.objects.get(user=administrator)
    assert (row.state, row.possible_duplicate) == (DeliveryState.PENDING, False)


def test_a_run_that_cannot_reach_the_server_stops_and_leaves_the_others_untried(administrator, settings):
    """Each further administrator would wait out the same connection timeout (a worker held for the
    whole run, every hour of an outage): they stay pending, untried, for the next hourly run."""
    other = utah_administrator()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_loopback_port(), 1
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    digests_send_due(MONDAY_9AM_NY)
    rows = {row.user_id: row for row in AdminDigest.objects.all()}
    assert rows[administrator.pk].last_error and not rows[other.pk].last_error
    assert {row.state for row in rows.values()} == {DeliveryState.PENDING}


def test_a_digest_the_server_refused_is_retried_unflagged(administrator, smtp_sink):
    smtp_sink.fail_4xx = 1
    digests_send_due(MONDAY_9AM_NY)
    row = AdminDigest.objects.get(user=administrator)
    assert (row.state, row.possible_duplicate) == (DeliveryState.PENDING, False)


def test_a_digest_still_being_sent_by_a_slow_server_is_not_taken_back(administrator, smtp_sink):
    """Another hourly run a minute later must leave a live sender's row alone (taking it back would
    send the digest twice); only past the task's time limit is its sender surely gone."""
    digests_send_due(MONDAY_9AM_NY)
    AdminDigest.objects.filter(user=administrator).update(state=DeliveryState.SENDING, claimed_at=MONDAY_9AM_NY)
    digests_send_due(MONDAY_9AM_NY + dt.timedelta(seconds=60))
    assert AdminDigest.objects.get(user=administrator).state == DeliveryState.SENDING
    digests_send_due(MONDAY_9AM_NY + dt.timedelta(seconds=DIGEST_TAKE_BACK_SECONDS + 1))
    row = AdminDigest.objects.get(user=administrator)
    assert (row.state, row.possible_duplicate) == (DeliveryState.SENT, True)


def test_a_digest_the_server_refused_for_good_fails_instead_of_being_offered_every_hour(administrator, smtp_sink):
    """A 550 for the address would be answered again at each hourly run of the week: the row ends
    failed with the server's reply, as a notice refused so does."""
    smtp_sink.refuse_5xx = {"clerk@mtd.example.gov"}
    digests_send_due(MONDAY_9AM_NY)
    row = AdminDigest.objects.get(user=administrator)
    assert (row.state, row.possible_duplicate) == (DeliveryState.FAILED, False)
    assert "550" in row.last_error


def digest_left_sending_last_week(user) -> AdminDigest:
    """Last week's row, claimed late on Sunday by a sender that died before its "sent" mark: no hourly
    run of that week came after it to take it back."""
    return AdminDigest.objects.create(user=user, week=dt.date(2026, 11, 16), state=DeliveryState.SENDING,
                                      claimed_at=MONDAY_9AM_NY - dt.timedelta(hours=10))


def test_a_digest_left_sending_in_a_week_now_over_fails_saying_why(administrator, smtp_sink):
    """Sent late, it would report the seven days up to now, as this week's digest does: a second copy
    of this week's, not last week's. It ends failed, flagged, with the reason for staff to read."""
    row = digest_left_sending_last_week(administrator)
    digests_send_due(MONDAY_9AM_NY)
    row.refresh_from_db()
    assert (row.state, row.possible_duplicate) == (DeliveryState.FAILED, True)
    assert "week was over" in row.last_error


def test_a_digest_left_sending_last_week_does_not_stop_this_weeks(administrator, smtp_sink):
    digest_left_sending_last_week(administrator)
    digests_send_due(MONDAY_9AM_NY)
    assert AdminDigest.objects.get(user=administrator, week=dt.date(2026, 11, 23)).state == DeliveryState.SENT


def digest_left_pending_last_week(user, **fields) -> AdminDigest:
    """Last week's row, tried at every hourly run of that week while the relay was down."""
    return AdminDigest.objects.create(user=user, week=dt.date(2026, 11, 16), state=DeliveryState.PENDING,
                                      last_error="ConnectionRefusedError: [Errno 111] Connection refused", **fields)


def test_a_digest_still_pending_when_its_week_is_over_fails_saying_why(administrator, smtp_sink):
    """Nothing claims an earlier week's row again: left pending, it would read as still on its way for good."""
    row = digest_left_pending_last_week(administrator)
    digests_send_due(MONDAY_9AM_NY)
    row.refresh_from_db()
    assert (row.state, row.possible_duplicate) == (DeliveryState.FAILED, False)
    assert "week was over before it could be sent" in row.last_error
    assert "Connection refused" in row.last_error  # why its tries failed stays readable


def test_a_digest_offered_before_its_week_ended_stays_flagged_when_it_fails(administrator, smtp_sink):
    row = digest_left_pending_last_week(administrator, possible_duplicate=True)
    digests_send_due(MONDAY_9AM_NY)
    row.refresh_from_db()
    assert (row.state, row.possible_duplicate) == (DeliveryState.FAILED, True)
