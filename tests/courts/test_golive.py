import datetime as dt

import pytest

from courts.models import GoLiveChange, GoLiveStatus
from courts.services import golive_mark_live, golive_postpone, golive_schedule, golive_set, golives_mark_live_due
from courts.signals import golive_date_changed
from tests.factories import GoLiveFactory, UserFactory, guam_court, montana_court

UTC = dt.timezone.utc
BEFORE_2021 = dt.datetime(2021, 1, 4, 18, tzinfo=UTC)


@pytest.mark.django_db
def test_guam_is_live_from_its_own_midnight_not_utc_midnight():
    golive = GoLiveFactory(court=guam_court(), go_live_date=dt.date(2026, 3, 1), status=GoLiveStatus.SCHEDULED)
    # Midnight of 1 March in Guam (UTC+10) is 14:00 UTC on 28 February.
    assert golive.live_at == dt.datetime(2026, 2, 28, 14, 0, tzinfo=UTC)
    assert not golive.is_live(dt.datetime(2026, 2, 28, 13, 59, 59, tzinfo=UTC))
    assert golive.is_live(dt.datetime(2026, 2, 28, 14, 0, tzinfo=UTC))


@pytest.mark.django_db
def test_guam_is_live_while_a_utc_court_on_the_same_date_is_not():
    from tests.factories import CourtFactory

    utc_court = CourtFactory(court_id="UTC1DC", time_zone="UTC")
    guam = GoLiveFactory(court=guam_court(), go_live_date=dt.date(2026, 3, 1))
    utc = GoLiveFactory(court=utc_court, go_live_date=dt.date(2026, 3, 1))
    moment = dt.datetime(2026, 2, 28, 20, 0, tzinfo=UTC)
    assert guam.is_live(moment) and not utc.is_live(moment)


@pytest.mark.django_db
def test_rescheduling_keeps_old_date_new_date_who_and_when():
    user = UserFactory(username="coordinator")
    golive = GoLiveFactory(court=montana_court(), go_live_date=None, status=GoLiveStatus.NOT_SCHEDULED)
    golive_schedule(golive, dt.date(2021, 9, 13), by=user, now=BEFORE_2021)
    golive_schedule(golive, dt.date(2021, 9, 27), by=user, reason="vendor delay", now=BEFORE_2021)
    last = golive.changes.first()
    assert (last.old_date, last.new_date, last.changed_by, last.reason) == (
        dt.date(2021, 9, 13), dt.date(2021, 9, 27), user, "vendor delay")
    assert last.changed_at is not None
    assert golive.changes.count() == 2


@pytest.mark.django_db
def test_same_date_again_records_nothing():
    golive = GoLiveFactory(court=montana_court(), go_live_date=dt.date(2021, 9, 27))
    assert golive_schedule(golive, dt.date(2021, 9, 27), now=BEFORE_2021) is None
    assert GoLiveChange.objects.count() == 0


@pytest.mark.django_db
def test_date_change_is_announced_for_filers_told_the_old_date():
    received = []

    def listener(sender, golive, change, **kwargs):
        received.append((change.old_date, change.new_date))

    golive_date_changed.connect(listener)
    try:
        golive = GoLiveFactory(court=montana_court(), go_live_date=dt.date(2021, 9, 13))
        golive_schedule(golive, dt.date(2021, 9, 27), now=BEFORE_2021)
    finally:
        golive_date_changed.disconnect(listener)
    assert received == [(dt.date(2021, 9, 13), dt.date(2021, 9, 27))]
    assert golive.status == GoLiveStatus.SCHEDULED


@pytest.mark.django_db
def test_postponed_court_is_not_live_even_after_its_old_date():
    golive = GoLiveFactory(court=montana_court(), go_live_date=dt.date(2021, 9, 27))
    golive_postpone(golive, now=BEFORE_2021)
    assert not golive.is_live(dt.datetime(2022, 1, 1, tzinfo=UTC))


