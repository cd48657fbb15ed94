"""Every dashboard page runs a fixed number of SQL queries, whatever the number of courts and accounts."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.counts import court_counts_refresh
from tests.factories import CourtFactory, court_with_accounts, montana_court, superuser

UTC = dt.timezone.utc

# (extra courts, accounts per readiness state per court, linked accounts per court)
SIZES = {"small": (1, 1, 2), "large": (12, 6, 25)}
MAX_QUERIES = {
    # Notices: + 2 on the overview (stalled notices, unreachable filers per court), + 3 on the court
    # page (the same two and template failures).
    "overview": 11, "overview_filtered": 11, "overview_csv": 11, "overview_xlsx": 11, "upcoming": 5,
    "court": 14, "court_filtered": 14, "court_search": 14, "court_csv": 6, "court_xlsx": 6,
}


def _world(size: str) -> None:
    extra, per_state, links = SIZES[size]
    start = dt.datetime(2021, 9, 28, 17, tzinfo=UTC)
    stamps = [start + dt.timedelta(days=i) for i in range(links)]
    court_with_accounts(montana_court(), live_on=dt.date(2021, 9, 27), per_state=per_state, linked_at=stamps)
    for i in range(extra):
        court = CourtFactory(court_id=f"Q{i:02d}DC", name=f"Query Court {i}", circuit=f"{i % 11 + 1:02d}")
        live = dt.date(2022, 1, 3) if i % 2 else None
        court_with_accounts(court, live_on=live, per_state=per_state, linked_at=stamps if live else [])
    court_counts_refresh()


def _url(page: str) -> str:
    return {
        "overview": reverse("dashboard:overview") + "?sort=-pct_linked",
        "overview_filtered": reverse("dashboard:overview") + "?circuit=09&status=live&q=montana",
        "overview_csv": reverse("dashboard:overview_csv") + "?status=live",
        "overview_xlsx": reverse("dashboard:overview_xlsx"),
        "upcoming": reverse("dashboard:upcoming") + "?months=24",
        "court": reverse("dashboard:court", args=["mtdc"]),
        "court_filtered": reverse("dashboard:court", args=["mtdc"]) + "?readiness=legacy&sort=-linked_at",
        "court_search": reverse("dashboard:court", args=["mtdc"]) + "?q=filer",
        "court_csv": reverse("dashboard:court_csv", args=["mtdc"]) + "?readiness=linked",
        "court_xlsx": reverse("dashboard:court_xlsx", args=["mtdc"]),
    }[page]


@pytest.mark.django_db
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("page", MAX_QUERIES)
def test_page_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries, size, page):
    _world(size)
    client.force_login(superuser())
    with django_assert_max_num_queries(MAX_QUERIES[page]):
        response = client.get(_url(page))
        body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200
    assert body


@pytest.mark.django_db
def test_unfiltered_court_page_never_counts_the_accounts_table(client):
    _world("large")
    client.force_login(superuser())
    with CaptureQueriesContext(connection) as captured:
        assert client.get(_url("court")).status_code == 200
    counting = [q["sql"] for q in captured.captured_queries
                if "COUNT(" in q["sql"].upper() and "accounts_cmecfaccount" in q["sql"] and "GROUP BY" not in q["sql"].upper()]
    assert counting == []


@pytest.mark.django_db
def test_court_page_filtered_by_readiness_pages_on_the_stored_count(client):
    _world("large")
    client.force_login(superuser())
    with CaptureQueriesContext(connection) as captured:
        response = client.get(_url("court_filtered"))
    assert response.context["table"].paginator.count == 6
    assert not [q for q in captured.captured_queries if '"__count"' in q["sql"] and "accounts_cmecfaccount" in q["sql"]]


@pytest.mark.django_db
def test_overview_never_reads_the_accounts_table(client):
    _world("large")
    client.force_login(superuser())
    with CaptureQueriesContext(connection) as captured:
        assert client.get(_url("overview")).status_code == 200
    # Except the unreachable filers: accounts of the few undeliverable addresses only (the bounce
    # table drives that join, through the unique email and the filer index).
    assert not [q for q in captured.captured_queries
                if "accounts_cmecfaccount" in q["sql"] and "rollout_bouncedaddress" not in q["sql"]]
