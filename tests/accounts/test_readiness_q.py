"""readiness_q(state) selects exactly the accounts whose readiness expression is that state, for every state."""
import datetime as dt

import pytest

from accounts.models import CmecfAccount, NameReview
from accounts.readiness import Readiness, readiness_expression, readiness_q
from tests.factories import court_with_accounts, filer_at, montana_court, utah_court

pytestmark = pytest.mark.django_db
UTC = dt.timezone.utc


@pytest.fixture
def world():
    live = court_with_accounts(montana_court(), live_on=dt.date(2021, 9, 27), per_state=2,
                               linked_at=[dt.datetime(2021, 10, 1, 18, tzinfo=UTC)])
    waiting = court_with_accounts(utah_court(), live_on=None, per_state=1)
    for court in (live, waiting):
        for state in ("ready", "shared", "name_mismatch", "legacy", "no_pacer"):
            filer_at(court, state=state)
    flagged = filer_at(live, state="ready")
    CmecfAccount.objects.filter(pk=flagged.pk).update(name_review=NameReview.FLAGGED)
    verified = filer_at(live, state="name_mismatch")
    CmecfAccount.objects.filter(pk=verified.pk).update(name_review=NameReview.VERIFIED)
    return [live.id]


@pytest.mark.parametrize("state", Readiness.values)
def test_readiness_q_matches_the_expression(world, state):
    annotated = CmecfAccount.objects.annotate(readiness=readiness_expression(world))
    expected = set(annotated.filter(readiness=state).values_list("pk", flat=True))
    assert expected, f"the fixture has no {state} account"
    assert set(CmecfAccount.objects.filter(readiness_q(state, world)).values_list("pk", flat=True)) == expected
