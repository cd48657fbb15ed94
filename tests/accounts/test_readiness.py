import datetime as dt

import pytest

from accounts.models import NameReview, PacerAccountType
from accounts.readiness import Readiness
from accounts.selectors import cmecf_account_readiness
from courts.models import GoLiveStatus
from tests.factories import (
    CmecfAccountFactory, FilerFactory, GoLiveFactory, PacerAccountFactory, montana_court, utah_filer_with_legacy_account,
)

UTC = dt.timezone.utc
AFTER_GOLIVE = dt.datetime(2022, 1, 10, tzinfo=UTC)


def account_at_live_montana(**pacer):
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=dt.date(2021, 9, 27), status=GoLiveStatus.LIVE)
    pacer_account = PacerAccountFactory(holder_name="John Q. Attorney", **pacer)
    filer = FilerFactory(name="John Q. Attorney", pacer_account=pacer_account)
    return CmecfAccountFactory(filer=filer, court=court, login="attornjq")


@pytest.mark.django_db
def test_legacy_account_must_upgrade_before_linking():
    account = utah_filer_with_legacy_account()
    assert cmecf_account_readiness(account, now=AFTER_GOLIVE) == Readiness.LEGACY


@pytest.mark.django_db
def test_account_created_the_day_before_the_cutoff_is_legacy():
    account = account_at_live_montana(created_on=dt.date(2014, 8, 10))
    assert cmecf_account_readiness(account, now=AFTER_GOLIVE) == Readiness.LEGACY


@pytest.mark.django_db
def test_account_created_on_the_cutoff_is_not_legacy():
    account = account_at_live_montana(created_on=dt.date(2014, 8, 11))
    assert cmecf_account_readiness(account, now=AFTER_GOLIVE) == Readiness.READY


@pytest.mark.django_db
def test_upgraded_legacy_account_is_ready():
    account = account_at_live_montana(created_on=dt.date(2009, 1, 5), upgraded=True)
    assert cmecf_account_readiness(account, now=AFTER_GOLIVE) == Readiness.READY


@pytest.mark.django_db
def test_account_of_unknown_age_is_treated_as_legacy_until_upgraded():
    account = account_at_live_montana(created_on=None)
    assert cmecf_account_readiness(account, now=AFTER_GOLIVE) == Readiness.LEGACY


@pytest.mark.django_db
def test_shared_firm_account_must_never_be_linked():
    account = account_at_live_montana(account_type=PacerAccountType.SHARED, created_on=dt.date(2020, 1, 1))
    assert cmecf_account_readiness(account, now=AFTER_GOLIVE) == Readiness.SHARED


@pytest.mark.django_db
def test_filer_without_pacer_account_needs_one():
    account = account_at_live_montana()
    account.filer.pacer_account = None
    account.filer.save()
    assert cmecf_account_readiness(account, now=AFTER_GOLIVE) == Readiness.NO_PACER


@pytest.mark.django_db
def test_different_names_are_a_mismatch_for_the_help_desk():
    account = account_at_live_montana()
    account.cmecf_name = "Joan Attorney-Smith"
    account.save()
    assert cmecf_account_readiness(account, now=AFTER_GOLIVE) == Readiness.NAME_MISMATCH


@pytest.mark.django_db
def test_case_and_punctuation_do_not_make_a_mismatch():
    account = account_at_live_montana()
    account.cmecf_name = "JOHN Q ATTORNEY "
    account.save()
    assert cmecf_account_readiness(account, now=AFTER_GOLIVE) == Readiness.READY


@pytest.mark.django_db
def test_help_desk_flag_makes_a_mismatch_even_when_names_agree():
    account = account_at_live_montana()
    account.name_review = NameReview.FLAGGED
    account.save()
    assert cmecf_account_readiness(account, now=AFTER_GOLIVE) == Readiness.NAME_MISMATCH


@pytest.mark.django_db
def test_help_desk_verification_accepts_differing_names():
    account = account_at_live_montana()
    account.cmecf_name = "Johnny Attorney"
    account.name_review = NameReview.VERIFIED
    account.save()
    assert cmecf_account_readiness(account, now=AFTER_GOLIVE) == Readiness.READY


@pytest.mark.django_db
def test_account_waits_until_the_court_is_live():
    account = account_at_live_montana()
    golive = account.court.golives.get()
    golive.status = GoLiveStatus.SCHEDULED
    golive.save()
    before = dt.datetime(2021, 9, 27, 5, 59, tzinfo=UTC)  # 23:59 on 26 Sep in Montana
    at = dt.datetime(2021, 9, 27, 6, 0, tzinfo=UTC)  # midnight in Montana
    assert cmecf_account_readiness(account, now=before) == Readiness.WAITING
    assert cmecf_account_readiness(account, now=at) == Readiness.READY


@pytest.mark.django_db
def test_court_without_go_live_keeps_accounts_waiting():
    account = CmecfAccountFactory(court=montana_court())
    assert cmecf_account_readiness(account, now=AFTER_GOLIVE) == Readiness.WAITING


@pytest.mark.django_db
def test_linked_account_is_linked_whatever_else_holds():
    account = account_at_live_montana()
    account.linked_at = dt.datetime(2021, 10, 1, tzinfo=UTC)
    account.save()
    assert cmecf_account_readiness(account, now=AFTER_GOLIVE) == Readiness.LINKED
