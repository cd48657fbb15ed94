"""A PACER account counts as legacy when it was created before August 11, 2014 or when no creation
date is on record (the conservative reading). The notices and the filer's page say it is a legacy
account only when the date shows it; with no date they say it may be one, and what to do if it is."""
import datetime as dt

import pytest
from django.core import mail

from accounts.models import PacerAccount
from courts.models import GoLiveStatus
from rollout.notices.models import DeliveryState, NoticeDelivery
from rollout.notices.sending import deliveries_send, new_claim_token
from tests.factories import GoLiveFactory, filer_at, montana_court

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2027, 5, 20, 18, tzinfo=dt.timezone.utc)
SURE = "is a legacy account (created before August 11, 2014)"
MAYBE = "no creation date on record for your PACER account"


@pytest.fixture(autouse=True)
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def sent_to_legacy_filer(kind: str, created_on: dt.date | None):
    court = montana_court()
    live = kind in ("golive", "reminder")
    golive = GoLiveFactory(court=court, go_live_date=dt.date(2027, 5, 17) if live else dt.date(2027, 6, 14),
                           status=GoLiveStatus.LIVE if live else GoLiveStatus.SCHEDULED)
    account = filer_at(court, state="legacy")
    PacerAccount.objects.filter(pk=account.filer.pacer_account_id).update(created_on=created_on)
    row = NoticeDelivery.objects.create(filer=account.filer, court=court, golive=golive, kind=kind, notice=kind)
    deliveries_send([row.id], claimed_by=new_claim_token(), now=NOW)
    assert NoticeDelivery.objects.get(id=row.id).state == DeliveryState.SENT
    (message,) = mail.outbox
    (html, _), = message.alternatives
    return " ".join(message.body.split()), " ".join(html.split())


@pytest.mark.parametrize("kind", ["prepare", "golive", "reminder"])
def test_an_account_with_no_creation_date_is_called_possibly_legacy(kind):
    for part in sent_to_legacy_filer(kind, None):
        assert MAYBE in part and "If it was created before August 11, 2014 (a legacy account)" in part
        assert SURE not in part


@pytest.mark.parametrize("kind", ["prepare", "golive", "reminder"])
def test_an_account_created_before_the_cutoff_is_called_legacy(kind):
    for part in sent_to_legacy_filer(kind, dt.date(2009, 3, 2)):
        assert SURE in part and MAYBE not in part
