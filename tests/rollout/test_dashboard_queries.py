"""Every dashboard page runs a fixed number of SQL queries, whatever the number of courts and accounts.

Each world (small, large) is built once for the module inside a transaction rolled back at its end;
each test runs in a savepoint of it."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.counts import court_counts_refresh
from tests.factories import CourtFactory, court_with_accounts, montana_court, superuser

UTC = dt.timezone.utc

# (extra courts, accounts per readiness state per court, linked accounts per court)
SIZES = {"small": (1, 1, 2), "large": (12, 6, 25)}
# The overview and court pages read two more than the exports: the self-reported links (stored
# counts) and the open help requests (one aggregate). +4 on the first page of a session for the
# user's time zone (read, then kept in the session: its save runs in a transaction); +2 on the
# overview and a live court's page for the peers' curves.
MAX_QUERIES = {
    # Notices: + 3 on the overview (stalled notices, unreachable filers per court and, each once, in
    # all), + 3 on the court page (the first two and template failures).
    "overview": 20, "overview_filtered": 20, "overview_csv": 17, "overview_xlsx": 17, "upcoming": 9,
    "court": 22, "court_filtered": 22, "court_search": 22, "court_csv": 10, "court_xlsx": 10,
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


@pytest.fixture(scope="module", params=list(SIZES))
def world(request, django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        _world(request.param)
        yield request.param
        transaction.set_rollback(True)


@pytest.fixture
def world_db(world, db):
    """The world, and the test's own savepoint in it."""
    return world


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


@pytest.mark.parametrize("page", MAX_QUERIES)
def test_page_runs_a_fixed_number_of_queries(world_db, client, django_assert_max_num_queries, page):
    client.force_login(superuser())
    with django_assert_max_num_queries(MAX_QUERIES[page]):
        response = client.get(_url(page))
        body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200
    assert body


@pytest.mark.parametrize("world", ["large"], indirect=True)
def test_unfiltered_court_page_never_counts_the_accounts_table(world_db, client):
    client.force_login(superuser())
    with CaptureQueriesContext(connection) as captured:
        assert client.get(_url("court")).status_code == 200
    counting = [q["sql"] for q in captured.captured_queries
                if "COUNT(" in q["sql"].upper() and "accounts_cmecfaccount" in q["sql"] and "GROUP BY" not in q["sql"].upper()]
    assert counting == []


@pytest.mark.parametrize("world", ["large"], indirect=True)
def test_court_page_filtered_by_readiness_pages_on_the_stored_count(world_db, client):
    client.force_login(superuser())
    with CaptureQueriesContext(connection) as captured:
        response = client.get(_url("court_filtered"))
    assert response.context["table"].paginator.count == 6
    assert not [q for q in captured.captured_queries if '"__count"' in q["sql"] and "accounts_cmecfaccount" in q["sql"]]


@pytest.mark.parametrize("world", ["large"], indirect=True)
def test_overview_reads_the_accounts_table_only_for_the_peer_curves(world_db, client):
    """Counts come from the stored counters; the one read of accounts is the peers' links per court and
    day, over linked accounts only (the (court, linked_at) index answers it)."""
    client.force_login(superuser())
    with CaptureQueriesContext(connection) as captured:
        assert client.get(_url("overview")).status_code == 200
    # The peers' curves are the one read of the accounts (one grouped query); the unreachable filers
    # read the accounts of the few undeliverable addresses only (the bounce table drives that join).
    reads = [q["sql"] for q in captured.captured_queries
             if "accounts_cmecfaccount" in q["sql"] and "rollout_bouncedaddress" not in q["sql"]]
    assert len(reads) == 1
    assert "linked_at\" IS NOT NULL" in reads[0] and "GROUP BY" in reads[0]
