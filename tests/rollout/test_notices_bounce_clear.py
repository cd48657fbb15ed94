"""Staff mark a bounced address deliverable again ("Mark deliverable again"): a filer whose mailbox
was full for a day gets notices again without changing their address. Only where every court the
filer files at is the user's; audited; a notice that bounced is not sent again."""
from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEntry
from courts.models import GoLiveStatus
from rollout.notices.dispatch import notices_dispatch
from rollout.notices.models import BouncedAddress, DeliveryState, NoticeDelivery
from rollout.notices.sending import deliveries_send
from tests.factories import (
    CmecfAccountFactory, GoLiveFactory, court_admin_user, filer_at, montana_administrator, montana_court, superuser,
    utah_court,
)
from tests.rollout.test_notices_delivery import GO_LIVE, on_go_live_day

pytestmark = pytest.mark.django_db
BOUNCED_AT = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.timezone.utc)
CLEAR = "mark_deliverable_again"


def bounced(account, *, court=None, soft_bounces=3, notice="golive") -> BouncedAddress:
    """The filer's address made undeliverable by soft bounces on `court`'s notice (default: the account's)."""
    court = court or account.court
    golive = court.golives.first() or GoLiveFactory(court=court, go_live_date=GO_LIVE, status=GoLiveStatus.LIVE)
    delivery = NoticeDelivery.objects.create(filer=account.filer, court=court, golive=golive, kind=notice,
                                             notice=notice, state=DeliveryState.SENT, bounced_at=BOUNCED_AT)
    return BouncedAddress.objects.create(email=account.filer.email, undeliverable_at=BOUNCED_AT,
                                         soft_bounces=soft_bounces, last_bounce_at=BOUNCED_AT,
                                         last_delivery=delivery, diagnostic="452 4.2.2 Mailbox full")


def clear(user, address: BouncedAddress):
    client = Client()
    client.force_login(user)
    response = client.post(reverse("admin:rollout_bouncedaddress_changelist"),
                           {"action": CLEAR, "_selected_action": [address.pk]}, follow=True)
    assert response.status_code == 200
    address.refresh_from_db()
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def montana_filer():
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=GO_LIVE, status=GoLiveStatus.LIVE)
    return filer_at(court, name="Full Mailbox")


def test_a_court_administrator_marks_their_filers_address_deliverable_again(montana_filer):
    address = bounced(montana_filer)
    clear(montana_administrator(), address)
    assert (address.undeliverable_at, address.soft_bounces) == (None, 0)


def test_marking_deliverable_again_is_in_the_audit_trail_of_the_filers_court(montana_filer):
    address = bounced(montana_filer)
    user = montana_administrator()
    clear(user, address)
    entries = {(e.field, e.new_value, e.user_id, e.court_id) for e in AuditEntry.objects.filter(object_id=address.pk)}
    assert entries == {("undeliverable_at", "", user.pk, montana_filer.court_id),
                       ("soft_bounces", "0", user.pk, montana_filer.court_id)}


def test_an_address_whose_filer_also_files_at_another_court_is_left_for_its_administrators(montana_filer):
    CmecfAccountFactory(filer=montana_filer.filer, court=utah_court(), login="fullut")
    address = bounced(montana_filer)
    clear(montana_administrator(), address)
    assert address.undeliverable_at == BOUNCED_AT


def test_the_refusal_does_not_name_the_other_court(montana_filer):
    CmecfAccountFactory(filer=montana_filer.filer, court=utah_court(), login="fullut")
    said = " ".join(clear(montana_administrator(), bounced(montana_filer)))
    assert "not marked deliverable" in said
    assert "Utah" not in said and "UTDC" not in said


def test_an_administrator_of_every_court_of_the_filer_clears_it(montana_filer):
    ut = utah_court()
    CmecfAccountFactory(filer=montana_filer.filer, court=ut, login="fullut")
    address = bounced(montana_filer)
    clear(court_admin_user("both-admin", montana_court(), ut), address)
    assert address.undeliverable_at is None


def test_a_superuser_clears_any_address(montana_filer):
    CmecfAccountFactory(filer=montana_filer.filer, court=utah_court(), login="fullut")
    address = bounced(montana_filer)
    clear(superuser(), address)
    assert address.undeliverable_at is None


def test_the_trail_of_another_court_does_not_carry_the_bounces_details(montana_filer):
    """The bounce answered a Utah notice: Montana's staff see only that the address was undeliverable,
    as the bounced addresses' page shows it them, not when nor how many soft bounces."""
    ut = utah_court()
    CmecfAccountFactory(filer=montana_filer.filer, court=ut, login="fullut")
    address = bounced(montana_filer, court=ut)
    clear(superuser(), address)
    montana = {(e.field, e.old_value) for e in AuditEntry.objects.filter(object_id=address.pk,
                                                                         court_id=montana_filer.court_id)}
    assert montana == {("undeliverable_at", "Yes")}


def test_a_notice_due_after_the_mark_is_cleared_is_sent(montana_filer, smtp_sink):
    court = montana_filer.court
    clear(montana_administrator(), bounced(montana_filer))
    reminder_day = on_go_live_day(court) + dt.timedelta(days=7)
    notices_dispatch(reminder_day)
    row = NoticeDelivery.objects.get(filer=montana_filer.filer, notice="reminder_7")
    deliveries_send([row.id], claimed_by="test", now=reminder_day)
    assert smtp_sink.per_recipient() == {montana_filer.filer.email: 1}


def test_the_notice_that_bounced_is_not_sent_again(montana_filer):
    court = montana_filer.court
    address = bounced(montana_filer)
    NoticeDelivery.objects.filter(id=address.last_delivery_id).update(state=DeliveryState.BOUNCED)
    clear(montana_administrator(), address)
    notices_dispatch(on_go_live_day(court))
    assert NoticeDelivery.objects.get(id=address.last_delivery_id).state == DeliveryState.BOUNCED
