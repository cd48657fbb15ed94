"""Every admin list opens, for the coordinator and for a court administrator."""
import pytest
from django.urls import reverse

from tests.accounts.admin_helpers import bulk_ready_accounts, live, montana_clerk, montana_court
from tests.factories import superuser

pytestmark = pytest.mark.django_db
LISTS = ["courts_court", "courts_golive", "courts_golivechange", "courts_softwareversionchange", "courts_rollout",
         "accounts_cmecfaccount", "accounts_filer", "accounts_paceraccount", "accounts_courtadministrator",
         "accounts_courtreadinesscount", "accounts_auditentry"]


@pytest.mark.parametrize("name", LISTS)
def test_every_admin_list_opens_for_the_coordinator(client, name):
    bulk_ready_accounts(live(montana_court()), 2, "mt")
    client.force_login(superuser())
    assert client.get(reverse(f"admin:{name}_changelist"), {"q": "mt"}).status_code == 200


@pytest.mark.parametrize("name", [n for n in LISTS if n != "courts_rollout"])
def test_every_scoped_admin_list_opens_for_a_court_administrator(client, name):
    bulk_ready_accounts(live(montana_court()), 2, "mt")
    client.force_login(montana_clerk())
    assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200
