"""A court's time zone chosen by staff: refused while it would put a live court's date in the future."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from courts.models import Court, GoLiveStatus
from courts.services import court_set_time_zone
from tests.factories import GoLiveFactory, guam_court, superuser

pytestmark = pytest.mark.django_db
# 18:00 UTC on March 1 is already March 2 in Guam (UTC+10) and still March 1 in Honolulu (UTC-10).
NOW = dt.datetime(2027, 3, 1, 18, tzinfo=dt.timezone.utc)


@pytest.fixture
def guam_live_today():
    court = guam_court()
    GoLiveFactory(court=court, go_live_date=dt.date(2027, 3, 2), status=GoLiveStatus.LIVE)
    return court


def test_a_zone_where_the_live_date_is_still_tomorrow_is_refused_naming_the_field(guam_live_today):
    with pytest.raises(ValidationError) as refused:
        court_set_time_zone(guam_live_today, "Pacific/Honolulu", now=NOW)
    assert "would be in the future" in refused.value.message_dict["time_zone"][0]
    assert Court.objects.get(pk=guam_live_today.pk).time_zone == "Pacific/Guam"


def test_a_zone_where_the_live_date_has_come_is_taken(guam_live_today):
    court_set_time_zone(guam_live_today, "Asia/Tokyo", now=NOW)  # March 2, 03:00 there
    assert Court.objects.get(pk=guam_live_today.pk).time_zone == "Asia/Tokyo"


def test_the_court_change_form_shows_the_refusal_and_keeps_the_zone(client):
    # UTC+14 to UTC-12: 26 hours apart, so whatever the hour the new zone's date is an earlier one.
    court = guam_court()
    Court.objects.filter(pk=court.pk).update(time_zone="Pacific/Kiritimati")
    court.refresh_from_db()
    GoLiveFactory(court=court, go_live_date=court.local_today(), status=GoLiveStatus.LIVE)
    client.force_login(superuser())
    url = reverse("admin:courts_court_change", args=[court.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, (list, dict))}
    data.update(time_zone="Etc/GMT+12", help_desk_phones="[]", locations="[]")
    response = client.post(url, data)
    assert response.status_code == 200
    assert "would be in the future" in str(response.context["adminform"].form.errors["time_zone"])
    assert Court.objects.get(pk=court.pk).time_zone == "Pacific/Kiritimati"


def _feed_records_giving(feed_path, court_id: str, time_zone: str):
    from dataclasses import replace

    from courts.pacer_feed import load_feed, parse_feed

    courts, _ = parse_feed(load_feed(str(feed_path), timeout=5))
    return [replace(record, time_zone=time_zone) for record in courts if record.court_id == court_id]


def test_a_feed_zone_that_would_put_the_live_date_in_the_future_waits_and_says_why(guam_live_today, feed_path):
    from courts.services import courts_import_feed

    result = courts_import_feed(_feed_records_giving(feed_path, "GUDC", "Pacific/Honolulu"), now=NOW)
    assert Court.objects.get(pk=guam_live_today.pk).time_zone == "Pacific/Guam"
    [(court_id, why)] = result.zones_kept
    assert court_id == "GUDC" and "would be in the future" in why and "Pacific/Guam" in why


def test_the_feed_zone_is_taken_once_the_live_date_has_come_there(guam_live_today, feed_path):
    from courts.services import courts_import_feed

    result = courts_import_feed(_feed_records_giving(feed_path, "GUDC", "Pacific/Honolulu"),
                                now=NOW + dt.timedelta(hours=18))  # 02:00 on March 2 in Honolulu
    assert Court.objects.get(pk=guam_live_today.pk).time_zone == "Pacific/Honolulu"
    assert result.zones_kept == []
