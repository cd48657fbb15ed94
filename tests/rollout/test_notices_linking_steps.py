"""What the go-live notice and the reminders tell a filer about linking: the steps say what the
courts' own notices say at the two points where linking stops (a forgotten CM/ECF login, names that
do not match on the confirm screen), and a go-live notice sent during the filing pause says so."""
import datetime as dt

import pytest

from courts.models import GoLiveStatus
from rollout.notices.messages import MessageBuilder
from rollout.notices.models import NoticeDelivery
from tests.factories import GoLiveFactory, filer_at, montana_court

pytestmark = pytest.mark.django_db


def message(kind: str):
    court = montana_court()
    golive = GoLiveFactory(court=court, go_live_date=dt.date(2027, 5, 17), status=GoLiveStatus.LIVE)
    account = filer_at(court, state="ready")
    row = NoticeDelivery.objects.create(filer=account.filer, court=court, golive=golive, kind=kind, notice=kind)
    row = NoticeDelivery.objects.select_related("filer", "court", "golive", "change").get(id=row.id)
    built = MessageBuilder(dt.datetime(2027, 5, 20, 18, tzinfo=dt.timezone.utc)).build(row, "ready")
    (html, _), = built.alternatives
    return " ".join(built.body.split()), " ".join(html.split())


@pytest.mark.parametrize("kind", ["golive", "reminder"])
def test_the_steps_say_whom_to_ask_for_a_forgotten_cmecf_login(kind):
    for part in message(kind):
        assert "If you do not know them, call the court's CM/ECF help desk to have them reset." in part


@pytest.mark.parametrize("kind", ["golive", "reminder"])
def test_the_steps_say_to_go_back_when_the_names_do_not_match(kind):
    for part in message(kind):
        assert "If they do not match, go back and call the help desk instead." in part


def go_live_notice_at(now: dt.datetime):
    court = montana_court()
    mdt = dt.timezone(dt.timedelta(hours=-6))
    golive = GoLiveFactory(court=court, go_live_date=dt.date(2027, 5, 10), status=GoLiveStatus.LIVE,
                           blackout_start=dt.datetime(2027, 5, 7, 17, tzinfo=mdt),
                           blackout_end=dt.datetime(2027, 5, 10, 8, tzinfo=mdt))
    account = filer_at(court, state="ready")
    row = NoticeDelivery.objects.create(filer=account.filer, court=court, golive=golive, kind="golive", notice="golive")
    row = NoticeDelivery.objects.select_related("filer", "court", "golive", "change").get(id=row.id)
    built = MessageBuilder(now).build(row, "ready")
    (html, _), = built.alternatives
    return " ".join(built.body.split()), " ".join(html.split())


def test_a_go_live_notice_sent_during_the_filing_pause_says_when_it_ends():
    """Sent just after midnight on go-live day, while filing is paused until 8 AM."""
    for part in go_live_notice_at(dt.datetime(2027, 5, 10, 6, 30, tzinfo=dt.timezone.utc)):
        assert "Electronic filing here is paused" in part and "8:00 AM MDT" in part


def test_a_go_live_notice_sent_after_the_pause_does_not_mention_it():
    for part in go_live_notice_at(dt.datetime(2027, 5, 11, 18, tzinfo=dt.timezone.utc)):
        assert "paused" not in part


MDT = dt.timezone(dt.timedelta(hours=-6))


def go_live_notice_marked_live_early(marked_at: dt.datetime):
    """Announced: filing pauses Fri May 7 17:00 – Mon May 10 08:00 MDT; the court is marked live at
    `marked_at` and its go-live notice built an hour later."""
    from courts.services import golive_mark_live

    court = montana_court()
    golive = GoLiveFactory(court=court, go_live_date=dt.date(2027, 5, 10), status=GoLiveStatus.SCHEDULED,
                           blackout_start=dt.datetime(2027, 5, 7, 17, tzinfo=MDT),
                           blackout_end=dt.datetime(2027, 5, 10, 8, tzinfo=MDT))
    golive_mark_live(golive, now=marked_at)
    account = filer_at(court, state="ready")
    row = NoticeDelivery.objects.create(filer=account.filer, court=court, golive=golive, kind="golive", notice="golive")
    row = NoticeDelivery.objects.select_related("filer", "court", "golive", "change").get(id=row.id)
    built = MessageBuilder(marked_at + dt.timedelta(hours=1)).build(row, "ready")
    (html, _), = built.alternatives
    return " ".join(built.body.split()), " ".join(html.split())


def test_a_court_marked_live_before_its_announced_pause_says_the_pause_does_not_take_place():
    for part in go_live_notice_marked_live_early(dt.datetime(2027, 5, 3, 12, tzinfo=MDT)):
        assert ("The filing pause announced from Friday, May 7, 2027 at 5:00 PM MDT until Monday, May 10, 2027 "
                "at 8:00 AM MDT does not take place") in part


def test_a_court_marked_live_during_its_pause_says_the_pause_ended_early():
    for part in go_live_notice_marked_live_early(dt.datetime(2027, 5, 8, 12, tzinfo=MDT)):
        assert "The filing pause announced until Monday, May 10, 2027 at 8:00 AM MDT ended early" in part
        assert "Electronic filing here is paused" not in part


def test_a_court_live_on_its_day_with_its_pause_says_nothing_was_called_off():
    for part in go_live_notice_at(dt.datetime(2027, 5, 10, 6, 30, tzinfo=dt.timezone.utc)):
        assert "does not take place" not in part and "ended early" not in part
