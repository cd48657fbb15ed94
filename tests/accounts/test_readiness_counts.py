import datetime as dt

import pytest

from accounts.models import CmecfAccount, Filer, PacerAccount
from accounts.readiness import Readiness
from accounts.selectors import readiness_counts, readiness_totals
from courts.models import GoLiveStatus
from tests.factories import CourtFactory, GoLiveFactory

UTC = dt.timezone.utc


def make_accounts(n: int, offset: int = 0) -> None:
    """n accounts over three courts, cycling through legacy, shared, ready and linked."""
    live = CourtFactory(court_id="LIVEDC")
    GoLiveFactory(court=live, go_live_date=dt.date(2021, 1, 4), status=GoLiveStatus.LIVE)
    later = CourtFactory(court_id="LATERDC")
    GoLiveFactory(court=later, go_live_date=dt.date(2030, 1, 7), status=GoLiveStatus.SCHEDULED)
    pacers = PacerAccount.objects.bulk_create(
        PacerAccount(username=f"p{offset + i}", holder_name="Ann Lee", name_key="ANN LEE",
                     created_on=dt.date(2010 if i % 4 == 0 else 2018, 1, 1), account_type="shared" if i % 4 == 1 else "individual")
        for i in range(n)
    )
    filers = Filer.objects.bulk_create(Filer(name="Ann Lee", email=f"ann{offset + i}@example.com", pacer_account=p) for i, p in enumerate(pacers))
    CmecfAccount.objects.bulk_create(
        CmecfAccount(filer=f, court=live if i % 2 == 0 or i % 4 == 3 else later, login=f"leea{offset + i}", cmecf_name="Ann Lee", name_key="ANN LEE",
                     linked_at=dt.datetime(2021, 2, 1, tzinfo=UTC) if i % 4 == 3 else None)
        for i, f in enumerate(filers)
    )


@pytest.mark.django_db
def test_counts_by_state_match_the_rules():
    make_accounts(8)
    totals = readiness_totals(readiness_counts(now=dt.datetime(2022, 1, 1, tzinfo=UTC)))
    assert totals[Readiness.LEGACY] == 2
    assert totals[Readiness.SHARED] == 2
    assert totals[Readiness.READY] == 2  # i % 4 == 2 sit at the live court
    assert totals[Readiness.LINKED] == 2
    assert sum(totals.values()) == 8


@pytest.mark.parametrize("size", [10, 400])
@pytest.mark.django_db
def test_counting_readiness_runs_a_fixed_number_of_queries(size, django_assert_num_queries):
    make_accounts(size)
    with django_assert_num_queries(3):  # current rollout, live courts, one grouped count
        counts = readiness_counts()
    assert sum(sum(per.values()) for per in counts.values()) == size
