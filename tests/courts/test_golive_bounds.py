"""A go-live date or blackout too far off to store or compute with is refused, naming the field."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from courts.models import GoLive, GoLiveChange, GoLiveStatus
from courts.services import golive_latest_date, golive_schedule, golive_set, golive_set_blackout
from tests.factories import GoLiveFactory, guam_court, montana_administrator, montana_court

pytestmark = pytest.mark.django_db

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 12, 7, 18, tzinfo=UTC)
FAR = dt.date(9999, 12, 31)


def scheduled(court=None, day=dt.date(2027, 3, 1)) -> GoLive:
    return GoLiveFactory(court=court or montana_court(), go_live_date=day, status=GoLiveStatus.SCHEDULED)


def far_blackout(tz):
    """The blackout of the report: 9999-12-31 from 12:00 to 23:30 in the court's zone (its end is year 10000 in UTC)."""
    return dt.datetime(9999, 12, 31, 12, tzinfo=tz), dt.datetime(9999, 12, 31, 23, 30, tzinfo=tz)


def test_scheduling_a_date_more_than_ten_years_ahead_is_refused_naming_the_date():
    golive = scheduled()
    too_far = golive_latest_date(golive.court, NOW) + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        golive_schedule(golive, too_far, now=NOW)
    assert "at most 10 years after today" in refused.value.message_dict["go_live_date"][0]
    golive.refresh_from_db()
    assert golive.go_live_date == dt.date(2027, 3, 1)
    assert not GoLiveChange.objects.exists()


def test_a_far_future_date_with_its_blackout_is_refused_naming_both_fields_and_nothing_is_stored():
    golive = scheduled()
    with pytest.raises(ValidationError) as refused:
        golive_set(golive, FAR, GoLiveStatus.SCHEDULED, blackout=far_blackout(golive.court.tzinfo), now=NOW)
    assert {"go_live_date", "blackout_end"} <= set(refused.value.message_dict)
    golive.refresh_from_db()  # reads back: nothing out of range was written
    assert (golive.go_live_date, golive.blackout_end) == (dt.date(2027, 3, 1), None)


def test_moving_a_date_with_a_blackout_to_a_far_future_day_is_refused_not_an_overflow():
    golive = scheduled()
    tz = golive.court.tzinfo
    # Ends the day after go-live: moved to 9999-12-31 its end would be a day no date can hold.
    golive_set_blackout(golive, dt.datetime(2027, 3, 1, 8, tzinfo=tz), dt.datetime(2027, 3, 2, 8, tzinfo=tz), now=NOW)
    with pytest.raises(ValidationError) as refused:
        golive_schedule(golive, FAR, now=NOW)
    assert "go_live_date" in refused.value.message_dict
    golive.refresh_from_db()
    assert golive.go_live_date == dt.date(2027, 3, 1)


def test_a_blackout_past_the_representable_range_is_refused_naming_it_not_an_overflow():
    # In Guam (UTC+10) this end would be year 10000: the check must not read it there.
    golive = scheduled(guam_court())
    with pytest.raises(ValidationError) as refused:
        golive_set_blackout(golive, dt.datetime(9999, 12, 31, 12, tzinfo=UTC),
                            dt.datetime(9999, 12, 31, 23, tzinfo=UTC), now=NOW)
    assert "out of range" in refused.value.message_dict["blackout_end"][0]
    golive.refresh_from_db()
    assert golive.blackout_end is None


def change_form(golive, **values):
    """The go-live's change form as the admin posts it, with `values` changed."""
    data = {"go_live_date": golive.go_live_date.isoformat(), "status": golive.status,
            "blackout_start_0": "", "blackout_start_1": "", "blackout_end_0": "", "blackout_end_1": "",
            "emergency_filing_instructions": "", "prepare_days_before": "30", "reminder_days_after": "[7, 14, 30]",
            "changes-TOTAL_FORMS": "0", "changes-INITIAL_FORMS": "0", "_save": "Save"}
    return {**data, **values}


def test_administrator_saving_a_far_future_date_in_the_change_form_gets_the_error_and_nothing_is_saved(client):
    day = montana_court().local_today() + dt.timedelta(days=60)
    golive = scheduled(day=day)
    client.force_login(montana_administrator())
    response = client.post(reverse("admin:courts_golive_change", args=[golive.pk]),
                           change_form(golive, go_live_date="9999-12-31"))
    assert response.status_code == 200
    assert "at most 10 years after today" in response.context["adminform"].form.errors["go_live_date"][0]
    golive.refresh_from_db()
    assert golive.go_live_date == day


def test_administrator_saving_a_far_future_blackout_in_the_change_form_gets_the_error_and_nothing_is_saved(client):
    day = montana_court().local_today() + dt.timedelta(days=60)
    golive = scheduled(day=day)
    client.force_login(montana_administrator())
    response = client.post(reverse("admin:courts_golive_change", args=[golive.pk]), change_form(
        golive, go_live_date="9999-12-31", blackout_start_0="9999-12-31", blackout_start_1="12:00:00",
        blackout_end_0="9999-12-31", blackout_end_1="23:30:00"))
    assert response.status_code == 200
    assert "out of range" in response.context["adminform"].form.errors["blackout_end"][0]
    golive.refresh_from_db()
    assert (golive.go_live_date, golive.blackout_start, golive.blackout_end) == (day, None, None)


def test_a_live_date_corrected_to_the_year_one_is_refused_naming_the_date():
    from courts.services import golive_mark_live

    golive = scheduled(guam_court())  # east of UTC: the year-1 midnight there is before any UTC datetime
    with pytest.raises(ValidationError) as refused:
        golive_mark_live(golive, day=dt.date(1, 1, 1), now=NOW)
    assert "on or after Saturday, January 1, 2000" in refused.value.message_dict["go_live_date"][0]
    golive.refresh_from_db()
    assert golive.status == GoLiveStatus.SCHEDULED
