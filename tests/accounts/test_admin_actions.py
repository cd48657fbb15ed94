import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry, CmecfAccount, PacerAccount
from tests.accounts.admin_helpers import bulk_ready_accounts, live, montana_court
from tests.factories import superuser, utah_court

pytestmark = pytest.mark.django_db
URL = "admin:accounts_cmecfaccount_changelist"


@pytest.fixture
def admin_client(client):
    user = superuser()
    client.force_login(user)
    client.user = user
    return client


def select_all(action, **extra):
    return {"action": action, "select_across": "1", "index": "0",
            "_selected_action": list(CmecfAccount.objects.values_list("pk", flat=True)[:100]), **extra}


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_mark_linked_on_all_matching_is_set_based_and_reports_changed_and_skipped(
    admin_client, django_assert_max_num_queries
):
    court = live(montana_court())
    bulk_ready_accounts(court, 600, "mt")
    # 100 of them are legacy accounts: they must be skipped, and said so.
    PacerAccount.objects.filter(username__in=[f"mtp{i}" for i in range(100)]).update(created_on=dt.date(2010, 1, 1))
    with django_assert_max_num_queries(30):
        response = admin_client.post(reverse(URL), select_all(
            "mark_linked", apply="1", linked_at_0="2021-10-01", linked_at_1="10:00"))
    assert response.status_code == 302
    assert CmecfAccount.objects.filter(linked_at__isnull=False).count() == 500
    assert texts(response) == ["Marked linked: 500 accounts. Skipped 100: Legacy PACER account to upgrade (100)."]


def test_mark_linked_asks_for_the_date_on_a_confirmation_page_first(admin_client):
    bulk_ready_accounts(live(montana_court()), 3, "mt")
    response = admin_client.post(reverse(URL), select_all("mark_linked"))
    assert response.status_code == 200
    assert b"Mark linked" in response.content
    assert not CmecfAccount.objects.filter(linked_at__isnull=False).exists()


def test_mark_linked_skips_accounts_of_courts_not_live_at_the_date(admin_client):
    from courts.models import GoLiveStatus
    from tests.factories import GoLiveFactory

    GoLiveFactory(court=montana_court(), go_live_date=dt.date(2021, 9, 27), status=GoLiveStatus.SCHEDULED)
    bulk_ready_accounts(montana_court(), 5, "mt")
    response = admin_client.post(reverse(URL), select_all(
        "mark_linked", apply="1", linked_at_0="2021-09-01", linked_at_1="10:00"))
    assert CmecfAccount.objects.filter(linked_at__isnull=False).count() == 0
    assert "Skipped 5: Waiting for go-live (5)" in texts(response)[0]


def test_flag_on_all_matching_runs_in_fixed_queries_and_records_the_trail(admin_client, django_assert_max_num_queries):
    bulk_ready_accounts(live(montana_court()), 400, "mt")
    with django_assert_max_num_queries(25):
        response = admin_client.post(reverse(URL), select_all("flag_name_mismatch"))
    assert CmecfAccount.objects.filter(name_review="flagged").count() == 400
    assert texts(response) == ["Flagged: 400 accounts."]
    entry = AuditEntry.objects.filter(field="name_review").first()
    assert (entry.user, entry.old_value, entry.new_value) == (admin_client.user, "", "flagged")
    assert AuditEntry.objects.filter(field="name_review").count() == 400


def test_clear_flag_changes_only_flagged_accounts(admin_client):
    bulk_ready_accounts(live(montana_court()), 4, "mt")
    CmecfAccount.objects.filter(login__in=["mt0", "mt1"]).update(name_review="flagged")
    CmecfAccount.objects.filter(login="mt2").update(name_review="verified")
    response = admin_client.post(reverse(URL), select_all("clear_name_flag"))
    assert dict(CmecfAccount.objects.values_list("login", "name_review")) == {
        "mt0": "", "mt1": "", "mt2": "verified", "mt3": ""}
    assert texts(response)[0].startswith("Cleared the flag on 2 accounts.")


def test_send_reminder_now_queues_reminders_through_the_notices_pipeline(admin_client):
    from rollout.notices.models import NoticeDelivery

    bulk_ready_accounts(live(montana_court()), 3, "mt")
    response = admin_client.post(reverse(URL), select_all("send_reminder_now"))
    assert texts(response) == ["Queued 3 reminders for 3 chosen accounts."]
    assert NoticeDelivery.objects.filter(kind="reminder", court__court_id="MTDC").count() == 3


def test_send_reminder_now_says_why_nothing_was_queued(admin_client):
    bulk_ready_accounts(live(montana_court()), 2, "mt")
    bulk_ready_accounts(utah_court(), 1, "ut")  # Utah not live
    CmecfAccount.objects.filter(login="mt0").update(linked_at=timezone.now())
    admin_client.post(reverse(URL), select_all("send_reminder_now"))  # mt1 reminded once today
    response = admin_client.post(reverse(URL), select_all("send_reminder_now"))
    assert texts(response)[-1] == ("Queued 0 reminders for 3 chosen accounts. Not reminded: 1 already linked; "
                                   "1 at a court not live yet; 1 unsubscribed, with an undeliverable address or "
                                   "already reminded today.")


def test_export_neutralises_spreadsheet_formulas(admin_client):
    bulk_ready_accounts(live(montana_court()), 1, "mt")
    CmecfAccount.objects.update(cmecf_name="=HYPERLINK(1)")
    response = admin_client.post(reverse(URL), select_all("export_csv"))
    assert "'=HYPERLINK(1)" in b"".join(response.streaming_content).decode()


def test_readiness_filter_lists_only_that_state(admin_client):
    bulk_ready_accounts(live(montana_court()), 3, "mt")
    CmecfAccount.objects.filter(login="mt0").update(name_review="flagged")
    response = admin_client.get(reverse(URL), {"readiness": "name_mismatch"})
    assert [a.login for a in response.context["cl"].result_list] == ["mt0"]
