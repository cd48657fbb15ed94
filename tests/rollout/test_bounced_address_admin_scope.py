"""A bounced address's page names the delivery the last bounce answered only to administrators of that
delivery's court: a filer at two courts has one address, and one court's staff never see the other
court's notices."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse

from courts.models import GoLiveStatus
from rollout.notices.models import BouncedAddress, NoticeDelivery, NoticeKind
from tests.factories import (
    CmecfAccountFactory, FilerFactory, GoLiveFactory, montana_administrator, montana_court, superuser,
    utah_administrator, utah_court,
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


# --- The last bounce's details (when, how many soft bounces, what the server said) ---------------------
# They describe the delivery the last bounce answered; a non-DSN bounce's diagnostic may even quote that
# notice. Shown where the delivery is: to its court's administrators and superusers; "—" to others.

HIDDEN = "—"
DETAILS = ["Soft bounces", "Last bounce at", "Diagnostic"]


def _strip(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).strip()


def list_row(client, user) -> dict[str, str]:
    """The bounce's row in the list: {column header: cell text}."""
    client.force_login(user)
    page = client.get(reverse("admin:rollout_bouncedaddress_changelist")).content.decode()
    head, body = page.split("<tbody>", 1)
    headers = [_strip(h) for h in re.findall(r'<div class="text">(.*?)</div>', head.split('id="result_list"', 1)[1])]
    row = body.split("</tr>", 1)[0]
    cells = [_strip(c) for c in re.findall(r"<t[dh] class=[^>]*>(.*?)</t[dh]>", row, flags=re.S)]
    return dict(zip(headers, cells))


def page_value(page: str, label: str) -> str:
    match = re.search(rf"<label>{label}:</label>\s*<div class=\"readonly\">(.*?)</div>", page, flags=re.S)
    assert match, label
    return _strip(match.group(1))


@pytest.mark.parametrize("label", DETAILS)
def test_the_list_hides_the_details_of_another_courts_bounce(client, bounce_of_a_utah_delivery, label):
    assert list_row(client, montana_administrator())[label] == HIDDEN


@pytest.mark.parametrize("label", DETAILS)
def test_the_page_hides_the_details_of_another_courts_bounce(client, bounce_of_a_utah_delivery, label):
    assert page_value(montana_page(client, bounce_of_a_utah_delivery), label) == HIDDEN


def test_a_diagnostic_quoting_another_courts_notice_is_nowhere_on_the_list(client, bounce_of_a_utah_delivery):
    quoted = "Your District of Utah reminder: link by Friday"
    BouncedAddress.objects.filter(pk=bounce_of_a_utah_delivery.pk).update(diagnostic=quoted)
    client.force_login(montana_administrator())
    assert quoted not in client.get(reverse("admin:rollout_bouncedaddress_changelist")).content.decode()


def test_the_courts_own_administrators_see_the_details(client, bounce_of_a_utah_delivery):
    row = list_row(client, utah_administrator())
    assert (row["Soft bounces"], row["Diagnostic"]) == ("1", "mailbox full")


def test_a_superuser_sees_the_details(client, bounce_of_a_utah_delivery):
    row = list_row(client, superuser())
    assert (row["Soft bounces"], row["Diagnostic"]) == ("1", "mailbox full")


def test_the_courts_own_administrators_see_the_details_on_the_page(client, bounce_of_a_utah_delivery):
    client.force_login(utah_administrator())
    page = client.get(reverse("admin:rollout_bouncedaddress_change", args=[bounce_of_a_utah_delivery.pk]))
    assert page_value(page.content.decode(), "Diagnostic") == "mailbox full"


def test_the_details_of_a_bounce_whose_delivery_is_gone_are_hidden_from_court_administrators(
        client, bounce_of_a_utah_delivery):
    BouncedAddress.objects.filter(pk=bounce_of_a_utah_delivery.pk).update(last_delivery=None)
    assert list_row(client, montana_administrator())["Diagnostic"] == HIDDEN


def test_the_export_leaves_out_the_details_of_another_courts_bounce(client, bounce_of_a_utah_delivery):
    client.force_login(montana_administrator())
    response = client.post(reverse("admin:rollout_bouncedaddress_changelist"),
                           {"action": "export_csv", "index": "0", "_selected_action": [bounce_of_a_utah_delivery.pk]})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff"))))
    assert [(r["cmecf_login"], r["soft_bounces"], r["last_bounce_at"], r["diagnostic"]) for r in rows] == [
        ("bothmt", "", "", "")]


def test_the_list_reads_the_details_court_in_the_same_queries_for_few_and_many_rows(client, bounce_of_a_utah_delivery):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("admin:rollout_bouncedaddress_changelist"))
        return len(captured)

    client.force_login(montana_administrator())
    queries()
    few = queries()
    delivery = bounce_of_a_utah_delivery.last_delivery
    for i in range(5):
        filer = FilerFactory(name=f"Another {i}", email=f"another{i}@example.com")
        CmecfAccountFactory(filer=filer, court=montana_court(), login=f"another{i}")
        other = NoticeDelivery.objects.create(filer=filer, court=delivery.court, golive=delivery.golive,
                                              kind=NoticeKind.REMINDER, notice=UTAH_NOTICE)
        BouncedAddress.objects.create(email=filer.email, last_delivery=other, diagnostic="full",
                                      last_bounce_at=dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc))
    assert queries() == few
