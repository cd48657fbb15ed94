""""Mark linked" takes no link date the link report import would refuse: none before the court's
go-live (a court marked live counts as live at any instant, so its go-live must be checked), none
in the future. The admin action shows the refusal on the date field and changes nothing."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry, CmecfAccount
from accounts.services import cmecf_accounts_mark_linked
from courts.models import GoLiveStatus
from tests.accounts.admin_helpers import live
from tests.factories import GoLiveFactory, filer_at, guam_court, montana_court, superuser, utah_court

pytestmark = pytest.mark.django_db
URL = "admin:accounts_cmecfaccount_changelist"
GO_LIVE = dt.date(2021, 9, 27)  # `live`'s go-live date


def refusal(linked_at, queryset=None) -> str:
    with pytest.raises(ValidationError) as refused:
        cmecf_accounts_mark_linked(queryset or CmecfAccount.objects.all(), linked_at)
    assert list(refused.value.error_dict) == ["linked_at"]
    assert not CmecfAccount.objects.filter(linked_at__isnull=False).exists()
    return refused.value.message_dict["linked_at"][0]


@pytest.mark.parametrize("day", ["0001-01-01", "1900-01-01", "2021-09-26"])
def test_the_admin_action_refuses_a_date_before_a_live_courts_go_live_on_the_date_field(client, day):
    account = filer_at(live(montana_court()))
    client.force_login(superuser())
    response = client.post(reverse(URL), {"action": "mark_linked", "_selected_action": [account.pk], "apply": "1",
                                          "linked_at_0": day, "linked_at_1": "23:59"})
    assert response.status_code == 200  # the date page again, not a redirect
    assert response.context["form"].errors["linked_at"] == [f"link date {day} is before the court's go-live ({GO_LIVE})"]
    account.refresh_from_db()
    assert account.linked_at is None
    assert not AuditEntry.objects.filter(field="linked_at").exists()


def test_the_admin_action_links_from_the_go_live_on(client):
    account = filer_at(live(montana_court()))
    client.force_login(superuser())
    response = client.post(reverse(URL), {"action": "mark_linked", "_selected_action": [account.pk], "apply": "1",
                                          "linked_at_0": "2021-09-27", "linked_at_1": "00:00"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.linked_at == montana_court().local_midnight(GO_LIVE)


def test_the_go_live_is_the_start_of_its_day_in_the_courts_own_zone():
    court = live(guam_court())  # UTC+10: its go-live starts the evening before in UTC
    filer_at(court)
    midnight = court.local_midnight(GO_LIVE)
    message = refusal(midnight - dt.timedelta(minutes=1))
    assert message == f"link date 2021-09-26 is before the court's go-live ({GO_LIVE})"
    assert cmecf_accounts_mark_linked(CmecfAccount.objects.all(), midnight).changed == 1


def test_every_selected_live_court_is_checked_and_named():
    filer_at(live(montana_court()))
    filer_at(live(utah_court(), day=dt.date(2021, 10, 4)))
    message = refusal(dt.datetime(2021, 10, 1, 12, tzinfo=dt.timezone.utc))
    assert message == "link date 2021-10-01 is before the go-live of UTDC (2021-10-04)"
    message = refusal(dt.datetime(2021, 9, 1, 12, tzinfo=dt.timezone.utc))
    assert message == "link date 2021-09-01 is before the go-live of MTDC (2021-09-27), UTDC (2021-10-04)"


def test_a_date_in_the_future_is_refused():
    filer_at(live(montana_court()))
    assert "in the future" in refusal(timezone.now() + dt.timedelta(days=1))


def test_a_scheduled_courts_accounts_before_its_go_live_are_still_skipped_as_waiting():
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=GO_LIVE, status=GoLiveStatus.SCHEDULED)
    filer_at(court)
    result = cmecf_accounts_mark_linked(CmecfAccount.objects.all(), court.local_midnight(dt.date(2021, 9, 1)))
    assert (result.changed, result.skipped) == (0, {"waiting": 1})
