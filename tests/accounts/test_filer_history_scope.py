"""A filer's or account's history in the admin, for a court's administrator: the court-scoped audit
trail, never Django's change log, which lists the edits other courts' staff made to a filer they share
or to an account before it moved to the administrator's court."""
import pytest
from django.contrib.admin.models import CHANGE, LogEntry

from tests.factories import (
    CmecfAccountFactory, filer_at, montana_administrator, montana_court, utah_administrator, utah_court,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared_filer():
    """A filer at Utah and Montana whose record Utah's administrator changed (Django's change log)."""
    account = filer_at(utah_court(), name="Jane Q. Lawyer")
    CmecfAccountFactory(filer=account.filer, court=montana_court())
    LogEntry.objects.log_actions(utah_administrator().pk, [account.filer], CHANGE,
                                 change_message="Changed email (utah-only detail).", single_object=True)
    return account.filer


def test_a_court_administrator_is_sent_from_a_filers_history_to_its_audit_trail(client, shared_filer):
    client.force_login(montana_administrator())
    response = client.get(f"/admin/accounts/filer/{shared_filer.pk}/history/")
    assert response.status_code == 302 and "/admin/accounts/auditentry/" in response["Location"]
    assert f"object_id={shared_filer.pk}" in response["Location"]
    page = client.get(response["Location"])
    assert page.status_code == 200 and b"utah-only detail" not in page.content


def test_a_superuser_still_sees_djangos_change_log(admin_client, shared_filer):
    page = admin_client.get(f"/admin/accounts/filer/{shared_filer.pk}/history/")
    assert page.status_code == 200 and b"utah-only detail" in page.content


def test_an_account_moved_from_another_court_sends_its_history_to_the_audit_trail(client):
    account = filer_at(utah_court(), name="Jane Q. Lawyer")
    LogEntry.objects.log_actions(utah_administrator().pk, [account], CHANGE,
                                 change_message="Changed login (utah-only detail).", single_object=True)
    account.court = montana_court()
    account.save()
    client.force_login(montana_administrator())
    response = client.get(f"/admin/accounts/cmecfaccount/{account.pk}/history/")
    assert response.status_code == 302 and "/admin/accounts/auditentry/" in response["Location"]
    assert b"utah-only detail" not in client.get(response["Location"]).content
