"""A notice delivery's page shows its times in its court's zone, and says so. The viewer is in New York
(the site's zone, no preference of their own); Guam keeps ChST (UTC+10)."""
import datetime as dt

import pytest
from django.urls import reverse

from courts.models import GoLiveStatus
from rollout.notices.models import DeliveryState, NoticeDelivery, NoticeKind
from tests.factories import GoLiveFactory, filer_at, guam_court, superuser

pytestmark = pytest.mark.django_db
# 2026-03-10 09:00 in Guam is 2026-03-09 19:00 in New York.
GUAM_TUESDAY_MORNING = dt.datetime(2026, 3, 9, 23, 0, tzinfo=dt.timezone.utc)


def test_delivery_page_shows_its_times_in_the_courts_zone_and_says_so(client, settings):
    settings.TIME_ZONE = "America/New_York"
    client.force_login(superuser())
    court = guam_court()
    golive = GoLiveFactory(court=court, go_live_date=dt.date(2026, 1, 5), status=GoLiveStatus.LIVE)
    filer = filer_at(court, login="gu1").filer
    delivery = NoticeDelivery.objects.create(
        filer=filer, court=court, golive=golive, kind=NoticeKind.REMINDER, notice="reminder_7",
        state=DeliveryState.SENT, sent_at=GUAM_TUESDAY_MORNING)
    NoticeDelivery.objects.filter(pk=delivery.pk).update(created_at=GUAM_TUESDAY_MORNING)  # set on insert
    response = client.get(reverse("admin:rollout_noticedelivery_change", args=[delivery.pk]))
    assert response.status_code == 200
    page = response.content.decode().replace("&#x27;", "'")
    assert page.count("2026-03-10 09:00 ChST") == 2  # queued and sent
    assert "EDT" not in page and "EST" not in page
    assert "Times on this page are in GUDC's time zone, Pacific/Guam" in page
