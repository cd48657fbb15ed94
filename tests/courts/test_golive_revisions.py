"""The go-live's calendar event is revised (its SEQUENCE rises) when what its description gives
changes: new emergency instructions count only while a filing pause is set, since only then does
the description give them."""
import datetime as dt

import pytest

from courts.models import GoLiveStatus
from courts.selectors import golive_revisions
from courts.services import golive_change
from tests.factories import GoLiveFactory, montana_court

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2027, 4, 1, 18, tzinfo=dt.timezone.utc)
DAY = dt.date(2027, 4, 19)


def scheduled(with_pause: bool):
    court = montana_court()
    pause = {"blackout_start": court.local_midnight(DAY) - dt.timedelta(hours=7),
             "blackout_end": court.local_midnight(DAY) + dt.timedelta(hours=8)} if with_pause else {}
    return GoLiveFactory(court=court, go_live_date=DAY, status=GoLiveStatus.SCHEDULED, **pause)


def new_instructions(golive, text="Email emergency filings to intake@mtd.uscourts.gov."):
    golive_change(golive, new_date=golive.go_live_date, new_status=golive.status, emergency=text, now=NOW)


def test_new_emergency_instructions_for_a_set_pause_revise_the_event():
    golive = scheduled(with_pause=True)
    new_instructions(golive)
    assert golive_revisions(golive) == 1


def test_emergency_instructions_saved_with_no_pause_do_not_revise_the_event():
    golive = scheduled(with_pause=False)
    new_instructions(golive)
    assert golive_revisions(golive) == 0
