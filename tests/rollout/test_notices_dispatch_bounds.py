"""Reminder days are bounded where they are written, and one out-of-range value already stored does not stop
the notices of every other court."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from courts.models import GoLiveStatus
from rollout.notices.dispatch import notices_dispatch
from rollout.notices.models import NoticeDelivery
from tests.factories import GoLiveFactory, filer_at, montana_administrator, montana_court, utah_court

pytestmark = pytest.mark.django_db

D = dt.date(2026, 3, 2)


def test_a_huge_reminder_day_is_refused_naming_the_field():
    golive = GoLiveFactory(court=montana_court(), go_live_date=D, reminder_days_after=[7, 99999999999])
    with pytest.raises(ValidationError) as refused:
        golive.full_clean()
    assert "from 1 to 3650 days" in refused.value.message_dict["reminder_days_after"][0]


def test_a_reminder_day_just_past_ten_years_is_refused():
    golive = GoLiveFactory(court=montana_court(), go_live_date=D, reminder_days_after=[3651])
    with pytest.raises(ValidationError) as refused:
        golive.full_clean()
    assert "reminder_days_after" in refused.value.message_dict


def test_administrator_saving_a_huge_reminder_day_in_the_change_form_gets_the_error_and_nothing_is_saved(client):
    court = montana_court()
    golive = GoLiveFactory(court=court, go_live_date=court.local_today() + dt.timedelta(days=60))
    client.force_login(montana_administrator())
    response = client.post(reverse("admin:courts_golive_change", args=[golive.pk]), {
        "go_live_date": golive.go_live_date.isoformat(), "status": golive.status,
        "blackout_start_0": "", "blackout_start_1": "", "blackout_end_0": "", "blackout_end_1": "",
        "emergency_filing_instructions": "", "prepare_days_before": "30", "reminder_days_after": "[99999999999]",
        "changes-TOTAL_FORMS": "0", "changes-INITIAL_FORMS": "0", "_save": "Save"})
    assert response.status_code == 200
    assert "from 1 to 3650 days" in response.context["adminform"].form.errors["reminder_days_after"][0]
    golive.refresh_from_db()
    assert golive.reminder_days_after == [7, 14, 30]


def test_a_huge_reminder_day_stored_earlier_does_not_stop_the_other_courts_notices():
    broken, fine = montana_court(), utah_court()
    # Saved without validation, as a row written before the bound was checked.
    GoLiveFactory(court=broken, go_live_date=D, status=GoLiveStatus.LIVE, reminder_days_after=[99999999999])
    GoLiveFactory(court=fine, go_live_date=D, status=GoLiveStatus.LIVE, reminder_days_after=[7])
    filer_at(broken)
    filer_at(fine)
    notices_dispatch(fine.local_midnight(D + dt.timedelta(days=8)) + dt.timedelta(hours=8))
    assert set(NoticeDelivery.objects.filter(court=fine).values_list("notice", flat=True)) == {"golive", "reminder_7"}
    assert set(NoticeDelivery.objects.filter(court=broken).values_list("notice", flat=True)) == {"golive"}
