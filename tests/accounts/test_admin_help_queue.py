"""The help queue in the admin: scoped to the administrator's courts, handled through the services, audited."""
import pytest
from django.urls import reverse

from accounts.models import AuditEntry, CmecfAccount, HelpReason, HelpStatus, NameReview
from accounts.self_service import help_request_create
from tests.accounts.admin_helpers import live, montana_clerk, montana_court, utah_court
from tests.factories import court_admin_user, filer_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def requests_at_two_courts():
    montana, utah = live(montana_court()), live(utah_court())
    mt = filer_at(montana, state="name_mismatch", name="Montana Filer")
    ut = filer_at(utah, name="Utah Filer")
    return (help_request_create(mt.filer, mt.pk, HelpReason.NAMES),
            help_request_create(ut.filer, ut.pk, HelpReason.FORGOT_LOGIN))


def test_a_court_administrator_lists_only_their_courts_help_requests(client, requests_at_two_courts):
    client.force_login(montana_clerk())
    response = client.get(reverse("admin:accounts_helprequest_changelist"))
    assert response.status_code == 200
    assert [r.pk for r in response.context["cl"].result_list] == [requests_at_two_courts[0].pk]


def test_another_courts_help_request_answers_404(client, requests_at_two_courts):
    client.force_login(montana_clerk())
    other = requests_at_two_courts[1]
    assert client.get(reverse("admin:accounts_helprequest_change", args=[other.pk])).status_code == 404
    response = client.post(reverse("admin:accounts_helprequest_change", args=[other.pk]),
                           {"status": "resolved", "notes": "x"})
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.status == HelpStatus.OPEN


def test_resolving_a_names_request_in_the_admin_verifies_the_names_and_audits_every_step(client, requests_at_two_courts):
    clerk = montana_clerk()
    colleague = court_admin_user("mt-colleague", montana_court())
    client.force_login(clerk)
    help_request = requests_at_two_courts[0]
    url = reverse("admin:accounts_helprequest_change", args=[help_request.pk])
    form = client.get(url).context["adminform"].form
    assert set(form.fields["assigned_to"].queryset.values_list("username", flat=True)) == {"mt-clerk", "mt-colleague"}
    response = client.post(url, {"status": "resolved", "assigned_to": colleague.pk, "notes": "Same person; verified.",
                                 "verify_names": "on"})
    assert response.status_code == 302
    help_request.refresh_from_db()
    account = CmecfAccount.objects.get(pk=help_request.account_id)
    assert (help_request.status, help_request.assigned_to, account.name_review) == (
        HelpStatus.RESOLVED, colleague, NameReview.VERIFIED)
    assert set(AuditEntry.objects.filter(user=clerk).values_list("field", flat=True)) == {
        "status", "assigned_to", "notes", "name_review"}
    page = client.get(url).content.decode()
    for text in ("filer status page", "name_review", "verified", "resolved", "Same person; verified."):
        assert text in page


def test_only_a_names_request_offers_to_verify_the_names(client):
    court = live(montana_court())
    account = filer_at(court, state="name_mismatch")
    help_request = help_request_create(account.filer, account.pk, HelpReason.FORGOT_LOGIN)
    client.force_login(montana_clerk())
    url = reverse("admin:accounts_helprequest_change", args=[help_request.pk])
    assert "verify_names" not in client.get(url).context["adminform"].form.fields
    client.post(url, {"status": "resolved", "notes": "", "verify_names": "on"})
    account.refresh_from_db()
    assert account.name_review != NameReview.VERIFIED  # the field is not on this request's form


def test_a_login_moved_to_another_court_takes_its_help_request_out_of_the_first_courts_queue(
        client, requests_at_two_courts):
    from accounts.services import cmecf_account_update
    from tests.factories import superuser

    moved = requests_at_two_courts[0]
    cmecf_account_update(moved.account, by=superuser(), court=utah_court())
    moved.refresh_from_db()
    assert moved.court == utah_court()
    client.force_login(montana_clerk())
    assert client.get(reverse("admin:accounts_helprequest_changelist")).context["cl"].result_list.count() == 0
    assert client.post(reverse("admin:accounts_helprequest_change", args=[moved.pk]),
                       {"status": "resolved", "notes": "", "verify_names": "on"}).status_code == 404
    assert CmecfAccount.objects.get(pk=moved.account_id).name_review != NameReview.VERIFIED


def test_a_request_is_listed_only_where_its_login_is_whatever_court_it_holds(client, requests_at_two_courts):
    # A request whose court and login's court disagree (written before logins moved their requests).
    from accounts.models import HelpRequest

    stale = requests_at_two_courts[1]
    HelpRequest.objects.filter(pk=stale.pk).update(court=montana_court())
    client.force_login(montana_clerk())
    listed = client.get(reverse("admin:accounts_helprequest_changelist")).context["cl"].result_list
    assert stale.pk not in [r.pk for r in listed]
