import pytest
from django.urls import reverse

from accounts.models import CmecfAccount
from tests.accounts.admin_helpers import bulk_ready_accounts, live, montana_clerk, montana_court, utah_court
from tests.factories import CmecfAccountFactory, FilerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk_client(client):
    live(montana_court())
    live(utah_court())
    bulk_ready_accounts(montana_court(), 3, "mt")
    bulk_ready_accounts(utah_court(), 3, "ut")
    client.force_login(montana_clerk())
    return client


def test_court_admin_lists_only_their_courts_accounts(clerk_client):
    response = clerk_client.get(reverse("admin:accounts_cmecfaccount_changelist"))
    assert response.status_code == 200
    logins = {a.login for a in response.context["cl"].result_list}
    assert logins == {"mt0", "mt1", "mt2"}


def test_another_courts_account_change_url_answers_404(clerk_client):
    other = CmecfAccount.objects.get(login="ut0")
    response = clerk_client.get(reverse("admin:accounts_cmecfaccount_change", args=[other.pk]))
    assert response.status_code == 404


def test_another_courts_account_cannot_be_changed_by_post(clerk_client):
    other = CmecfAccount.objects.get(login="ut0")
    url = reverse("admin:accounts_cmecfaccount_change", args=[other.pk])
    response = clerk_client.post(url, {"cmecf_name": "Changed", "name_review": "flagged"})
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.name_review == "" and other.cmecf_name != "Changed"


def test_select_all_action_touches_only_the_users_courts(clerk_client):
    response = clerk_client.post(
        reverse("admin:accounts_cmecfaccount_changelist"),
        {"action": "flag_name_mismatch", "select_across": "1", "index": "0",
         "_selected_action": list(CmecfAccount.objects.values_list("pk", flat=True))},
    )
    assert response.status_code == 302
    assert set(CmecfAccount.objects.filter(name_review="flagged").values_list("login", flat=True)) == {"mt0", "mt1", "mt2"}


def test_export_holds_only_the_users_courts(clerk_client):
    response = clerk_client.post(
        reverse("admin:accounts_cmecfaccount_changelist"),
        {"action": "export_csv", "select_across": "1", "index": "0",
         "_selected_action": list(CmecfAccount.objects.values_list("pk", flat=True))},
    )
    body = b"".join(response.streaming_content).decode()
    assert "mt0" in body and "ut0" not in body


def test_filer_of_another_court_is_hidden_and_inline_shows_only_own_court(clerk_client):
    both = FilerFactory(name="Pat Both", email="pat.both@example.com")
    CmecfAccountFactory(filer=both, court=montana_court(), login="bothmt", cmecf_name="Pat Both")
    CmecfAccountFactory(filer=both, court=utah_court(), login="bothut", cmecf_name="Pat Both")
    only_utah = CmecfAccount.objects.get(login="ut0").filer
    assert clerk_client.get(reverse("admin:accounts_filer_change", args=[only_utah.pk])).status_code == 404
    page = clerk_client.get(reverse("admin:accounts_filer_change", args=[both.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    assert "bothmt" in content and "bothut" not in content


def test_import_for_a_court_the_user_does_not_administer_is_refused(clerk_client, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("roster.csv", b"name,email,cmecf_login,pacer_username,pacer_created_on,upgraded,shared_account\n"
                                              b"A B,a@example.com,ab1,,,no,no\n")
    response = clerk_client.post(reverse("admin:accounts_cmecfaccount_import"),
                                 {"kind": "roster", "court": utah_court().pk, "file": upload})
    assert response.status_code == 200
    assert "court" in response.context["form"].errors
    assert not CmecfAccount.objects.filter(login="ab1").exists()


def test_import_service_refuses_a_court_outside_the_allowed_ones(tmp_path):
    from accounts.imports.reading import ImportError_
    from accounts.imports.roster import roster_import

    path = tmp_path / "r.csv"
    path.write_text("name,email,cmecf_login,pacer_username,pacer_created_on,upgraded,shared_account\n")
    with pytest.raises(ImportError_, match="do not administer"):
        roster_import(utah_court(), path, apply=True, allowed_court_ids=[montana_court().pk])


def test_court_admin_sees_only_their_courts_golives(clerk_client):
    response = clerk_client.get(reverse("admin:courts_golive_changelist"))
    assert {g.court.court_id for g in response.context["cl"].result_list} == {"MTDC"}
