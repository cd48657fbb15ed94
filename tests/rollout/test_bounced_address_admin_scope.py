"""A bounced address's page names the delivery the last bounce answered only to administrators of that
delivery's court: a filer at two courts has one address, and one court's staff never see the other
court's notices."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from courts.models import GoLiveStatus
from rollout.notices.models import BouncedAddress, NoticeDelivery, NoticeKind
from tests.factories import (
    CmecfAccountFactory, FilerFactory, GoLiveFactory, montana_administrator, montana_court, utah_court,
)

pytestmark = pytest.mark.django_db
UTAH_NOTICE = "reminder_manual_2026-11-30"


@pytest.fixture
def bounce_of_a_utah_delivery():
    """A filer at Montana and Utah whose address bounced a Utah reminder."""
    mt, ut = montana_court(), utah_court()
    GoLiveFactory(court=mt, go_live_date=dt.date(2021, 9, 27), status=GoLiveStatus.LIVE)
    golive = GoLiveFactory(court=ut, go_live_date=dt.date(2021, 2, 1), status=GoLiveStatus.LIVE)
    filer = FilerFactory(name="Both Courts", email="both@example.com")
    CmecfAccountFactory(filer=filer, court=mt, login="bothmt")
    CmecfAccountFactory(filer=filer, court=ut, login="bothut")
    delivery = NoticeDelivery.objects.create(filer=filer, court=ut, golive=golive, kind=NoticeKind.REMINDER,
                                             notice=UTAH_NOTICE)
    return BouncedAddress.objects.create(email=filer.email, soft_bounces=1, last_delivery=delivery,
                                         last_bounce_at=dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc),
                                         diagnostic="mailbox full")


def montana_page(client, bounce) -> str:
    client.force_login(montana_administrator())
    response = client.get(reverse("admin:rollout_bouncedaddress_change", args=[bounce.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_another_courts_last_delivery_is_not_named(client, bounce_of_a_utah_delivery):
    assert UTAH_NOTICE not in montana_page(client, bounce_of_a_utah_delivery)


def test_another_courts_last_delivery_is_not_linked(client, bounce_of_a_utah_delivery):
    delivery_url = reverse("admin:rollout_noticedelivery_change", args=[bounce_of_a_utah_delivery.last_delivery_id])
    assert delivery_url not in montana_page(client, bounce_of_a_utah_delivery)


def test_the_court_filter_finds_nothing_for_another_court(client, bounce_of_a_utah_delivery):
    """Filtering by Utah's id would otherwise list the Montana filers who also file at Utah."""
    client.force_login(montana_administrator())
    response = client.get(reverse("admin:rollout_bouncedaddress_changelist"),
                          {"court": bounce_of_a_utah_delivery.last_delivery.court_id})
    assert response.status_code == 200
    assert "both@example.com" not in response.content.decode()


def test_the_court_filter_lists_the_users_own_court(client, bounce_of_a_utah_delivery):
    client.force_login(montana_administrator())
    response = client.get(reverse("admin:rollout_bouncedaddress_changelist"), {"court": montana_court().pk})
    assert "both@example.com" in response.content.decode()
