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


def list_edit(golive, **values):
    return {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-0-id": golive.pk,
            "form-0-go_live_date": golive.go_live_date.isoformat(), "form-0-status": golive.status, "_save": "Save",
            **{f"form-0-{k}": v for k, v in values.items()}}


def test_list_editable_date_saves_through_the_services(client, golive):
    user = superuser()
    client.force_login(user)
    response = client.post(reverse("admin:courts_golive_changelist"), list_edit(golive, go_live_date="2027-06-07"))
    assert response.status_code == 302
    golive.refresh_from_db()
    assert golive.go_live_date == dt.date(2027, 6, 7)
    assert golive.live_at == montana_court().local_midnight(dt.date(2027, 6, 7))
    change = GoLiveChange.objects.get(golive=golive)
    assert (change.changed_by, change.old_date, change.new_date) == (user, dt.date(2027, 3, 1), dt.date(2027, 6, 7))


def test_list_editable_date_change_that_would_move_a_blackout_is_sent_to_the_preview(client, golive):
    with_blackout(golive)
    client.force_login(superuser())
    response = client.post(reverse("admin:courts_golive_changelist"), list_edit(golive, go_live_date="2027-06-07"))
    assert response.status_code == 200
    assert "would move to from Friday, June 4, 2027 at 5:00 PM MDT" in response.content.decode()
    golive.refresh_from_db()
    assert golive.go_live_date == dt.date(2027, 3, 1)


def test_list_editable_postpone_clears_the_blackout(client, golive):
    with_blackout(golive)
    client.force_login(superuser())
    response = client.post(reverse("admin:courts_golive_changelist"), list_edit(golive, status="postponed"))
    assert response.status_code == 302
    golive.refresh_from_db()
    assert (golive.status, golive.blackout_start) == (GoLiveStatus.POSTPONED, None)


def test_list_editable_date_in_the_past_is_refused_not_a_500(client, golive):
    client.force_login(superuser())
    response = client.post(reverse("admin:courts_golive_changelist"), list_edit(golive, go_live_date="2020-01-06"))
    assert response.status_code == 200
    assert "is before today" in response.content.decode()
    golive.refresh_from_db()
    assert golive.go_live_date == dt.date(2027, 3, 1)


def test_another_courts_golive_posted_in_the_lists_rows_is_refused_as_a_missing_one(client, golive):
    """A row of another court's go-live (a list opened before the user lost that court, or a hand-made
    post) is refused as a go-live that does not exist is: no 500 that tells it exists, nothing saved."""
    utah = GoLiveFactory(court=utah_court(), go_live_date=dt.date(2027, 3, 1), status=GoLiveStatus.SCHEDULED)
    client.force_login(montana_clerk())
    url = reverse("admin:courts_golive_changelist")
    missing = client.post(url, {**list_edit(golive, go_live_date="2027-06-07"), "form-0-id": utah.pk + 100})
    response = client.post(url, list_edit(utah, go_live_date="2027-06-07"))
    assert response.status_code == missing.status_code == 200
    assert response.context["cl"].formset.errors == missing.context["cl"].formset.errors
    utah.refresh_from_db()
    assert (utah.go_live_date, GoLive.objects.count()) == (dt.date(2027, 3, 1), 2)


def with_blackout(golive):
    """The usual blackout: 17:00 the Friday before to 08:00 on the (Monday) go-live day, court time."""
    tz = golive.court.tzinfo
    golive.blackout_start = dt.datetime.combine(golive.go_live_date - dt.timedelta(days=3), dt.time(17), tzinfo=tz)
    golive.blackout_end = dt.datetime.combine(golive.go_live_date, dt.time(8), tzinfo=tz)
    golive.save()
    return golive


