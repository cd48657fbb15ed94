import datetime as dt

import pytest

from accounts.counts import court_counts_refresh, stored_readiness_counts
from accounts.readiness import Readiness
from accounts.selectors import readiness_counts
from accounts.services import cmecf_account_link, pacer_account_upgrade
from courts.models import GoLiveStatus
from tests.factories import CmecfAccountFactory, FilerFactory, GoLiveFactory, PacerAccountFactory, montana_court, utah_filer_with_legacy_account

UTC = dt.timezone.utc


@pytest.mark.django_db(transaction=True)
def test_stored_counts_follow_a_link_and_an_upgrade():
    legacy = utah_filer_with_legacy_account()
    court_counts_refresh()
    assert stored_readiness_counts()[legacy.court_id][Readiness.LEGACY] == 1
    pacer_account_upgrade(legacy.filer.pacer_account)
    assert stored_readiness_counts()[legacy.court_id][Readiness.READY] == 1
    cmecf_account_link(legacy)
    counts = stored_readiness_counts()[legacy.court_id]
    assert (counts[Readiness.READY], counts[Readiness.LINKED]) == (0, 1)
    assert stored_readiness_counts() == readiness_counts()


@pytest.mark.django_db
def test_clear_accounts_read_waiting_before_go_live_and_ready_after():
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=dt.date(2021, 9, 27), status=GoLiveStatus.SCHEDULED)
    CmecfAccountFactory(court=court, filer=FilerFactory(pacer_account=PacerAccountFactory()))
    court_counts_refresh()
    before = stored_readiness_counts(now=dt.datetime(2021, 9, 1, tzinfo=UTC))[court.id]
    after = stored_readiness_counts(now=dt.datetime(2021, 10, 1, tzinfo=UTC))[court.id]
    assert (before[Readiness.WAITING], before[Readiness.READY]) == (1, 0)
    assert (after[Readiness.WAITING], after[Readiness.READY]) == (0, 1)


@pytest.mark.django_db
def test_stored_counts_are_read_in_a_fixed_number_of_queries(django_assert_num_queries):
    utah_filer_with_legacy_account()
    court_counts_refresh()
    with django_assert_num_queries(3):
        stored_readiness_counts()
