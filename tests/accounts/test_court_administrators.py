"""Creating a court administrator: the command (and the admin's form) make the user, its group and
court assignments, and email a set-password link; the link sets a password that logs in, and the
new administrator sees only their courts."""
from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import CommandError, call_command

from accounts.models import CourtAdministrator
from accounts.permissions import GROUP
from tests.factories import montana_court, superuser, utah_court

pytestmark = pytest.mark.django_db
PASSWORD = "Court-admin-Pa55word-2026"


def link_in(message) -> str:
    return re.search(r"https?://\S+/accounts/reset/\S+/", message.body).group(0)


def set_password_and_log_in(client, link: str, username: str):
    path = re.sub(r"^https?://[^/]+", "", link)
    response = client.get(path)  # Django redirects to the same page with the token in the session
    assert response.status_code == 302
    form_page = response["Location"]
    response = client.post(form_page, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/accounts/reset/done/"
    page = client.get("/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    return client.post("/accounts/login/", {"username": username, "password": PASSWORD,
                                            "csrfmiddlewaretoken": token, "next": "/"})


def test_the_command_creates_an_administrator_who_sets_a_password_and_logs_in(client, settings):
    settings.NOTICES_MESSAGE_ID_DOMAIN = "rollout.court.example"
    montana_court(), utah_court()
    call_command("create_court_administrator", "--email", "Clerk@MTD.example.gov", "--name", "Pat Clerk",
                 "--court", "MTDC")
    user = get_user_model().objects.get(username="clerk@mtd.example.gov")
    assert user.is_staff and not user.is_superuser and not user.has_usable_password()
    assert list(user.groups.values_list("name", flat=True)) == [GROUP]
    assert list(CourtAdministrator.objects.filter(user=user).values_list("court__court_id", flat=True)) == ["MTDC"]
    (message,) = mail.outbox
    assert message.to == ["clerk@mtd.example.gov"] and "District of Montana" in message.body
    assert message.message()["Message-ID"].endswith("@rollout.court.example>")

    response = set_password_and_log_in(client, link_in(message), "clerk@mtd.example.gov")
    assert response.status_code == 302 and response["Location"] == "/"
    overview = client.get("/").content.decode()
    assert "District of Montana" in overview and "District of Utah" not in overview


def test_the_link_works_once(client):
    montana_court()
    call_command("create_court_administrator", "--email", "once@mtd.example.gov", "--name", "Once", "--court", "MTDC")
    link = link_in(mail.outbox[0])
    set_password_and_log_in(client, link, "once@mtd.example.gov")
    client.logout()
    response = client.get(re.sub(r"^https?://[^/]+", "", link), follow=True)
    assert "invalid" in response.content.decode().lower()


def test_running_it_again_adds_courts_and_keeps_the_user(client):
    montana_court(), utah_court()
    call_command("create_court_administrator", "--email", "two@example.gov", "--name", "Two Courts", "--court", "MTDC",
                 "--no-email")
    call_command("create_court_administrator", "--email", "TWO@example.gov", "--name", "Two Courts",
                 "--court", "UTDC,MTDC", "--no-email")
    assert get_user_model().objects.filter(email__iexact="two@example.gov").count() == 1
    assert sorted(CourtAdministrator.objects.values_list("court__court_id", flat=True)) == ["MTDC", "UTDC"]
    assert mail.outbox == []


@pytest.mark.parametrize("args, message", [
    (["--email", "not-an-address", "--name", "X", "--court", "MTDC"], "is not an email address"),
    (["--email", "x@example.gov", "--name", "X", "--court", "NOPE"], "No court with the id NOPE"),
    (["--email", "x@example.gov", "--name", " ", "--court", "MTDC"], "A name is required"),
])
def test_bad_input_is_refused_and_changes_nothing(args, message):
    montana_court()
    with pytest.raises(CommandError, match=message):
        call_command("create_court_administrator", *args)
    assert not get_user_model().objects.filter(is_staff=True).exists()


def test_a_refused_email_is_reported_and_the_administrator_kept(settings):
    montana_court()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    with pytest.raises(CommandError, match="set-password email was not sent"):
        call_command("create_court_administrator", "--email", "kept@example.gov", "--name", "Kept", "--court", "MTDC")
    assert get_user_model().objects.filter(username="kept@example.gov", is_staff=True).exists()


