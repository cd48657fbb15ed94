"""The go-live, go-live change and court pages of the admin read and take a court's times in that court's
zone, and say so; the go-live history's date filter cuts days at each court's midnight. The viewer is in
New York (the site's zone, no preference of their own)."""
import datetime as dt
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courts.models import Court, GoLive, GoLiveChange, GoLiveStatus
from courts.selectors import rollout_current
from tests.factories import GoLiveFactory, UserFactory, guam_court, hawaii_court, montana_administrator, montana_court

pytestmark = pytest.mark.django_db
UTC = dt.timezone.utc
HONOLULU = ZoneInfo("Pacific/Honolulu")
# 2026-03-10 09:00 in Guam (ChST, UTC+10) is 2026-03-09 19:00 in New York.
GUAM_TUESDAY_MORNING = dt.datetime(2026, 3, 9, 23, 0, tzinfo=UTC)



def _add_golive_form(court, go_live: dt.date) -> dict:
    before = go_live - dt.timedelta(days=3)
    return {"court": court.pk, "rollout": rollout_current().pk, "go_live_date": go_live.isoformat(),
            "status": GoLiveStatus.SCHEDULED,
            "blackout_start_0": before.isoformat(), "blackout_start_1": "17:00:00",
            "blackout_end_0": go_live.isoformat(), "blackout_end_1": "08:00:00",
            "emergency_filing_instructions": "", "prepare_days_before": "30", "reminder_days_after": "[7, 14, 30]",
            "changes-TOTAL_FORMS": "0", "changes-INITIAL_FORMS": "0", "changes-MIN_NUM_FORMS": "0",
            "changes-MAX_NUM_FORMS": "1000", "_save": "Save"}


def test_golive_add_page_takes_the_blackout_in_the_chosen_courts_zone(client, viewer):
    court = hawaii_court()
    go_live = dt.date.today() + dt.timedelta(days=200)
    response = client.post(reverse("admin:courts_golive_add"), _add_golive_form(court, go_live))
    assert response.status_code == 302, response.content.decode()[:2000]
    golive = GoLive.objects.get(court=court)
    # 17:00 and 08:00 Hawaii time, as the help text says, not New York's.
    assert golive.blackout_start == dt.datetime.combine(go_live - dt.timedelta(days=3), dt.time(17), tzinfo=HONOLULU)
    assert golive.blackout_end == dt.datetime.combine(go_live, dt.time(8), tzinfo=HONOLULU)


def test_golive_add_page_says_whose_zone_its_times_are_in(client, viewer):
    court = hawaii_court()
    page = client.get(reverse("admin:courts_golive_add")).content.decode().replace("&#x27;", "'")
    assert "Times on this page are in the time zone of the court you choose." in page
    page = client.get(reverse("admin:courts_golive_add"), {"court": court.pk}).content.decode().replace("&#x27;", "'")
    assert "Times on this page are in HIDC's time zone, Pacific/Honolulu" in page


def test_golive_add_page_never_reads_a_form_in_the_zone_of_a_court_outside_the_users(client, settings):
    """A court administrator (here allowed to add go-lives) posting another court's id: the form refuses
    the court, and the page is not read or shown in that court's zone."""
    from django.contrib.auth.models import Permission

    settings.TIME_ZONE = "America/New_York"
    user = montana_administrator()
    user.user_permissions.add(Permission.objects.get(codename="add_golive"))
    client.force_login(user)
    hawaii = hawaii_court()
    go_live = dt.date.today() + dt.timedelta(days=200)
    response = client.post(reverse("admin:courts_golive_add"), _add_golive_form(hawaii, go_live))
    page = response.content.decode().replace("&#x27;", "'")
    assert response.status_code == 200
    assert not GoLive.objects.filter(court=hawaii).exists()
    assert "Pacific/Honolulu" not in page and "HIDC's time zone" not in page
    response = client.post(reverse("admin:courts_golive_add"), _add_golive_form(montana_court(), go_live))
    assert response.status_code == 302
    golive = GoLive.objects.get(court=montana_court())
    assert golive.blackout_end == dt.datetime.combine(go_live, dt.time(8), tzinfo=ZoneInfo("America/Denver"))


def test_golive_change_page_shows_the_change_in_the_courts_zone(client, viewer):
    court = guam_court()
    golive = GoLiveFactory(court=court, go_live_date=dt.date(2026, 3, 10), status=GoLiveStatus.LIVE)
    change = GoLiveChange.objects.create(golive=golive, new_date=dt.date(2026, 3, 10), old_status="scheduled",
                                         new_status="live", source="schedule", changed_at=GUAM_TUESDAY_MORNING)
    page = client.get(reverse("admin:courts_golivechange_change", args=[change.pk])).content.decode()
    page = page.replace("&#x27;", "'")
    assert "2026-03-10 09:00 ChST" in page
    assert "2026-03-09 19:00 EDT" not in page
    assert "Times on this page are in GUDC's time zone, Pacific/Guam" in page


