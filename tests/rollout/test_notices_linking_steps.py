"""The linking steps in the go-live notice and the reminders say what the courts' own notices say a
filer must know at the two points where linking stops: a forgotten CM/ECF login, and names that do
not match on the confirm screen."""
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
