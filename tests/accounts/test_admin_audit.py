import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import AuditEntry, CmecfAccount
from accounts.services import cmecf_account_link, cmecf_account_set_name_review, cmecf_account_unlink
from tests.accounts.admin_helpers import bulk_ready_accounts, live, montana_court
from tests.factories import superuser

pytestmark = pytest.mark.django_db
UTC = dt.timezone.utc


@pytest.fixture
def account():
    bulk_ready_accounts(live(montana_court()), 1, "mt")
    return CmecfAccount.objects.get()


def test_link_records_who_when_old_and_new(account):
    user = superuser()
    cmecf_account_link(account, linked_at=dt.datetime(2021, 10, 1, 16, tzinfo=UTC), by=user)
    entry = AuditEntry.objects.get()
    assert (entry.user, entry.field, entry.old_value) == (user, "linked_at", "")
    assert entry.new_value.startswith("2021-10-01T12:00:00")  # shown in the site's time zone
    assert entry.court == account.court and entry.at is not None


def test_unlink_records_the_old_link(account):
    cmecf_account_link(account, linked_at=dt.datetime(2021, 10, 1, 16, tzinfo=UTC))
    cmecf_account_unlink(account, source="help desk correction")
    entry = AuditEntry.objects.first()
    assert (entry.source, entry.new_value) == ("help desk correction", "")
    assert entry.old_value.startswith("2021-10-01")


def test_flag_change_from_the_change_form_is_recorded_with_the_user(client, account):
    user = superuser()
    client.force_login(user)
    url = reverse("admin:accounts_cmecfaccount_change", args=[account.pk])
    response = client.post(url, {"court": account.court_id, "login": account.login, "filer": account.filer_id,
                                 "cmecf_name": account.cmecf_name, "name_review": "flagged"})
    assert response.status_code == 302
    entry = AuditEntry.objects.get()
    assert (entry.user, entry.field, entry.old_value, entry.new_value) == (user, "name_review", "", "flagged")


def test_recent_changes_show_on_the_account_page(client, account):
    cmecf_account_set_name_review(account, "flagged", source="filer report")
    client.force_login(superuser())
    page = client.get(reverse("admin:accounts_cmecfaccount_change", args=[account.pk])).content.decode()
    assert "filer report" in page and "flagged" in page


def test_audit_list_filters_by_field(client, account):
    cmecf_account_set_name_review(account, "flagged")
    cmecf_account_unlink(CmecfAccount.objects.get())  # no change, so no entry
    client.force_login(superuser())
    response = client.get(reverse("admin:accounts_auditentry_changelist"), {"field": "name_review"})
    assert [e.field for e in response.context["cl"].result_list] == ["name_review"]


def test_an_account_moved_to_another_court_shows_its_new_court_none_of_the_old_courts_changes(client):
    """Utah's clerk flags the name, then the account is moved to Montana (registered at the wrong
    court): Montana's administrator sees neither the clerk nor the change on the account's page."""
    from accounts.models import NameReview
    from accounts.services import cmecf_account_update
    from tests.factories import CmecfAccountFactory, court_admin_user, utah_court

    montana, utah = live(montana_court()), live(utah_court())
    account = CmecfAccountFactory(court=utah, login="movedlogin")
    cmecf_account_set_name_review(account, NameReview.FLAGGED, by=court_admin_user("utah-clerk-jones", utah))
    cmecf_account_update(account, by=superuser(), court=montana)
    client.force_login(court_admin_user("montana-clerk", montana))
    page = client.get(reverse("admin:accounts_cmecfaccount_change", args=[account.pk])).content.decode()
    assert "movedlogin" in page
    assert "utah-clerk-jones" not in page