def test_the_admin_form_does_the_same(client):
    court = montana_court()
    client.force_login(superuser())
    url = "/admin/accounts/courtadministrator/add/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"email": "form@mtd.example.gov", "name": "Form Clerk", "courts": [court.pk],
                                 "send_link": "on"})
    assert response.status_code == 302
    assert CourtAdministrator.objects.filter(user__username="form@mtd.example.gov", court=court).exists()
    assert [m.to for m in mail.outbox] == [["form@mtd.example.gov"]]


def test_a_court_administrator_cannot_add_one(client):
    from tests.factories import montana_administrator

    client.force_login(montana_administrator())
    assert client.get("/admin/accounts/courtadministrator/add/").status_code == 403


def test_two_accounts_with_the_address_are_refused_not_one_picked():
    from django.core.exceptions import ValidationError

    from accounts.services import court_administrator_save

    montana_court(), utah_court()
    User = get_user_model()
    User.objects.create(username="clerk-a", email="clerk@utd.example.gov", is_staff=True)
    User.objects.create(username="clerk-b", email="Clerk@utd.example.gov", is_staff=True)
    with pytest.raises(ValidationError, match="Two accounts have the address"):
        court_administrator_save(email="clerk@utd.example.gov", name="Utah Clerk", court_ids=["UTDC"])
    assert not CourtAdministrator.objects.exists()


def test_staff_cannot_change_their_own_address(client):
    from tests.factories import montana_administrator

    admin = montana_administrator()
    client.force_login(admin)
    for action in ("action_add", "action_primary"):
        response = client.post("/accounts/email/", {action: "", "email": "new.clerk@utd.example.gov"})
        assert response.status_code == 403
    admin.refresh_from_db()
    assert admin.email == "clerk@mtd.example.gov"
    assert "set by your rollout coordinator" in response.content.decode()
    assert client.get("/accounts/email/").status_code == 200


def test_an_address_longer_than_a_username_holds_is_refused_naming_its_length():
    from django.core.exceptions import ValidationError

    from accounts.services import court_administrator_save

    montana_court()
    email = "a" * 60 + "@" + "b" * 60 + "." + "c" * 60 + ".gov"
    with pytest.raises(ValidationError, match="at most 150"):
        court_administrator_save(email=email, name="Ann", court_ids=["MTDC"])
    assert not get_user_model().objects.exists()


def test_a_deactivated_account_taken_back_keeps_none_of_its_old_credentials():
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from allauth.socialaccount.models import SocialAccount

    from accounts.services import court_administrator_save

    montana_court()
    old = get_user_model().objects.create_user("clerk-old", "clerk@mtd.example.gov", PASSWORD, is_staff=True,
                                               is_active=False)
    TOTP.activate(old, generate_totp_secret())
    SocialAccount.objects.create(user=old, provider="sso", uid="old-clerk")
    saved = court_administrator_save(email="clerk@mtd.example.gov", name="New Clerk", court_ids=["MTDC"])
    user = get_user_model().objects.get(pk=old.pk)
    assert saved.user.pk == old.pk and user.is_active
    assert not user.has_usable_password()
    assert not Authenticator.objects.filter(user=user).exists() and not SocialAccount.objects.filter(user=user).exists()


def test_an_active_account_keeps_its_credentials_when_given_another_court():
    from accounts.services import court_administrator_save

    montana_court(), utah_court()
    user = get_user_model().objects.create_user("clerk", "clerk@mtd.example.gov", PASSWORD, is_staff=True)
    court_administrator_save(email="clerk@mtd.example.gov", name="Clerk", court_ids=["UTDC"])
    assert get_user_model().objects.get(pk=user.pk).check_password(PASSWORD)


def test_with_sso_only_the_invitation_says_how_to_sign_in_and_sends_no_password_link(settings):
    from accounts.services import court_administrator_save, court_administrator_send_invitation

    settings.SSO_ONLY, settings.SSO_PROVIDER_NAME = True, "Montana court sign-in"
    montana_court()
    saved = court_administrator_save(email="clerk@mtd.example.gov", name="Clerk", court_ids=["MTDC"])
    court_administrator_send_invitation(saved.user)
    (message,) = mail.outbox
    assert "with Montana court sign-in (single sign-on), as clerk@mtd.example.gov" in message.body
    assert "/accounts/reset/" not in message.body and "password here" not in message.body
