import datetime as dt

import pytest
from django.urls import reverse

from courts.models import GoLive, GoLiveChange, GoLiveStatus
from tests.accounts.admin_helpers import bulk_ready_accounts, montana_clerk, montana_court, utah_court
from tests.factories import GoLiveFactory, superuser

pytestmark = pytest.mark.django_db


@pytest.fixture
def golive():
    return GoLiveFactory(court=montana_court(), go_live_date=dt.date(2027, 3, 1), status=GoLiveStatus.SCHEDULED)


def action(name, golives, **extra):
    return {"action": name, "index": "0", "select_across": "0", "_selected_action": [g.pk for g in golives], **extra}


def test_set_date_confirmation_shows_how_many_filers_will_be_told(client, golive):
    bulk_ready_accounts(montana_court(), 7, "mt")
    client.force_login(superuser())
    response = client.post(reverse("admin:courts_golive_changelist"), action("set_golive_date", [golive]))
    assert response.status_code == 200
    assert response.context["rows"] == [(golive, 7)]
    golive.refresh_from_db()
    assert golive.go_live_date == dt.date(2027, 3, 1)


def test_set_date_records_the_change_with_who_and_when(client, golive):
    user = superuser()
    client.force_login(user)
    response = client.post(reverse("admin:courts_golive_changelist"),
                           action("set_golive_date", [golive], apply="1", go_live_date="2027-04-05", reason="Training"))
    assert response.status_code == 302
    change = GoLiveChange.objects.get(golive=golive)
    assert (change.changed_by, change.old_date, change.new_date, change.reason) == (
        user, dt.date(2027, 3, 1), dt.date(2027, 4, 5), "Training")


def test_court_admin_sets_the_date_from_the_courts_list(client, golive):
    clerk = montana_clerk()
    client.force_login(clerk)
    response = client.post(reverse("admin:courts_court_changelist"), {
        "action": "set_golive_date", "index": "0", "select_across": "0",
        "_selected_action": [montana_court().pk, utah_court().pk], "apply": "1", "go_live_date": "2027-05-01"})
    assert response.status_code == 302
    golive.refresh_from_db()
    assert golive.go_live_date == dt.date(2027, 5, 1)
    assert not GoLive.objects.filter(court=utah_court()).exists()  # not theirs: not touched


def test_mark_live_and_postpone_record_history(client, golive):
    user = superuser()
    client.force_login(user)
    client.post(reverse("admin:courts_golive_changelist"), action("postpone", [golive]))
    client.post(reverse("admin:courts_golive_changelist"), action("mark_live", [golive]))
    statuses = list(GoLiveChange.objects.filter(golive=golive).order_by("id").values_list("new_status", "changed_by"))
    assert statuses == [(GoLiveStatus.POSTPONED, user.pk), (GoLiveStatus.LIVE, user.pk)]


def test_list_editable_date_saves_through_the_services(client, golive):
    user = superuser()
    client.force_login(user)
    response = client.post(reverse("admin:courts_golive_changelist"), {
        "form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-0-id": golive.pk,
        "form-0-go_live_date": "2027-06-07", "form-0-status": "scheduled", "_save": "Save"})
    assert response.status_code == 302
    golive.refresh_from_db()
    assert golive.go_live_date == dt.date(2027, 6, 7)
    assert golive.live_at == montana_court().local_midnight(dt.date(2027, 6, 7))
    change = GoLiveChange.objects.get(golive=golive)
    assert (change.changed_by, change.old_date, change.new_date) == (user, dt.date(2027, 3, 1), dt.date(2027, 6, 7))


def test_courts_filter_by_go_live_range_and_status(client, golive):
    GoLiveFactory(court=utah_court(), go_live_date=dt.date(2020, 2, 1), status=GoLiveStatus.LIVE)
    client.force_login(superuser())
    url = reverse("admin:courts_court_changelist")
    in_range = client.get(url, {"golive_from": "2027-01-01", "golive_to": "2027-12-31"})
    assert [c.court_id for c in in_range.context["cl"].result_list] == ["MTDC"]
    live = client.get(url, {"golive_status": "live"})
    assert [c.court_id for c in live.context["cl"].result_list] == ["UTDC"]


def test_courts_search_by_cmecf_code(client, golive):
    utah_court()
    client.force_login(superuser())
    response = client.get(reverse("admin:courts_court_changelist"), {"q": "utd"})
    assert [c.court_id for c in response.context["cl"].result_list] == ["UTDC"]


def test_another_courts_golive_change_url_answers_404(client):
    other = GoLiveFactory(court=utah_court())
    client.force_login(montana_clerk())
    assert client.get(reverse("admin:courts_golive_change", args=[other.pk])).status_code == 404