@pytest.mark.django_db
def test_moving_the_date_moves_the_live_instant():
    golive = GoLiveFactory(court=guam_court(), go_live_date=dt.date(2026, 3, 1))
    golive_schedule(golive, dt.date(2026, 4, 1), now=BEFORE_2021)
    golive.refresh_from_db()
    assert golive.live_at == dt.datetime(2026, 3, 31, 14, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_scheduled_courts_become_live_when_their_local_day_starts():
    golive = GoLiveFactory(court=guam_court(), go_live_date=dt.date(2026, 3, 1))
    assert golives_mark_live_due(dt.datetime(2026, 2, 28, 13, 0, tzinfo=UTC)) == 0
    assert golives_mark_live_due(dt.datetime(2026, 2, 28, 14, 5, tzinfo=UTC)) == 1
    golive.refresh_from_db()
    assert golive.status == GoLiveStatus.LIVE
    assert golive.changes.first().source == "schedule"
    assert golives_mark_live_due(dt.datetime(2026, 2, 28, 14, 10, tzinfo=UTC)) == 0


@pytest.mark.django_db
def test_mark_live_without_a_date_uses_today_in_the_courts_zone():
    golive = GoLiveFactory(court=guam_court(), go_live_date=None, status=GoLiveStatus.NOT_SCHEDULED)
    golive_mark_live(golive, now=dt.datetime(2026, 2, 28, 20, 0, tzinfo=UTC))
    assert golive.go_live_date == dt.date(2026, 3, 1)  # already 1 March in Guam
    assert golive.status == GoLiveStatus.LIVE


@pytest.mark.django_db
def test_scheduled_go_live_needs_a_date():
    from django.core.exceptions import ValidationError

    golive = GoLiveFactory(court=montana_court(), go_live_date=None, status=GoLiveStatus.NOT_SCHEDULED)
    golive.status = GoLiveStatus.SCHEDULED
    with pytest.raises(ValidationError):
        golive.full_clean()


@pytest.mark.django_db
def test_blackout_must_end_after_it_starts():
    from django.core.exceptions import ValidationError

    golive = GoLiveFactory(court=montana_court())
    golive.blackout_start = dt.datetime(2021, 9, 24, 17, tzinfo=UTC)
    golive.blackout_end = dt.datetime(2021, 9, 24, 9, tzinfo=UTC)
    with pytest.raises(ValidationError, match="end after it starts"):
        golive.full_clean()


@pytest.mark.django_db
def test_marking_live_a_week_early_clears_the_announced_blackout_not_only_a_moved_one():
    """Announced: filing pauses Fri May 7 17:00 – Mon May 10 08:00 MDT. Marked live at noon on Mon
    May 3: moved with the date, that window would end that morning, already past — but it never
    happened and was never announced, so it must be cleared, not recorded."""
    mdt = dt.timezone(dt.timedelta(hours=-6))
    golive = GoLiveFactory(court=montana_court(), go_live_date=dt.date(2027, 5, 10), status=GoLiveStatus.SCHEDULED,
                           blackout_start=dt.datetime(2027, 5, 7, 17, tzinfo=mdt),
                           blackout_end=dt.datetime(2027, 5, 10, 8, tzinfo=mdt))
    golive_mark_live(golive, now=dt.datetime(2027, 5, 3, 12, tzinfo=mdt))
    golive.refresh_from_db()
    assert (golive.go_live_date, golive.blackout_start, golive.blackout_end) == (dt.date(2027, 5, 3), None, None)


@pytest.mark.django_db
@pytest.mark.parametrize("days_ahead", [0, 1])
def test_a_date_moved_so_near_that_its_pause_would_have_begun_is_refused_naming_the_pause(days_ahead):
    """Announced: filing pauses Fri Apr 23 17:00 – Mon Apr 26 08:00 MDT. Moved on Thu Apr 1 to that
    day or the next, the pause moved with it would have begun on Mar 29 or 30: staff give the pause."""
    from django.core.exceptions import ValidationError

    mdt = dt.timezone(dt.timedelta(hours=-6))
    now = dt.datetime(2027, 4, 1, 12, tzinfo=mdt)
    golive = GoLiveFactory(court=montana_court(), go_live_date=dt.date(2027, 4, 26), status=GoLiveStatus.SCHEDULED,
                           blackout_start=dt.datetime(2027, 4, 23, 17, tzinfo=mdt),
                           blackout_end=dt.datetime(2027, 4, 26, 8, tzinfo=mdt))
    with pytest.raises(ValidationError) as refused:
        golive_schedule(golive, dt.date(2027, 4, 1) + dt.timedelta(days=days_ahead), now=now)
    assert list(refused.value.message_dict) == ["blackout_start"]
    assert "has passed" in refused.value.message_dict["blackout_start"][0]
    golive.refresh_from_db()
    assert golive.go_live_date == dt.date(2027, 4, 26) and not GoLiveChange.objects.filter(golive=golive).exists()
    pause = (dt.datetime(2027, 4, 1, 17, tzinfo=mdt), dt.datetime(2027, 4, 2, 8, tzinfo=mdt))
    golive_set(golive, dt.date(2027, 4, 2), GoLiveStatus.SCHEDULED, blackout=pause, now=now)  # pause given: it goes
    golive.refresh_from_db()
    assert (golive.go_live_date, golive.blackout_start) == (dt.date(2027, 4, 2), pause[0])
