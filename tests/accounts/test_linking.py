import datetime as dt

import pytest

from accounts.readiness import Readiness
from accounts.services import LinkRefused, cmecf_account_link, cmecf_account_unlink
from courts.models import GoLiveStatus
from tests.factories import CmecfAccountFactory, FilerFactory, GoLiveFactory, PacerAccountFactory, montana_court, utah_filer_with_legacy_account

UTC = dt.timezone.utc


def ready_account():
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=dt.date(2021, 9, 27), status=GoLiveStatus.SCHEDULED)
    filer = FilerFactory(name="John Q. Attorney", pacer_account=PacerAccountFactory(holder_name="John Q. Attorney"))
    return CmecfAccountFactory(filer=filer, court=court, login="attornjq")


@pytest.mark.django_db
def test_ready_account_links_once_the_court_is_live():
    account = cmecf_account_link(ready_account(), linked_at=dt.datetime(2021, 9, 28, 15, tzinfo=UTC))
    assert account.linked_at == dt.datetime(2021, 9, 28, 15, tzinfo=UTC)
    assert account.login_retired


@pytest.mark.django_db
def test_linking_before_go_live_is_refused():
    with pytest.raises(LinkRefused) as refused:
        cmecf_account_link(ready_account(), linked_at=dt.datetime(2021, 9, 26, 15, tzinfo=UTC))
    assert refused.value.readiness == Readiness.WAITING
    assert "not live" in str(refused.value)


@pytest.mark.django_db
def test_linking_is_done_once_per_court():
    account = cmecf_account_link(ready_account(), linked_at=dt.datetime(2021, 9, 28, tzinfo=UTC))
    with pytest.raises(LinkRefused) as refused:
        cmecf_account_link(account, linked_at=dt.datetime(2021, 10, 2, tzinfo=UTC))
    assert refused.value.readiness == Readiness.LINKED
    account.refresh_from_db()
    assert account.linked_at == dt.datetime(2021, 9, 28, tzinfo=UTC)


@pytest.mark.django_db
def test_legacy_account_link_is_refused_with_the_reason():
    with pytest.raises(LinkRefused, match="must be upgraded first"):
        cmecf_account_link(utah_filer_with_legacy_account(), linked_at=dt.datetime(2022, 1, 1, tzinfo=UTC))


@pytest.mark.django_db
def test_unlink_corrects_a_mistaken_record():
    account = cmecf_account_link(ready_account(), linked_at=dt.datetime(2021, 9, 28, tzinfo=UTC))
    assert cmecf_account_unlink(account).linked_at is None


@pytest.mark.django_db
def test_cmecf_login_is_unique_per_court_only():
    from django.db import IntegrityError, transaction

    from tests.factories import utah_court

    first = ready_account()
    CmecfAccountFactory(filer=first.filer, court=utah_court(), login="attornjq")  # same login, other court: fine
    with pytest.raises(IntegrityError), transaction.atomic():
        from accounts.models import CmecfAccount

        CmecfAccount.objects.create(filer=first.filer, court=first.court, login="attornjq", cmecf_name="x")


@pytest.mark.django_db
def test_a_court_marked_live_was_not_live_before_its_go_live_so_an_earlier_link_is_refused():
    from courts.models import GoLive

    account = ready_account()
    GoLive.objects.filter(court=account.court).update(status=GoLiveStatus.LIVE)
    with pytest.raises(LinkRefused) as refused:
        cmecf_account_link(account, linked_at=dt.datetime(2021, 9, 26, 15, tzinfo=UTC))
    assert refused.value.readiness == Readiness.WAITING
    assert cmecf_account_link(account, linked_at=dt.datetime(2021, 9, 28, 15, tzinfo=UTC)).linked_at is not None