def change_form(golive, **values):
    data = {"go_live_date": golive.go_live_date.isoformat() if golive.go_live_date else "", "status": golive.status,
            "blackout_start_0": "", "blackout_start_1": "", "blackout_end_0": "", "blackout_end_1": "",
            "emergency_filing_instructions": "", "prepare_days_before": "30", "reminder_days_after": "[7, 14, 30]",
            "changes-TOTAL_FORMS": "0", "changes-INITIAL_FORMS": "0", "_save": "Save"}
    tz = golive.court.tzinfo
    for name in ("blackout_start", "blackout_end"):
        value = getattr(golive, name)
        if value:
            local = value.astimezone(tz)
            data[f"{name}_0"], data[f"{name}_1"] = local.date().isoformat(), local.strftime("%H:%M:%S")
    return {**data, **values}


def test_moving_the_date_in_the_change_form_shows_the_moved_blackout_before_saving_it(client, golive):
    with_blackout(golive)
    client.force_login(superuser())
    url = reverse("admin:courts_golive_change", args=[golive.pk])
    first = client.post(url, change_form(golive, go_live_date="2027-03-22"))
    assert first.status_code == 200
    page = first.content.decode()
    assert "moves the filing blackout with it, to run from Friday, March 19, 2027 at 5:00 PM MDT until Monday, March 22, 2027 at 8:00 AM MDT" in page
    golive.refresh_from_db()
    assert golive.go_live_date == dt.date(2027, 3, 1)  # nothing saved yet
    window = first.context["adminform"].form.data["blackout_move"]
    second = client.post(url, change_form(golive, go_live_date="2027-03-22", blackout_move=window))
    assert second.status_code == 302
    golive.refresh_from_db()
    tz = golive.court.tzinfo
    assert golive.go_live_date == dt.date(2027, 3, 22)
    # Across the change to daylight saving time (March 14): the same wall-clock times, court time.
    assert golive.blackout_start.astimezone(tz).replace(tzinfo=None) == dt.datetime(2027, 3, 19, 17)
    assert golive.blackout_end.astimezone(tz).replace(tzinfo=None) == dt.datetime(2027, 3, 22, 8)
    change = GoLiveChange.objects.get(golive=golive)
    assert (change.old_date, change.new_date) == (dt.date(2027, 3, 1), dt.date(2027, 3, 22))


def test_a_blackout_far_from_the_go_live_day_is_refused_naming_the_field(client, golive):
    client.force_login(superuser())
    url = reverse("admin:courts_golive_change", args=[golive.pk])
    response = client.post(url, change_form(golive, blackout_start_0="2027-04-16", blackout_start_1="17:00:00",
                                            blackout_end_0="2027-04-19", blackout_end_1="08:00:00"))
    assert response.status_code == 200
    assert "blackout_end" in response.context["adminform"].form.errors
    golive.refresh_from_db()
    assert golive.blackout_start is None


def test_set_date_preview_shows_each_courts_new_blackout_window(client, golive):
    with_blackout(golive)
    client.force_login(superuser())
    response = client.post(reverse("admin:courts_golive_changelist"),
                           action("set_golive_date", [golive], preview="1", go_live_date="2027-03-08"))
    assert response.status_code == 200
    (preview,) = response.context["previews"]
    assert preview["after"].blackout_text == (
        "from Friday, March 5, 2027 at 5:00 PM MST until Monday, March 8, 2027 at 8:00 AM MST")
    golive.refresh_from_db()
    assert golive.go_live_date == dt.date(2027, 3, 1)


def test_mark_live_now_on_a_future_date_makes_today_the_date_with_the_reason(client, golive):
    user = superuser()
    client.force_login(user)
    client.post(reverse("admin:courts_golive_changelist"), action("mark_live", [golive]))
    golive.refresh_from_db()
    today = golive.court.local_today()
    assert (golive.status, golive.go_live_date) == (GoLiveStatus.LIVE, today)
    change = GoLiveChange.objects.get(golive=golive)
    assert (change.old_date, change.new_date, change.changed_by) == (dt.date(2027, 3, 1), today, user)
    assert "before its scheduled date Monday, March 1, 2027" in change.reason