def test_court_change_page_shows_its_own_times_in_its_zone(client, viewer):
    court = guam_court()
    Court.objects.filter(pk=court.pk).update(created_at=GUAM_TUESDAY_MORNING, updated_at=GUAM_TUESDAY_MORNING)
    page = client.get(reverse("admin:courts_court_change", args=[court.pk])).content.decode().replace("&#x27;", "'")
    assert page.count("2026-03-10 09:00 ChST") == 2  # created and updated
    assert "EDT" not in page
    assert "Times on this page are in GUDC's time zone, Pacific/Guam" in page


def _change(court, at: dt.datetime) -> GoLiveChange:
    golive = GoLive.objects.filter(court=court).first() or GoLiveFactory(
        court=court, go_live_date=dt.date(2026, 3, 10), status=GoLiveStatus.LIVE)
    return GoLiveChange.objects.create(golive=golive, new_date=dt.date(2026, 3, 10), old_status="scheduled",
                                       new_status="live", source="schedule", changed_at=at)


def _listed(client, **params) -> set[int]:
    response = client.get(reverse("admin:courts_golivechange_changelist"), params)
    assert response.status_code == 200
    return {change.pk for change in response.context["cl"].result_list}


def test_golive_history_filters_a_day_by_each_courts_own_midnight(client, viewer):
    guam = _change(guam_court(), GUAM_TUESDAY_MORNING)  # Guam Tuesday 09:00; New York Monday 19:00
    montana = _change(montana_court(), dt.datetime(2026, 3, 10, 2, 0, tzinfo=UTC))  # Montana Monday 20:00 MDT
    assert _listed(client, court_day="2026-03-10") == {guam.pk}
    assert _listed(client, court_day="2026-03-09") == {montana.pk}


def test_golive_history_today_is_each_courts_today(client, viewer):
    now = GUAM_TUESDAY_MORNING  # Guam: Tuesday 09:00; Montana: Monday 17:00
    guam_today = _change(guam_court(), now - dt.timedelta(hours=1))  # Guam Tuesday 08:00
    guam_yesterday = _change(guam_court(), now - dt.timedelta(hours=10))  # Guam Monday 23:00 (New York's today)
    montana_today = _change(montana_court(), dt.datetime(2026, 3, 9, 7, 0, tzinfo=UTC))  # Montana Monday 01:00
    with mock.patch("django.utils.timezone.now", return_value=now):
        listed = _listed(client, court_day="today")
    assert listed == {guam_today.pk, montana_today.pk}
    assert guam_yesterday.pk not in listed


def test_golive_history_offers_no_filter_by_the_viewers_days(client, viewer):
    _change(guam_court(), GUAM_TUESDAY_MORNING)
    page = client.get(reverse("admin:courts_golivechange_changelist")).content.decode()
    assert "changed_at__" not in page  # neither the date hierarchy nor Django's date filter
    assert "date (court time)" in page
    assert client.get(reverse("admin:courts_golivechange_changelist"), {"court_day": "2026-02-30"}).status_code == 302


def test_golive_page_reads_its_history_in_a_fixed_number_of_queries(client, viewer):
    court = montana_court()
    golive = GoLiveFactory(court=court, go_live_date=dt.date(2027, 3, 1), status=GoLiveStatus.SCHEDULED)
    url = reverse("admin:courts_golive_change", args=[golive.pk])

    def add_changes(n: int, start: int) -> None:
        GoLiveChange.objects.bulk_create(
            GoLiveChange(golive=golive, old_date=dt.date(2027, 2, 1), new_date=dt.date(2027, 3, 1),
                         new_status=GoLiveStatus.SCHEDULED, changed_by=UserFactory(username=f"changer{start + i}"),
                         reason=f"change {start + i}") for i in range(n))

    add_changes(2, 0)
    assert client.get(url).status_code == 200  # caches (content types, sessions) filled
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    add_changes(18, 2)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert response.status_code == 200 and response.content.decode().count("change 1") >= 11
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]



def test_a_court_site_typed_without_a_scheme_is_saved_as_https(client, viewer):
    court = guam_court()
    url = reverse("admin:courts_court_change", args=[court.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, (list, dict))}
    data.update(login_url="ecf.gud.uscourts.gov", help_desk_phones="[]", locations="[]")
    assert client.post(url, data).status_code == 302
    assert Court.objects.get(pk=court.pk).login_url == "https://ecf.gud.uscourts.gov"
