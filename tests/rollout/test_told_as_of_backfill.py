"""Migration 0014: notices sent before the sent mark recorded the go-live's last change get the last
change made before they were sent."""
import datetime as dt
import importlib

import pytest
from django.apps import apps

from courts.models import GoLiveChange, GoLiveStatus
from rollout.notices.models import DeliveryState, NoticeDelivery, NoticeKind
from tests.factories import GoLiveFactory, filer_at, montana_court

pytestmark = pytest.mark.django_db
UTC = dt.timezone.utc
backfill = importlib.import_module("rollout.migrations.0014_told_as_of_backfill").told_as_of_from_send_time


def test_a_notice_sent_between_two_changes_told_the_first():
    court = montana_court()
    golive = GoLiveFactory(court=court, go_live_date=dt.date(2027, 5, 10), status=GoLiveStatus.SCHEDULED)
    sent_at = dt.datetime(2027, 4, 1, 12, tzinfo=UTC)
    before, after = (GoLiveChange.objects.create(golive=golive, old_date=day, new_date=day, old_status="scheduled",
                                                 new_status="scheduled", changed_at=sent_at + offset)
                     for day, offset in ((dt.date(2027, 5, 3), -dt.timedelta(hours=1)),
                                         (dt.date(2027, 5, 10), dt.timedelta(hours=1))))
    filers = [filer_at(court, login=f"mt{i}").filer for i in range(2)]
    sent = NoticeDelivery.objects.create(filer=filers[0], court=court, golive=golive, kind=NoticeKind.PREPARE,
                                         notice="prepare", state=DeliveryState.SENT, sent_at=sent_at)
    earlier = NoticeDelivery.objects.create(filer=filers[1], court=court, golive=golive, kind=NoticeKind.PREPARE,
                                            notice="prepare", state=DeliveryState.SENT,
                                            sent_at=sent_at - dt.timedelta(days=1))
    backfill(apps, None)
    sent.refresh_from_db()
    earlier.refresh_from_db()
    assert sent.told_as_of_id == before.id
    assert earlier.told_as_of_id is None  # sent before any change
