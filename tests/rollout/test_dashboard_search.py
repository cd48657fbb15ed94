"""The court page's account search and readiness filter: same answers as before they were made fast."""
import datetime as dt

import pytest
from django.urls import reverse

from accounts.counts import court_counts_refresh
from accounts.models import CmecfAccount
from tests.factories import court_with_accounts, filer_at, montana_court, superuser, utah_court

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_mt(client):
    court_with_accounts(montana_court(), live_on=dt.date(2021, 9, 27), per_state=2)
    court_with_accounts(utah_court(), live_on=dt.date(2020, 2, 1), per_state=2)
    filer_at(montana_court(), name="Ada Quill", email="ada@quill.example.com", login="zzlogin", state="name_mismatch")
    court_counts_refresh()
    client.force_login(superuser())
    return client


def _logins(client, query: str) -> list[str]:
    response = client.get(reverse("dashboard:court", args=["mtdc"]) + "?" + query)
    return sorted(a.login for a in response.context["table"].data.data)


@pytest.mark.parametrize("text", ["quill", "ADA@QUILL", "zzlog", "someone else"])
def test_search_finds_by_filer_name_email_login_or_cmecf_name(client_mt, text):
    assert _logins(client_mt, f"q={text}") == ["zzlogin"]


def test_search_stays_within_the_court(client_mt):
    assert _logins(client_mt, "q=ready filer utdc") == []
    assert _logins(client_mt, "q=ready filer mtdc") == ["mtdcready0", "mtdcready1"]


def test_readiness_filter_lists_exactly_that_state(client_mt):
    assert _logins(client_mt, "readiness=legacy") == ["mtdclegacy0", "mtdclegacy1"]
    assert _logins(client_mt, "readiness=name_mismatch") == ["zzlogin"]
    assert _logins(client_mt, "readiness=ready&q=mtdcready1") == ["mtdcready1"]
    assert CmecfAccount.objects.filter(court__court_id="UTDC").count() == 6


def test_a_search_beside_an_unknown_readiness_is_counted_as_a_search(client_mt):
    """A stale bookmark's readiness value is dropped; the search still applies and the page's count
    and pages are the search's, not the court's whole total."""
    response = client_mt.get(reverse("dashboard:court", args=["mtdc"]) + "?readiness=bogus&q=zzlog&per_page=1")
    table = response.context["table"]
    assert [row.record.login for row in table.page.object_list] == ["zzlogin"]
    assert not table.page.has_next()  # no pages counted from the court's stored total


def test_a_page_number_past_any_offset_the_database_takes_shows_an_empty_page(client_mt):
    response = client_mt.get(reverse("dashboard:court", args=["mtdc"]) + "?q=mtdc&page=" + "9" * 23)
    assert response.status_code == 200


def test_a_name_with_a_control_character_does_not_break_the_workbook(client_mt):
    from io import BytesIO

    from openpyxl import load_workbook

    filer_at(montana_court(), name="Lee\x01Legacy", email="lee@example.com", login="leectl")
    response = client_mt.get(reverse("dashboard:court_xlsx", args=["mtdc"]))
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    assert "Lee\ufffdLegacy" in [row[0] for row in sheet.iter_rows(values_only=True)]
