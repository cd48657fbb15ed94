"""One time zone story: a Utah administrator records a link at 13:31 Mountain time, and every page and
export shows 13:31 MST, whatever the server's or the user's own zone."""
import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from accounts.models import CmecfAccount, UserPreference
from courts.models import Court
from accounts.services import user_preference_set_time_zone
from tests.accounts.admin_helpers import bulk_ready_accounts, live
from tests.factories import utah_administrator, utah_court

pytestmark = pytest.mark.django_db
LIST = reverse("admin:accounts_cmecfaccount_changelist")
# A November afternoon: Utah keeps MST (UTC−7); the server's TIME_ZONE is New York's.
LINKED = dt.datetime(2025, 11, 20, 13, 31, tzinfo=ZoneInfo("America/Denver"))


@pytest.fixture
def utah_client(client, settings):
    settings.TIME_ZONE = "America/New_York"
    user = utah_administrator()
    live(utah_court(), dt.date(2021, 9, 27))
    bulk_ready_accounts(utah_court(), 2, "ut")
    client.force_login(user)
    client.user = user
    return client


def _mark_linked(client):
    return client.post(LIST, {"action": "mark_linked", "select_across": "1", "index": "0", "apply": "1",
                              "_selected_action": list(CmecfAccount.objects.values_list("pk", flat=True)),
                              "linked_at_0": "2025-11-20", "linked_at_1": "13:31"})


def _text(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode()


def test_mark_linked_form_says_it_takes_the_courts_zone(utah_client):
    response = utah_client.post(LIST, {"action": "mark_linked", "select_across": "1", "index": "0",
                                       "_selected_action": list(CmecfAccount.objects.values_list("pk", flat=True))})
    page = response.content.decode().replace("&#x27;", "'")
    assert "When the filers linked, in the court's time zone: America/Denver" in page


def test_a_link_recorded_at_1331_mountain_time_is_that_instant(utah_client):
    _mark_linked(utah_client)
    assert set(CmecfAccount.objects.values_list("linked_at", flat=True)) == {LINKED}
    assert LINKED.astimezone(dt.timezone.utc).hour == 20


def test_admin_list_shows_1331_mst(utah_client):
    _mark_linked(utah_client)
    assert "2025-11-20 13:31 MST" in _text(utah_client.get(LIST))


def test_admin_account_page_shows_1331_mst(utah_client):
    _mark_linked(utah_client)
    account = CmecfAccount.objects.first()
    page = _text(utah_client.get(reverse("admin:accounts_cmecfaccount_change", args=[account.pk])))
    assert "2025-11-20 13:31 MST" in page


def test_admin_export_shows_1331_mst(utah_client):
    _mark_linked(utah_client)
    response = utah_client.post(LIST, {"action": "export_csv", "select_across": "1", "index": "0",
                                       "_selected_action": list(CmecfAccount.objects.values_list("pk", flat=True))})
    rows = list(csv.reader(io.StringIO(_text(response))))
    assert rows[1][7] == "2025-11-20 13:31 MST"


def test_dashboard_court_page_and_its_exports_show_1331_mst(utah_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the stored counts follow the links
        _mark_linked(utah_client)
    assert "2025-11-20 13:31 MST" in _text(utah_client.get(reverse("dashboard:court", args=["utdc"])))
    rows = list(csv.reader(io.StringIO(_text(utah_client.get(reverse("dashboard:court_csv", args=["utdc"]))))))
    assert {row[5] for row in rows[1:]} == {"2025-11-20 13:31 MST"}


def test_a_user_in_another_zone_still_sees_the_courts_time(utah_client):
    user_preference_set_time_zone(utah_client.user, "Pacific/Honolulu")
    utah_client.force_login(utah_client.user)  # a new session reads the preference
    _mark_linked(utah_client)
    assert set(CmecfAccount.objects.values_list("linked_at", flat=True)) == {LINKED}
    assert "2025-11-20 13:31 MST" in _text(utah_client.get(LIST))


def test_the_users_own_zone_applies_to_times_not_tied_to_a_court(utah_client):
    user_preference_set_time_zone(utah_client.user, "Pacific/Honolulu")
    utah_client.force_login(utah_client.user)
    assert "HST" in _text(utah_client.get(reverse("preferences")))


def test_the_preferences_page_sets_the_users_zone(utah_client):
    response = utah_client.post(reverse("preferences"), {"time_zone": "America/Denver"}, follow=True)
    assert utah_client.user.preference.time_zone == "America/Denver"
    assert "M" in response.context["now"].strftime("%Z")  # MST or MDT


def test_go_live_rows_carry_no_server_time_note(utah_client, settings):
    page = _text(utah_client.get(reverse("admin:courts_golive_changelist")))
    assert "server time" not in page
    assert "rollout/admin.css" in page  # the stylesheet that hides Django's script-added note


def test_the_preferences_page_offers_the_courts_zones_and_keeps_the_users_own(utah_client):
    user_preference_set_time_zone(utah_client.user, "Pacific/Honolulu")
    choices = dict(utah_client.get(reverse("preferences")).context["form"].fields["time_zone"].choices)
    courts_zones = set(Court.objects.values_list("time_zone", flat=True))
    assert courts_zones and courts_zones | {"UTC", "Pacific/Honolulu"} == set(choices) - {""}


def test_the_preferences_page_refuses_a_zone_no_court_keeps(utah_client):
    response = utah_client.post(reverse("preferences"), {"time_zone": "Europe/Paris"})
    assert response.status_code == 200 and "Select a valid choice" in _text(response)
    assert not UserPreference.objects.filter(user=utah_client.user, time_zone="Europe/Paris").exists()
