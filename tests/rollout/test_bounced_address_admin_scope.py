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
DETAILS = ["Soft bounces", "Last bounce at (court time)", "Diagnostic"]


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
    match = re.search(rf"<label>{re.escape(label)}:</label>\s*<div class=\"readonly\">(.*?)</div>", page, flags=re.S)
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
    assert [(r["cmecf_login"], r["soft_bounces"], r["last_bounce_at (court time)"], r["diagnostic"]) for r in rows] == [
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


# --- Nor can they be read back through the list's URL: filters and sorting on the hidden details ---------

def listed(client, user, **params) -> bool:
    """Whether the filer's address is in the list the URL asks for (400 = the URL is refused)."""
    client.force_login(user)
    response = client.get(reverse("admin:rollout_bouncedaddress_changelist"), params)
    if response.status_code == 400:
        return False
    assert response.status_code == 200
    return "both@example.com" in response.content.decode()


@pytest.mark.parametrize("lookup, matching, not_matching", [
    ("diagnostic__icontains", "mailbox", "quota"),
    ("last_bounce_at__gte", "2026-01-01 00:00+00:00", "2026-02-01 00:00+00:00"),
    ("soft_bounces__gte", "1", "2"),
    ("undeliverable_at__gte", "2026-01-01 00:00+00:00", "2026-02-01 00:00+00:00"),
    ("details_shown", "0", "1"),
    ("last_delivery_id__gte", "{delivery}", "{next}"),  # the column's name, not the field's
    ("last_delivery", "{delivery}", "{next}"),
    ("last_delivery__id__lte", "{delivery}", "{before}"),
])
def test_a_filter_on_a_hidden_detail_of_another_courts_bounce_tells_nothing(
        client, bounce_of_a_utah_delivery, lookup, matching, not_matching):
    BouncedAddress.objects.filter(pk=bounce_of_a_utah_delivery.pk).update(
        undeliverable_at=dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc))
    montana = montana_administrator()
    ids = {"delivery": bounce_of_a_utah_delivery.last_delivery_id}
    ids.update(next=ids["delivery"] + 1, before=ids["delivery"] - 1)
    matching, not_matching = matching.format(**ids), not_matching.format(**ids)
    assert listed(client, montana, **{lookup: matching}) == listed(client, montana, **{lookup: not_matching})


def test_a_superuser_may_filter_on_the_details(client, bounce_of_a_utah_delivery):
    """Court administrators may not, even their own courts' bounces: the same filter would pass over
    the rows whose details they do not see."""
    root = superuser()
    assert (listed(client, root, diagnostic__icontains="mailbox"),
            listed(client, root, diagnostic__icontains="quota")) == (True, False)


def test_the_undeliverable_filter_stays_for_every_administrator(client, bounce_of_a_utah_delivery):
    assert listed(client, montana_administrator(), undeliverable_at__isnull="True")


def montana_bounces():
    """Two Montana filers whose addresses bounced Montana reminders, on January 3 and 7."""
    mt = montana_court()
    golive = mt.golives.get()
    for i, day in enumerate([3, 7]):
        filer = FilerFactory(name=f"Montana {i}", email=f"mt{i}@example.com")
        CmecfAccountFactory(filer=filer, court=mt, login=f"mt{i}")
        delivery = NoticeDelivery.objects.create(filer=filer, court=mt, golive=golive, kind=NoticeKind.REMINDER,
                                                 notice="reminder_manual_2026-01-02")
        when = dt.datetime(2026, 1, day, tzinfo=dt.timezone.utc)
        BouncedAddress.objects.create(email=filer.email, diagnostic="full", soft_bounces=1 + i, last_delivery=delivery,
                                      undeliverable_at=when, last_bounce_at=when)


@pytest.mark.parametrize("sort", ["", "2", "-2", "3", "-3", "4", "-4"])
def test_the_hidden_details_do_not_sort_the_list(client, bounce_of_a_utah_delivery, sort):
    """Sorted by another court's hidden bounce time or count, the row's place among the user's own
    bounces would tell it: the place is the same whatever those hidden values are."""
    montana_bounces()
    client.force_login(montana_administrator())
    orders = set()
    for day, count in ((1, 0), (5, 2), (9, 5)):
        when = dt.datetime(2026, 1, day, tzinfo=dt.timezone.utc)
        BouncedAddress.objects.filter(pk=bounce_of_a_utah_delivery.pk).update(
            last_bounce_at=when, undeliverable_at=when, soft_bounces=count)
        page = client.get(reverse("admin:rollout_bouncedaddress_changelist"), {"o": sort} if sort else {})
        orders.add(tuple(re.findall(r"(both|mt0|mt1)@example\.com</a>", page.content.decode())))
    assert len(orders) == 1 and len(next(iter(orders))) == 3


def test_the_list_shows_the_users_own_latest_bounce_first(client, bounce_of_a_utah_delivery):
    montana_bounces()
    client.force_login(montana_administrator())
    page = client.get(reverse("admin:rollout_bouncedaddress_changelist")).content.decode()
    assert re.findall(r"(both|mt0|mt1)@example\.com</a>", page) == ["mt1", "mt0", "both"]


def test_the_time_another_courts_bounce_made_the_address_undeliverable_is_not_shown(client, bounce_of_a_utah_delivery):
    when = dt.datetime(2026, 1, 5, 13, 47, tzinfo=dt.timezone.utc)
    BouncedAddress.objects.filter(pk=bounce_of_a_utah_delivery.pk).update(undeliverable_at=when)
    row = list_row(client, montana_administrator())
    assert row["Undeliverable at (court time)"] == "Yes"
    page = montana_page(client, bounce_of_a_utah_delivery)
    assert page_value(page, "Undeliverable at (court time)") == "Yes"
    assert list_row(client, utah_administrator())["Undeliverable at (court time)"] != "Yes"


# --- When: the last bounce answered a court's notice, so its times are in that court's zone -------------
# The fixture's bounce came at 2026-01-05 00:00 UTC: 2026-01-04 17:00 in Utah (MST), 19:00 in the site's
# zone (New York), which a Utah administrator must not have to convert.

UTAH_TIME = "2026-01-04 17:00 MST"


def test_the_list_shows_the_last_bounce_in_its_courts_zone(client, bounce_of_a_utah_delivery):
    assert list_row(client, utah_administrator())["Last bounce at (court time)"] == UTAH_TIME


def test_the_list_shows_when_the_address_became_undeliverable_in_its_courts_zone(client, bounce_of_a_utah_delivery):
    BouncedAddress.objects.filter(pk=bounce_of_a_utah_delivery.pk).update(
        undeliverable_at=dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc))
    assert list_row(client, superuser())["Undeliverable at (court time)"] == UTAH_TIME


def test_the_page_shows_the_last_bounce_in_its_courts_zone(client, bounce_of_a_utah_delivery):
    client.force_login(utah_administrator())
    page = client.get(reverse("admin:rollout_bouncedaddress_change", args=[bounce_of_a_utah_delivery.pk]))
    assert page_value(page.content.decode(), "Last bounce at (court time)") == UTAH_TIME


def test_the_export_gives_the_last_bounce_in_the_rows_courts_zone(client, bounce_of_a_utah_delivery):
    client.force_login(utah_administrator())
    response = client.post(reverse("admin:rollout_bouncedaddress_changelist"),
                           {"action": "export_csv", "index": "0", "_selected_action": [bounce_of_a_utah_delivery.pk]})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff"))))
    assert [(r["cmecf_login"], r["last_bounce_at (court time)"]) for r in rows] == [("bothut", UTAH_TIME)]
