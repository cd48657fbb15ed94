"""Stalls and unreachable filers are visible: court page, overview, admin lists, the backlog ages
that /healthz reads."""
import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from courts.models import GoLiveStatus
from rollout.notices.models import BouncedAddress, DeliveryState, NoticeDelivery
from rollout.notices.selectors import notice_backlog_ages
from tests.factories import (
    CmecfAccountFactory, GoLiveFactory, filer_at, montana_administrator, montana_court, superuser, utah_court,
)

pytestmark = pytest.mark.django_db


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def due_since(court, minutes: int, state=DeliveryState.PENDING, n: int = 1):
    golive = GoLiveFactory(court=court, go_live_date=dt.date(2021, 9, 27), status=GoLiveStatus.SCHEDULED)
    rows = []
    for i in range(n):
        account = filer_at(court, name=f"Filer {i} {court.court_id}")
        rows.append(NoticeDelivery.objects.create(filer=account.filer, court=court, golive=golive, kind="golive",
                                                  notice="golive", state=state))
    NoticeDelivery.objects.filter(id__in=[r.id for r in rows]).update(
        created_at=timezone.now() - dt.timedelta(minutes=minutes))
    return rows


def test_a_court_whose_due_notices_wait_longer_than_the_threshold_is_flagged(settings):
    settings.NOTICES_STALL_AFTER_SECONDS = 900
    due_since(montana_court(), minutes=40, n=2)
    client = logged_in(montana_administrator())
    page = client.get("/courts/mtdc/").content.decode()
    assert "Stalled:" in page and "2 notices due since" in page
    overview = client.get("/").content.decode()
    assert "Stalled: 2 due since" in overview


def test_due_notices_younger_than_the_threshold_are_not_a_stall(settings):
    settings.NOTICES_STALL_AFTER_SECONDS = 900
    due_since(montana_court(), minutes=5)
    page = logged_in(montana_administrator()).get("/courts/mtdc/").content.decode()
    assert "Stalled:" not in page


def test_the_admin_lists_only_the_stalled_rows(settings):
    settings.NOTICES_STALL_AFTER_SECONDS = 900
    court = montana_court()
    old = due_since(court, minutes=40)
    young = NoticeDelivery.objects.create(filer=filer_at(court, name="Young One").filer, court=court,
                                          golive=old[0].golive, kind="golive", notice="golive")
    response = logged_in(montana_administrator()).get("/admin/rollout/noticedelivery/?stalled=1")
    shown = [row.id for row in response.context["cl"].result_list]
    assert shown == [old[0].id] and young.id not in shown


def test_backlog_ages_give_the_oldest_due_and_the_oldest_sending(settings):
    assert notice_backlog_ages() == (None, None)
    court = montana_court()
    due_since(court, minutes=30)
    sending = due_since(utah_court(), minutes=10, state=DeliveryState.SENDING)[0]
    NoticeDelivery.objects.filter(id=sending.id).update(claimed_at=timezone.now() - dt.timedelta(minutes=4))
    now = timezone.now()
    oldest_due, oldest_sending = notice_backlog_ages(now)
    assert dt.timedelta(minutes=29) < oldest_due < dt.timedelta(minutes=31)
    assert dt.timedelta(minutes=3) < oldest_sending < dt.timedelta(minutes=5)


def test_unreachable_filers_show_on_the_court_page_and_overview_and_export_from_the_admin():
    montana, utah = montana_court(), utah_court()
    dead = filer_at(montana, name="Dead Address")
    filer_at(montana, name="Fine Address")
    utah_dead = filer_at(utah, name="Utah Dead")
    for account in (dead, utah_dead):
        BouncedAddress.objects.create(email=account.filer.email, undeliverable_at=timezone.now(),
                                      last_bounce_at=timezone.now(), diagnostic="5.1.1 unknown user")
    client = logged_in(montana_administrator())
    assert "1 unreachable filer" in client.get("/courts/mtdc/").content.decode()
    assert "1 unreachable filer" in client.get("/").content.decode()
    listed = client.get("/admin/rollout/bouncedaddress/?undeliverable_at__isnull=False")
    assert [b.email for b in listed.context["cl"].result_list] == [dead.filer.email]  # Utah's is not theirs
    export = client.post("/admin/rollout/bouncedaddress/", {
        "action": "export_csv", "_selected_action": [b.pk for b in BouncedAddress.objects.all()]})
    body = b"".join(export.streaming_content).decode()
    assert dead.filer.email in body and "Dead Address" in body and "MTDC" in body
    assert utah_dead.filer.email not in body


def test_the_overview_counts_a_filer_at_several_courts_once_among_the_unreachable_filers():
    montana, utah = montana_court(), utah_court()
    both = filer_at(montana, name="Both Courts")
    CmecfAccountFactory(filer=both.filer, court=utah, login="bothut")
    BouncedAddress.objects.create(email=both.filer.email, undeliverable_at=timezone.now(),
                                  last_bounce_at=timezone.now(), diagnostic="5.1.1 unknown user")
    page = logged_in(superuser()).get("/").content.decode()
    card = re.search(r'Unreachable filers \(email bounced\)</span><span class="value[^"]*">([\d,]+)<', page)
    assert card.group(1) == "1"
