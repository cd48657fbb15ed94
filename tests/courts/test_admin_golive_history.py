"""The go-live history (its list and the go-live page's inline) shows what each change did to the filing
pause and the emergency instructions, in the court's zone: a change of the pause alone is announced to
filers, so staff must see it beside the date changes."""
import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from courts.models import GoLiveStatus
from courts.services import golive_set
from tests.factories import GoLiveFactory, montana_court

pytestmark = pytest.mark.django_db
DENVER = ZoneInfo("America/Denver")
BEFORE = dt.datetime(2027, 4, 1, 12, tzinfo=DENVER)


def montana_golive_with_changes():
    """Scheduled for May 10, 2027 with a pause Fri 17:00 – Mon 08:00; then the pause is cut, then
    emergency instructions are added."""
    golive = GoLiveFactory(court=montana_court(), go_live_date=dt.date(2027, 5, 10), status=GoLiveStatus.SCHEDULED)
    pause = (dt.datetime(2027, 5, 7, 17, tzinfo=DENVER), dt.datetime(2027, 5, 10, 8, tzinfo=DENVER))
    golive_set(golive, golive.go_live_date, GoLiveStatus.SCHEDULED, blackout=pause, now=BEFORE)
    golive_set(golive, golive.go_live_date, GoLiveStatus.SCHEDULED, blackout=(pause[0], pause[1] - dt.timedelta(hours=8)),
               now=BEFORE)
    golive_set(golive, golive.go_live_date, GoLiveStatus.SCHEDULED, emergency="Email <b>emergency@mtd.uscourts.gov</b>.",
               now=BEFORE)
    return golive


def page_text(client, url) -> str:
    return client.get(url).content.decode().replace("&#x27;", "'")


def history_url(page: str, golive) -> str:
    """The go-live history's own list, or the go-live's page with the history at its foot."""
    return (reverse("admin:courts_golivechange_changelist") if page == "history"
            else reverse("admin:courts_golive_change", args=[golive.pk]))


def history_page(client, page: str, golive) -> str:
    """The page's text as read (the markup that keeps a date on one line taken out)."""
    return re.sub(r"<[^>]+>", "", page_text(client, history_url(page, golive)))


@pytest.mark.parametrize("page", ["history", "go-live page"])
def test_the_history_shows_each_pause_change_in_the_courts_zone(client, viewer, page):
    text = history_page(client, page, montana_golive_with_changes())
    assert "none → 2027-05-07 17:00 – 2027-05-10 08:00 MDT" in text
    assert "2027-05-07 17:00 – 2027-05-10 08:00 MDT → 2027-05-07 17:00 – 2027-05-10 00:00 MDT" in text
    assert "2027-05-07 17:00 – 2027-05-10 00:00 MDT (unchanged)" in text


@pytest.mark.parametrize("page", ["history", "go-live page"])
def test_the_history_shows_a_change_of_the_emergency_instructions_escaped(client, viewer, page):
    golive = montana_golive_with_changes()
    assert "(none) → Email &lt;b&gt;emergency@mtd.uscourts.gov&lt;/b&gt;." in history_page(client, page, golive)
    assert "<b>emergency@" not in page_text(client, history_url(page, golive))


def test_a_pause_across_the_change_to_summer_time_names_both_zones(client, viewer):
    golive = GoLiveFactory(court=montana_court(), go_live_date=dt.date(2027, 3, 15), status=GoLiveStatus.SCHEDULED)
    pause = (dt.datetime(2027, 3, 12, 17, tzinfo=DENVER), dt.datetime(2027, 3, 15, 8, tzinfo=DENVER))
    golive_set(golive, golive.go_live_date, GoLiveStatus.SCHEDULED, blackout=pause, now=dt.datetime(2027, 2, 1, tzinfo=DENVER))
    text = history_page(client, "history", golive)
    assert "none → 2027-03-12 17:00 MST – 2027-03-15 08:00 MDT" in text


def test_the_history_shows_each_date_and_status_as_before_and_after(client, viewer):
    golive = GoLiveFactory(court=montana_court(), go_live_date=dt.date(2027, 5, 10), status=GoLiveStatus.SCHEDULED)
    golive_set(golive, dt.date(2027, 6, 7), GoLiveStatus.SCHEDULED, now=BEFORE)
    golive_set(golive, dt.date(2027, 6, 7), GoLiveStatus.POSTPONED, now=BEFORE)
    text = history_page(client, "history", golive)
    assert "2027-05-10 → 2027-06-07" in text
    assert "Scheduled → Postponed" in text


def test_a_date_or_an_instant_in_the_history_never_breaks_across_lines(client, viewer):
    golive = montana_golive_with_changes()
    html = page_text(client, history_url("history", golive))
    assert '<span class="nowrap">2027-05-07 17:00</span> – <span class="nowrap">2027-05-10 08:00 MDT</span>' in html


def test_the_history_says_who_made_each_change_and_through_what(client, viewer):
    golive = GoLiveFactory(court=montana_court(), go_live_date=dt.date(2027, 5, 10), status=GoLiveStatus.SCHEDULED)
    golive_set(golive, dt.date(2027, 6, 7), GoLiveStatus.SCHEDULED, by=viewer, source="admin", now=BEFORE)
    golive_set(golive, dt.date(2027, 6, 14), GoLiveStatus.SCHEDULED, source="court announcement", now=BEFORE)
    text = history_page(client, "go-live page", golive)
    assert f"{viewer.username} (admin)" in text and "court announcement" in text