def test_postponing_clears_the_blackout(client, golive):
    with_blackout(golive)
    client.force_login(superuser())
    client.post(reverse("admin:courts_golive_changelist"), action("postpone", [golive]))
    golive.refresh_from_db()
    assert golive.status == GoLiveStatus.POSTPONED
    assert (golive.blackout_start, golive.blackout_end) == (None, None)


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


def courts_action(name, courts, **extra):
    return {"action": name, "index": "0", "select_across": "0", "_selected_action": [c.pk for c in courts], **extra}


@pytest.mark.parametrize("extra", [{}, {"preview": "1", "go_live_date": "2027-05-01"},
                                   {"apply": "1", "go_live_date": "2026-02-30"}])
def test_opening_previewing_or_mistyping_a_date_for_courts_without_a_go_live_creates_none(client, extra):
    client.force_login(superuser())
    court = utah_court()
    response = client.post(reverse("admin:courts_court_changelist"), courts_action("set_golive_date", [court], **extra))
    assert response.status_code == 200
    assert not GoLive.objects.filter(court=court).exists()


def test_a_refused_date_for_a_court_without_a_go_live_leaves_no_go_live(client):
    client.force_login(superuser())
    court = utah_court()
    response = client.post(reverse("admin:courts_court_changelist"),
                           courts_action("set_golive_date", [court], apply="1", go_live_date="2020-01-06"), follow=True)
    assert any("Not changed: UTDC" in str(m) for m in response.context["messages"])  # a date already past
    assert not GoLive.objects.filter(court=court).exists()


def test_an_applied_date_for_a_court_without_a_go_live_creates_and_schedules_it(client):
    client.force_login(superuser())
    court = utah_court()
    client.post(reverse("admin:courts_court_changelist"),
                courts_action("set_golive_date", [court], apply="1", go_live_date="2027-05-01"))
    golive = GoLive.objects.get(court=court)
    assert (golive.status, golive.go_live_date, golive.reminder_days_after) == (
        GoLiveStatus.SCHEDULED, dt.date(2027, 5, 1), [7, 14, 30])


@pytest.mark.parametrize("model", ["golive", "court"])
def test_a_superuser_cannot_delete_a_golive_or_a_court(client, golive, model):
    """Their history and the notices sent would go with them; a go-live made again would announce
    itself to every filer once more."""
    obj = golive if model == "golive" else golive.court
    client.force_login(superuser())
    assert client.get(reverse(f"admin:courts_{model}_delete", args=[obj.pk])).status_code == 403
    changelist = client.get(reverse(f"admin:courts_{model}_changelist"))
    assert "delete_selected" not in [name for name, _ in changelist.context["action_form"].fields["action"].choices]
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_new_emergency_instructions_saved_in_the_form_are_recorded_and_told_to_filers_told_the_pause(client, golive):
    from rollout.notices.models import DeliveryState, NoticeDelivery, NoticeKind
    from tests.factories import filer_at

    with_blackout(golive)
    account = filer_at(golive.court)
    NoticeDelivery.objects.create(filer=account.filer, court=golive.court, golive=golive, kind=NoticeKind.PREPARE,
                                  notice="prepare", state=DeliveryState.SENT)
    user = superuser()
    client.force_login(user)
    text = "Email emergency filings to intake@mtd.uscourts.gov."
    response = client.post(reverse("admin:courts_golive_change", args=[golive.pk]),
                           change_form(golive, emergency_filing_instructions=text))
    assert response.status_code == 302
    change = GoLiveChange.objects.get(golive=golive)
    assert (change.changed_by, change.old_emergency_instructions, change.new_emergency_instructions) == (user, "", text)
    assert change.reason.startswith("Emergency filing instructions changed")
    assert NoticeDelivery.objects.filter(kind=NoticeKind.BLACKOUT_CHANGED, change=change, filer=account.filer).exists()
