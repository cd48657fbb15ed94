"""The weekly digests' list: a digest that failed, or may have gone twice, is seen in the admin with
why. A digest lists every court its administrator administers, so each administrator sees their own
only; a superuser sees every one."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.services import user_preference_set_time_zone
from rollout.notices.digest import digests_send_due
from rollout.notices.models import AdminDigest, DeliveryState
from tests.factories import (
    GoLiveFactory, court_admin_user, montana_administrator, montana_court, superuser, utah_administrator, utah_court,
)

pytestmark = pytest.mark.django_db
LIST = reverse("admin:rollout_admindigest_changelist")
MONDAY_9AM_NY = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def digests(smtp_sink):
    """This week's digests, sent: Montana's administrator's, a second Montana administrator's (the same
    court) and Utah's administrator's, refused for good by the server."""
    GoLiveFactory(court=montana_court(), go_live_date=dt.date(2026, 12, 1))
    GoLiveFactory(court=utah_court(), go_live_date=dt.date(2027, 1, 4))
    users = {"montana": montana_administrator(),
             "colleague": court_admin_user("mt-colleague", montana_court(), email="colleague@mtd.example.gov"),
             "utah": utah_administrator()}
    smtp_sink.refuse_5xx = {"clerk@utd.example.gov"}
    digests_send_due(MONDAY_9AM_NY)
    return users


def listed(client, user, **query) -> set[str]:
    client.force_login(user)
    response = client.get(LIST, query)
    assert response.status_code == 200
    return {row.user.username for row in response.context["cl"].result_list}


def test_a_court_administrator_sees_their_own_digest_only(client, digests):
    """Not a colleague's at the same court: it may list courts the user does not administer."""
    assert listed(client, digests["montana"]) == {"montana-admin"}


def test_another_administrators_digest_answers_404(client, digests):
    client.force_login(digests["montana"])
    colleague = AdminDigest.objects.get(user=digests["colleague"])
    assert client.get(reverse("admin:rollout_admindigest_change", args=[colleague.pk])).status_code == 404


def test_a_superuser_sees_every_administrators_digest(client, digests):
    assert listed(client, superuser()) == {"montana-admin", "mt-colleague", "utah-admin"}


def test_a_digest_the_server_refused_shows_on_the_list_with_the_servers_reply(client, digests):
    client.force_login(digests["utah"])
    page = client.get(LIST, {"state__exact": DeliveryState.FAILED}).content.decode()
    assert "Failed" in page and "550" in page


def test_the_failed_filter_lists_only_the_failed_digests(client, digests):
    assert listed(client, superuser(), state__exact=DeliveryState.FAILED) == {"utah-admin"}


def test_a_digest_is_shown_by_the_first_day_of_its_week(client, digests):
    client.force_login(digests["montana"])
    assert "Monday, November 23, 2026" in client.get(LIST).content.decode()


def test_the_week_filter_lists_that_weeks_digests_only(client, digests):
    AdminDigest.objects.create(user=digests["montana"], week=dt.date(2026, 11, 16), state=DeliveryState.FAILED,
                               last_error="Its week was over before it could be sent.")
    client.force_login(digests["montana"])
    rows = client.get(LIST, {"week": "2026-11-16"}).context["cl"].result_list
    assert [row.week for row in rows] == [dt.date(2026, 11, 16)]


def test_the_time_it_was_sent_is_in_the_viewers_own_zone_and_named(client, digests):
    """A digest is no court's: its time follows the viewer's preference, with the zone's abbreviation."""
    user_preference_set_time_zone(digests["montana"], "America/Denver")
    sent_at = AdminDigest.objects.get(user=digests["montana"]).sent_at
    client.force_login(digests["montana"])
    page = client.get(LIST).content.decode()
    assert sent_at.astimezone(dt.timezone(dt.timedelta(hours=-7))).strftime("%Y-%m-%d %H:%M MST") in page
    assert "sent at (your time)" in page.lower()


def test_the_list_reads_the_same_queries_for_few_and_many_digests(client, digests):
    coordinator = superuser()
    client.force_login(coordinator)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(LIST).status_code == 200
        return len(captured)

    queries()  # the session's first request also reads the user's zone (accounts.middleware)
    few = queries()
    AdminDigest.objects.bulk_create(AdminDigest(user=court_admin_user(f"extra-{n}", montana_court()),
                                                week=dt.date(2026, 11, 23), state=DeliveryState.SENT) for n in range(5))
    assert queries() == few


def test_the_digests_own_page_shows_its_whole_last_error(client, digests):
    """The list cuts the error short; the digest's page gives all of it."""
    row = AdminDigest.objects.get(user=digests["utah"])
    row.last_error = f"{row.last_error} {'x' * 150} the end of the reply"
    row.save(update_fields=["last_error"])
    client.force_login(digests["utah"])
    response = client.get(reverse("admin:rollout_admindigest_change", args=[row.pk]))
    assert response.status_code == 200 and "the end of the reply" in response.content.decode()
