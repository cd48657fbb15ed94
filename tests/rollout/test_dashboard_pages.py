"""What the overview, court page, upcoming go-lives and exports show."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.counts import court_counts_refresh
from accounts.models import CmecfAccount, CourtReadinessCount
from accounts.readiness import Readiness
from courts.models import Court, CourtType, GoLiveStatus
from rollout.dashboard.selectors import court_burnup, court_golive, current_rollout
from tests.factories import (
    CmecfAccountFactory, CourtFactory, FilerFactory, GoLiveFactory, court_with_accounts, guam_court,
    montana_administrator, montana_court, superuser, utah_court,
)

UTC = dt.timezone.utc
pytestmark = pytest.mark.django_db


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(_body(response).decode("utf-8-sig"))))


@pytest.fixture
def courts():
    court_with_accounts(montana_court(), live_on=dt.date(2021, 9, 27),
                        linked_at=[dt.datetime(2021, 10, 1, 18, tzinfo=UTC), dt.datetime(2021, 10, 2, 18, tzinfo=UTC)])
    court_with_accounts(utah_court(), live_on=dt.date(2020, 2, 1), per_state=2)
    court_with_accounts(guam_court(), live_on=None)
    bankruptcy = CourtFactory(court_id="MTBK", name="Montana Bankruptcy Court", court_type=CourtType.BANKRUPTCY)
    GoLiveFactory(court=bankruptcy, go_live_date=dt.date.today() + dt.timedelta(days=90), status=GoLiveStatus.POSTPONED)
    court_counts_refresh()


@pytest.fixture
def admin_client(client):
    client.force_login(superuser())
    return client


def _court_ids(response) -> list[str]:
    return [court.court_id for court in response.context["table"].data.data]


def test_overview_filters_by_circuit(admin_client, courts):
    assert sorted(_court_ids(admin_client.get("/?circuit=10"))) == ["UTDC"]


def test_overview_renders_with_the_peer_curves_when_the_cache_cannot_be_reached(admin_client, courts,
                                                                                  unreachable_cache):
    """The cache only saves work: with Redis down the overview computes the peers' curves afresh
    instead of answering 500."""
    response = admin_client.get("/")
    assert response.status_code == 200
    assert sorted(_court_ids(response)) == ["GUDC", "MTBK", "MTDC", "UTDC"]
    live = set(Court.objects.filter(court_id__in=["MTDC", "UTDC"]).values_list("id", flat=True))
    assert set(response.context["table"].peers) == live  # the live courts' curves, computed afresh


def test_overview_filters_by_type(admin_client, courts):
    assert _court_ids(admin_client.get("/?court_type=bankruptcy")) == ["MTBK"]


def test_overview_filters_by_status_with_the_clock(admin_client, courts):
    assert sorted(_court_ids(admin_client.get("/?status=live"))) == ["MTDC", "UTDC"]
    assert _court_ids(admin_client.get("/?status=scheduled")) == ["GUDC"]
    assert _court_ids(admin_client.get("/?status=postponed")) == ["MTBK"]


def test_overview_filters_by_golive_range(admin_client, courts):
    assert _court_ids(admin_client.get("/?golive_from=2021-01-01&golive_to=2021-12-31")) == ["MTDC"]


def test_overview_searches_name_and_code(admin_client, courts):
    assert sorted(_court_ids(admin_client.get("/?q=montana"))) == ["MTBK", "MTDC"]
    assert _court_ids(admin_client.get("/?q=gud")) == ["GUDC"]


def test_overview_first_click_on_percent_linked_lists_the_largest_first(admin_client, courts):
    assert _court_ids(admin_client.get("/?sort=pct_linked"))[0] == "MTDC"


def test_overview_first_click_on_need_action_lists_the_largest_first(admin_client, courts):
    ids = _court_ids(admin_client.get("/?sort=needs_action"))
    assert ids[0] == "UTDC"  # 4 needing action, the most


def test_overview_default_order_puts_the_live_court_most_behind_first(admin_client, courts):
    # Live: MTDC (2 of 5 linked) and UTDC (0 of 6): UTDC is further behind. Then the soonest go-live.
    assert _court_ids(admin_client.get("/"))[:2] == ["UTDC", "MTDC"]


def test_overview_summary_counts_courts_by_status_and_accounts(admin_client, courts):
    summary = admin_client.get("/").context["summary"]
    assert (summary.by_status["live"], summary.by_status["scheduled"], summary.by_status["postponed"]) == (2, 1, 1)
    assert (summary.registered, summary.linked) == (3 + 6 + 3 + 2, 2)
    assert summary.needs_action == 2 + 4 + 2  # legacy and no PACER account in each court


def test_overview_csv_exports_exactly_the_filtered_courts(admin_client, courts):
    rows = _csv(admin_client.get(reverse("dashboard:overview_csv") + "?status=live&sort=name"))
    assert rows[0][:3] == ["Court id", "Court", "Type"]
    assert [(r[0], r[7], r[8]) for r in rows[1:]] == [("MTDC", "5", "2"), ("UTDC", "6", "0")]


def test_overview_xlsx_carries_days_and_counts_as_numbers(admin_client, courts):
    data = _body(admin_client.get(reverse("dashboard:overview_xlsx") + "?status=live&sort=name"))
    rows = list(load_workbook(io.BytesIO(data), read_only=True).worksheets[0].iter_rows(values_only=True))
    days, registered, pct = rows[1][5], rows[1][7], rows[1][9]
    assert isinstance(days, int) and days > 0
    assert (registered, pct) == (5, 40.0)


def test_overview_xlsx_exports_exactly_the_filtered_courts(admin_client, courts):
    data = _body(admin_client.get(reverse("dashboard:overview_xlsx") + "?circuit=09&sort=name"))
    rows = list(load_workbook(io.BytesIO(data), read_only=True).worksheets[0].iter_rows(values_only=True))
    # Sorted by name: District Court of Guam, District of Montana, Montana Bankruptcy Court.
    assert [row[0] for row in rows[1:]] == ["GUDC", "MTDC", "MTBK"]


def test_overview_numbers_have_thousands_separators(admin_client, courts):
    CourtReadinessCount.objects.filter(court__court_id="UTDC").update(total=1234567, no_pacer=1234567)
    html = admin_client.get("/").content.decode()
    assert "1,234,567" in html


def test_counts_come_from_the_stored_counters_not_a_recount(admin_client, courts):
    court = montana_court()
    CmecfAccount.objects.bulk_create([CmecfAccount(court=court, filer=FilerFactory(email="quiet@example.com"),
                                                   login="quiet", cmecf_name="John Q. Attorney")])
    funnel = admin_client.get("/courts/mtdc/").context["funnel"]
    assert funnel.registered == 5  # the stored count, until the write's recount runs
    court_counts_refresh([court.id])
    assert admin_client.get("/courts/mtdc/").context["funnel"].registered == 6


def test_court_page_shows_each_readiness_state_count(admin_client, courts):
    funnel = admin_client.get("/courts/mtdc/").context["funnel"]
    by_state = {state: n for state, _, n in funnel.by_state}
    assert by_state == {Readiness.NO_PACER: 1, Readiness.SHARED: 0, Readiness.LEGACY: 1, Readiness.NAME_MISMATCH: 0,
                        Readiness.WAITING: 0, Readiness.READY: 1, Readiness.LINKED: 2}
    assert (funnel.registered, funnel.upgraded, funnel.linked) == (5, 3, 2)


def test_court_is_found_by_court_id_not_by_the_shared_cmecf_code(admin_client):
    CourtFactory(court_id="CA9", cmecf_code="ca9", name="Ninth Circuit Court of Appeals", court_type=CourtType.APPELLATE)
    CourtFactory(court_id="09BAP", cmecf_code="ca9", name="Ninth Circuit Bankruptcy Appellate Panel", court_type=CourtType.APPELLATE)
    assert admin_client.get("/courts/09bap/").context["court"].name == "Ninth Circuit Bankruptcy Appellate Panel"
    assert admin_client.get("/courts/ca9/").context["court"].name == "Ninth Circuit Court of Appeals"


def test_court_accounts_filter_by_readiness(admin_client, courts):
    logins = [a.login for a in admin_client.get("/courts/mtdc/?readiness=legacy").context["table"].data.data]
    assert logins == ["mtdclegacy0"]


def test_court_accounts_search_by_email(admin_client, courts):
    logins = [a.login for a in admin_client.get("/courts/mtdc/?q=NOPACER.mtdc").context["table"].data.data]
    assert logins == ["mtdcnopacer0"]


def test_court_csv_exports_the_filtered_accounts_with_court_local_times(admin_client, courts):
    rows = _csv(admin_client.get(reverse("dashboard:court_csv", args=["mtdc"]) + "?readiness=linked"))
    # 2021-10-01 18:00 UTC is noon in Montana (MDT, UTC−6).
    assert rows[1:] == [
        ["Linked Filer mtdc 0", "Linked Filer mtdc 0", "mtdclinked0", "linked.mtdc.0@example.com", "Linked", "2021-10-01 12:00 MDT"],
        ["Linked Filer mtdc 1", "Linked Filer mtdc 1", "mtdclinked1", "linked.mtdc.1@example.com", "Linked", "2021-10-02 12:00 MDT"],
    ]


def test_court_xlsx_exports_the_filtered_accounts(admin_client, courts):
    data = _body(admin_client.get(reverse("dashboard:court_xlsx", args=["utdc"]) + "?readiness=no_pacer"))
    rows = list(load_workbook(io.BytesIO(data), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert [row[2] for row in rows[1:]] == ["utdcnopacer0", "utdcnopacer1"]


def test_exports_neutralize_spreadsheet_formulas(admin_client, courts):
    filer = FilerFactory(name="=HYPERLINK(\"http://evil\")", email="formula@example.com")
    CmecfAccountFactory(court=montana_court(), filer=filer, login="formula", cmecf_name=filer.name)
    rows = _csv(admin_client.get(reverse("dashboard:court_csv", args=["mtdc"]) + "?q=formula"))
    assert rows[1][0] == "'=HYPERLINK(\"http://evil\")"


def test_user_supplied_names_are_escaped_on_the_court_page(admin_client, courts):
    filer = FilerFactory(name="<script>alert(1)</script>", email="xss@example.com")
    CmecfAccountFactory(court=montana_court(), filer=filer, login="xss", cmecf_name=filer.name)
    html = admin_client.get("/courts/mtdc/?q=xss").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_burnup_groups_links_by_day_in_the_courts_time_zone():
    court = montana_court()
    # 03:00 UTC on Oct 1 is still Sep 30 in Montana.
    court_with_accounts(court, live_on=dt.date(2021, 9, 27), linked_at=[dt.datetime(2021, 10, 1, 3, tzinfo=UTC)])
    burnup = court_burnup(court, court_golive(court, current_rollout()), 4, now=dt.datetime(2021, 10, 5, tzinfo=UTC))
    assert burnup.points == [(dt.date(2021, 9, 30), 1)]


def test_burnup_projects_completion_at_the_last_30_days_pace():
    court = montana_court()
    now = dt.datetime(2021, 12, 1, 19, tzinfo=UTC)
    old = [dt.datetime(2021, 10, 1, 18, tzinfo=UTC)]
    recent = [now - dt.timedelta(days=d) for d in (1, 2, 3)]
    court_with_accounts(court, live_on=dt.date(2021, 9, 27), per_state=0, linked_at=old + recent)
    burnup = court_burnup(court, court_golive(court, current_rollout()), 10, now=now)
    # 3 links in 30 days = 0.1 a day; 6 left → 60 days from today.
    assert burnup.pace_per_day == pytest.approx(0.1)
    assert burnup.projected == dt.date(2021, 12, 1) + dt.timedelta(days=60)


def test_court_page_says_no_date_can_be_projected_when_the_pace_is_zero(admin_client, courts):
    html = admin_client.get("/courts/mtdc/").content.decode()  # its links are from 2021
    assert "no completion date can be projected" in html


def test_court_page_notices_section_says_none_sent_yet(admin_client, courts):
    html = admin_client.get("/courts/mtdc/").content.decode()
    assert "No notices have been sent to this court" in html


def _deliveries(court, rows):
    from accounts.models import CmecfAccount
    from rollout.notices.models import NoticeDelivery

    accounts = list(CmecfAccount.objects.filter(court=court).select_related("filer")[: len(rows)])
    golive = court.golives.get()
    for account, (kind, state, sent_at) in zip(accounts, rows):
        NoticeDelivery.objects.create(filer=account.filer, court=court, golive=golive, kind=kind, notice=kind,
                                      state=state, sent_at=sent_at)


def test_court_page_shows_notices_sent_due_and_failed(admin_client, courts):
    court = Court.objects.get(court_id="MTDC")
    sent = dt.datetime(2021, 9, 27, 15, tzinfo=dt.timezone.utc)
    _deliveries(court, [("golive", "sent", sent), ("golive", "failed", None), ("reminder", "pending", None)])
    html = admin_client.get("/courts/mtdc/").content.decode()
    assert "No notices have been sent" not in html
    section = html[html.index('id="notices-heading"'):]
    assert "Go-live announcement" in section and "Reminder to link" in section
    assert '<strong class="error">1</strong>' in section


def test_overview_shows_the_last_announcement_per_court(admin_client, courts):
    court = Court.objects.get(court_id="MTDC")
    _deliveries(court, [("prepare", "sent", dt.datetime(2021, 8, 28, 15, tzinfo=dt.timezone.utc)),
                        ("golive", "sent", dt.datetime(2021, 9, 27, 15, tzinfo=dt.timezone.utc))])
    html = admin_client.get("/").content.decode()
    row = html[html.index("District of Montana"):]
    row = row[: row.index("</tr>")]
    assert "Go-live announcement" in row


def test_court_page_draws_the_burnup_chart_inline(admin_client, courts):
    html = admin_client.get("/courts/mtdc/").content.decode()
    assert '<svg class="burnup"' in html
    assert "<script" not in html


def test_upcoming_lists_future_golives_in_range_soonest_first(admin_client, courts):
    soon = CourtFactory(court_id="SOONDC", name="Soon District")
    GoLiveFactory(court=soon, go_live_date=dt.date.today() + dt.timedelta(days=10))
    far = CourtFactory(court_id="FARDC", name="Far District")
    GoLiveFactory(court=far, go_live_date=dt.date.today() + dt.timedelta(days=600))
    response = admin_client.get(reverse("dashboard:upcoming") + "?months=6")
    listed = [item["court"].court_id for _, items in response.context["by_month"] for item in items]
    assert listed == ["SOONDC", "MTBK"]


def test_upcoming_counts_each_courts_accounts_needing_action(admin_client, courts):
    soon = CourtFactory(court_id="SOONDC", name="Soon District")
    court_with_accounts(soon, live_on=None, per_state=2)
    soon.golives.update(go_live_date=dt.date.today() + dt.timedelta(days=10))
    court_counts_refresh()
    response = admin_client.get(reverse("dashboard:upcoming"))
    item = next(i for _, items in response.context["by_month"] for i in items if i["court"].court_id == "SOONDC")
    assert (item["registered"], item["needs_action"]) == (6, 4)


def test_court_administrator_lands_on_the_overview_after_log_in(client, courts):
    montana_administrator()
    response = client.post(reverse("login"), {"username": "montana-admin", "password": "correct horse battery staple"}, follow=True)
    assert response.request["PATH_INFO"] == "/"
    assert _court_ids(response) == ["MTDC"]


def test_a_bad_filter_value_is_named_and_the_rest_still_applies(admin_client, courts):
    response = admin_client.get("/?golive_from=someday&circuit=10")
    assert response.status_code == 200
    assert "Enter a valid date." in response.content.decode()
    assert _court_ids(response) == ["UTDC"]


def test_accounts_page_beyond_the_last_shows_the_last_page(admin_client, courts):
    response = admin_client.get("/courts/mtdc/?page=999")
    assert response.status_code == 200
    assert response.context["table"].page.number == 1


def test_the_overviews_peer_medians_leave_out_the_administrators_own_courts_from_the_minimum(client, courts):
    """Their own courts' figures are known to them: a median must rest on enough other courts."""
    client.force_login(montana_administrator())
    response = client.get("/")
    assert response.context["table"].peers_known == {montana_court().pk}


def test_a_superusers_peer_medians_need_no_courts_left_out(admin_client, courts):
    assert admin_client.get("/").context["table"].peers_known == frozenset()


def test_upcoming_shows_a_postponed_courts_old_date_as_no_longer_holding(admin_client, courts):
    """MTBK is postponed: its date is the one given before, not a new one, so no countdown to it."""
    response = admin_client.get(reverse("dashboard:upcoming"))
    item = next(i for _, items in response.context["by_month"] for i in items if i["court"].court_id == "MTBK")
    page = " ".join(response.content.decode().split())
    assert item["postponed"]
    assert f'<td><s>was <time datetime="{item["golive"].go_live_date:%Y-%m-%d}">' in page
    assert f"{item['days']} days" not in page
