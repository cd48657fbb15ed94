"""Who sees what: every dashboard URL as an anonymous user, as another court's administrator, and
as a superuser."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.counts import court_counts_refresh
from accounts.models import CourtAdministrator
from courts.models import Court
from tests.factories import (
    CourtFactory, GoLiveFactory, UserFactory, court_with_accounts, montana_administrator, montana_court, superuser, utah_administrator, utah_court,
)

UTC = dt.timezone.utc


@pytest.fixture
def two_courts(db):
    court_with_accounts(montana_court(), live_on=dt.date(2021, 9, 27), linked_at=[dt.datetime(2021, 10, 1, 18, tzinfo=UTC)])
    court_with_accounts(utah_court(), live_on=dt.date(2020, 2, 1), per_state=2)
    court_counts_refresh()


def _urls(court_id: str) -> list[str]:
    return [
        reverse("dashboard:overview"), reverse("dashboard:overview_csv"), reverse("dashboard:overview_xlsx"),
        reverse("dashboard:upcoming"), reverse("dashboard:court", args=[court_id]),
        reverse("dashboard:court_csv", args=[court_id]), reverse("dashboard:court_xlsx", args=[court_id]),
    ]


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("url", _urls("mtdc"))
def test_anonymous_user_is_sent_to_log_in(client, two_courts, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", ["dashboard:court", "dashboard:court_csv", "dashboard:court_xlsx"])
def test_another_courts_page_and_exports_answer_404(client, two_courts, name):
    client.force_login(utah_administrator())
    assert client.get(reverse(name, args=["mtdc"])).status_code == 404


def test_own_court_page_opens_with_any_case_of_the_court_id(client, two_courts):
    client.force_login(montana_administrator())
    assert client.get(reverse("dashboard:court", args=["MTDC"])).status_code == 200
    assert client.get(reverse("dashboard:court", args=["mtdc"])).status_code == 200


def test_overview_lists_and_counts_only_the_administrators_courts(client, two_courts):
    client.force_login(utah_administrator())
    html = client.get(reverse("dashboard:overview")).content.decode()
    assert "District of Utah" in html
    assert "District of Montana" not in html
    summary = client.get(reverse("dashboard:overview")).context["summary"]
    assert (summary.courts, summary.registered) == (1, 6)


def test_overview_csv_holds_only_the_administrators_courts(client, two_courts):
    client.force_login(utah_administrator())
    rows = list(csv.reader(io.StringIO(_body(client.get(reverse("dashboard:overview_csv"))).decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["UTDC"]


def test_overview_xlsx_holds_only_the_administrators_courts(client, two_courts):
    client.force_login(utah_administrator())
    sheet = load_workbook(io.BytesIO(_body(client.get(reverse("dashboard:overview_xlsx")))), read_only=True).worksheets[0]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["UTDC"]


def test_upcoming_lists_only_the_administrators_courts(client, two_courts):
    for court_id in ("MTBK", "UTBK"):
        GoLiveFactory(court=CourtFactory(court_id=court_id, name=f"Bankruptcy {court_id}"),
                      go_live_date=dt.date.today() + dt.timedelta(days=20))
    user = utah_administrator()
    CourtAdministrator.objects.create(user=user, court=Court.objects.get(court_id="UTBK"))
    client.force_login(user)
    html = client.get(reverse("dashboard:upcoming")).content.decode()
    assert "Bankruptcy UTBK" in html
    assert "Bankruptcy MTBK" not in html


def test_staff_user_with_no_court_sees_no_court(client, two_courts):
    client.force_login(UserFactory(username="nobody-staff"))
    response = client.get(reverse("dashboard:overview"))
    assert response.context["summary"].courts == 0
    assert client.get(reverse("dashboard:court", args=["utdc"])).status_code == 404


def test_superuser_sees_every_court_everywhere(client, two_courts):
    client.force_login(superuser())
    assert client.get(reverse("dashboard:overview")).context["summary"].courts == 2
    rows = list(csv.reader(io.StringIO(_body(client.get(reverse("dashboard:overview_csv"))).decode("utf-8-sig"))))
    assert sorted(row[0] for row in rows[1:]) == ["MTDC", "UTDC"]
    for court_id in ("mtdc", "utdc"):
        for url in _urls(court_id)[4:]:
            assert client.get(url).status_code == 200, url
