"""Single sign-on against a real OpenID Connect provider on loopback: django-oauth-toolkit's, run as a
second process (tests/oidc_idp) with an RS256 key made here. The tracker side is the test client; the
browser's part (following redirects, signing in at the provider) is a requests session.

Cases: a staff user signs in and lands on the dashboard; a wrong audience, an expired ID token, an
unverified email, a filer's email and an unknown email are each refused, with no account made."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.test import Client

from rollout.signin.models import SignInEvent
from tests.factories import FilerFactory, montana_administrator, superuser

REPO = Path(__file__).resolve().parents[2]
IDP_PASSWORD = "idp-password-1"
CALLBACK = "http://testserver/accounts/oidc/sso/login/callback/"
IDP_USERS = {  # username at the provider: email it asserts
    "montana-sso": "clerk@mtd.example.gov",
    "wrongaud-montana": "clerk@mtd.example.gov",
    "expired-montana": "clerk@mtd.example.gov",
    "unverified-montana": "clerk@mtd.example.gov",
    "filer-jane": "jane.lawyer@example.com",
    "stranger": "nobody@mtd.example.gov",
    "elsewhere": "clerk@evil.example.net",
}
SETUP = f"""
from django.contrib.auth.models import User
from oauth2_provider.models import Application
for name, email in {IDP_USERS!r}.items():
    User.objects.create_user(name, email, {IDP_PASSWORD!r})
Application.objects.create(name="tracker", client_id="rollout-tracker", client_secret="tracker-secret",
    client_type="confidential", authorization_grant_type="authorization-code", redirect_uris={CALLBACK!r},
    algorithm="RS256", skip_authorization=True)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


IDP_ENV: dict[str, str] = {}  # the provider's environment, for a test that changes its records


@pytest.fixture(scope="module")
def identity_provider(tmp_path_factory):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "ROLLOUT_"))},
           "DJANGO_SETTINGS_MODULE": "tests.oidc_idp.settings", "PYTHONPATH": str(REPO),
           "IDP_DATABASE": str(tmp_path_factory.mktemp("idp") / "idp.sqlite3"), "IDP_RSA_PRIVATE_KEY": key}
    IDP_ENV.update(env)
    django = [sys.executable, "-m", "django"]
    subprocess.run(django + ["migrate", "--noinput", "-v0"], env=env, cwd=REPO, check=True)
    subprocess.run(django + ["shell", "-c", SETUP], env=env, cwd=REPO, check=True)
    port = free_port()
    server = subprocess.Popen(django + ["runserver", f"127.0.0.1:{port}", "--noreload"], env=env, cwd=REPO,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    issuer = f"http://127.0.0.1:{port}/o"
    try:
        for _ in range(300):
            try:
                if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            pytest.fail("the test identity provider did not start")
        yield issuer
    finally:
        server.terminate()
        server.wait(10)


def use_issuer(settings, issuer: str) -> None:
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": [{
        "provider_id": "sso", "name": "Court sign-in", "client_id": "rollout-tracker", "secret": "tracker-secret",
        "settings": {"server_url": issuer, "token_auth_method": "client_secret_post"}}]}}


@pytest.fixture
def sso(identity_provider, settings, db):
    use_issuer(settings, identity_provider)
    settings.SSO_ALLOWED_EMAIL_DOMAINS = ["mtd.example.gov", "example.com"]
    settings.STAFF_MFA_REQUIRED = True  # single sign-on sessions are not asked for a local second factor
    return identity_provider


def sso_sign_in(client: Client, username: str, start_url: str = "/accounts/oidc/sso/login/",
                browser: requests.Session | None = None):
    """The browser's part of the authorization code flow; returns the tracker's answer to the callback.
    A `browser` already signed in at the provider is sent straight back, asked nothing."""
    start = client.post(start_url, {"process": "login"})
    assert start.status_code == 302, start.content[:500]
    browser = browser if browser is not None else requests.Session()
    answer = browser.get(start["Location"], allow_redirects=False)  # the provider asks who this is
    if urlsplit(answer.headers["Location"]).path != "/accounts/oidc/sso/login/callback/":
        login_url = urljoin(start["Location"], answer.headers["Location"])
        browser.get(login_url)
        answer = browser.post(login_url, data={"username": username, "password": IDP_PASSWORD,
                                               "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
                              allow_redirects=False)
        answer = browser.get(urljoin(login_url, answer.headers["Location"]), allow_redirects=False)
    callback = urlsplit(answer.headers["Location"])
    assert callback.path == "/accounts/oidc/sso/login/callback/", answer.headers["Location"]
    return client.get(f"{callback.path}?{callback.query}")


def signed_in_as(client: Client):
    user_id = client.session.get("_auth_user_id")
    return get_user_model().objects.get(pk=user_id).username if user_id else None


def test_the_login_page_offers_single_sign_on(sso):
    assert "Sign in with Court sign-in" in Client().get("/accounts/login/").content.decode()


def test_a_staff_user_signs_in_and_lands_on_the_dashboard(sso):
    montana_administrator()
    users_before = get_user_model().objects.count()
    client = Client()
    response = sso_sign_in(client, "montana-sso")
    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in_as(client) == "montana-admin"
    assert client.get("/").status_code == 200
    assert client.get("/admin/").status_code == 200  # no local enrolment asked of an SSO session
    assert get_user_model().objects.count() == users_before
    assert SocialAccount.objects.get(provider="sso").user.username == "montana-admin"
    assert SignInEvent.objects.filter(kind=SignInEvent.Kind.SIGNED_IN, method="sso", username="montana-admin").exists()
    # The next sign-in goes through the link made the first time.
    again = Client()
    assert sso_sign_in(again, "montana-sso").status_code == 302 and signed_in_as(again) == "montana-admin"


@pytest.mark.parametrize("username, why", [("wrongaud-montana", "audience"), ("expired-montana", "expired")])
def test_an_id_token_that_fails_its_checks_signs_nobody_in(sso, username, why):
    montana_administrator()
    client = Client()
    response = sso_sign_in(client, username)
    assert response.status_code == 401 and signed_in_as(client) is None  # allauth's authentication error page
    assert not SocialAccount.objects.exists()
    refused = SignInEvent.objects.get(kind=SignInEvent.Kind.SSO_REFUSED)
    assert why in refused.detail.lower()


@pytest.mark.parametrize("username, reason", [
    ("unverified-montana", "did not confirm that your email address is verified"),
    ("filer-jane", "No staff account of the tracker has your email address"),
    ("stranger", "No staff account of the tracker has your email address"),
    ("elsewhere", "not in a domain this tracker accepts"),
])
def test_a_refused_sign_in_says_why_and_makes_no_account(sso, username, reason):
    montana_administrator()
    FilerFactory(name="Jane Q. Lawyer", email="jane.lawyer@example.com")
    users_before = get_user_model().objects.count()
    client = Client()
    response = sso_sign_in(client, username)
    assert response.status_code == 403 and reason in response.content.decode()
    assert signed_in_as(client) is None
    assert get_user_model().objects.count() == users_before and not SocialAccount.objects.exists()
    assert SignInEvent.objects.filter(kind=SignInEvent.Kind.SSO_REFUSED, method="sso").exists()


def test_an_identity_provider_that_cannot_be_reached_is_named_unavailable_not_an_error(settings, db):
    use_issuer(settings, f"http://127.0.0.1:{free_port()}/o")  # nothing listens there
    client = Client(raise_request_exception=False)  # answer as the server would
    response = client.post("/accounts/oidc/sso/login/", {"process": "login"})
    assert response.status_code == 503, response.content[:500]
    assert "Single sign-on is unavailable right now; try again in a few minutes." in response.content.decode()
    assert SignInEvent.objects.filter(kind=SignInEvent.Kind.SSO_REFUSED, method="sso").exists()


def test_a_non_staff_user_with_the_email_is_not_matched(sso):
    get_user_model().objects.create_user("not-staff", "clerk@mtd.example.gov", "whatever-pass-1")
    client = Client()
    assert sso_sign_in(client, "montana-sso").status_code == 403 and signed_in_as(client) is None


def test_with_sso_only_staff_cannot_use_a_password_but_a_superuser_can(sso, settings):
    settings.SSO_ONLY = True
    montana_administrator()
    superuser("coordinator")
    staff = Client()
    response = staff.post("/accounts/login/", {"login": "montana-admin", "password": "correct horse battery staple"})
    assert response.status_code == 200 and "single sign-on" in response.content.decode()
    assert signed_in_as(staff) is None
    breakglass = Client()
    breakglass.post("/accounts/login/", {"login": "coordinator", "password": "correct horse battery staple"})
    assert signed_in_as(breakglass) == "coordinator"


def test_a_mass_action_sends_a_single_sign_on_session_back_to_the_provider(sso, settings):
    from courts.models import GoLive, GoLiveStatus
    from tests.factories import GoLiveFactory, montana_court

    settings.STAFF_REAUTHENTICATION_REQUIRED = True
    montana_administrator()
    golive = GoLiveFactory(court=montana_court(), status=GoLiveStatus.SCHEDULED)
    client = Client()
    sso_sign_in(client, "montana-sso")
    action = {"action": "mark_live", "_selected_action": [golive.pk]}
    # Just signed in at the provider: within the window, the action goes through.
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 600
    client.post("/admin/courts/golive/", {"action": "postpone", "_selected_action": [golive.pk]})
    assert GoLive.objects.get(pk=golive.pk).status == GoLiveStatus.POSTPONED
    # Once the window has passed: back to the provider with prompt=login, and nothing done meanwhile.
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 0
    asked = client.post("/admin/courts/golive/", action)
    assert asked.status_code == 302 and asked["Location"].startswith("/accounts/oidc/sso/login/?")
    assert "prompt%3Dlogin" in asked["Location"]
    assert GoLive.objects.get(pk=golive.pk).status == GoLiveStatus.POSTPONED
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 600
    back = sso_sign_in(client, "montana-sso", start_url=asked["Location"])
    assert back.status_code == 302 and back["Location"] == "/admin/courts/golive/"
    client.post("/admin/courts/golive/", action)
    assert GoLive.objects.get(pk=golive.pk).status == GoLiveStatus.LIVE


def test_coming_back_from_a_provider_session_without_credentials_is_not_a_re_authentication(sso, settings):
    """The provider signed the user in an hour ago; a round trip that asks nothing keeps that hour."""
    from courts.models import GoLive, GoLiveStatus
    from tests.factories import GoLiveFactory, montana_court

    settings.STAFF_REAUTHENTICATION_REQUIRED = True
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 600
    montana_administrator()
    golive = GoLiveFactory(court=montana_court(), status=GoLiveStatus.SCHEDULED)
    client, browser = Client(), requests.Session()
    sso_sign_in(client, "montana-sso", browser=browser)
    subprocess.run([sys.executable, "-m", "django", "shell", "-c",
                    "import datetime as dt; from django.utils import timezone; "
                    "from django.contrib.auth.models import User; User.objects.filter(username='montana-sso')"
                    ".update(last_login=timezone.now() - dt.timedelta(hours=1))"],
                   env=IDP_ENV, cwd=REPO, check=True)
    back = sso_sign_in(client, "montana-sso", start_url="/accounts/oidc/sso/login/", browser=browser)
    assert back.status_code == 302 and signed_in_as(client) == "montana-admin"
    asked = client.post("/admin/courts/golive/", {"action": "mark_live", "_selected_action": [golive.pk]})
    assert asked.status_code == 302 and "prompt%3Dlogin" in asked["Location"]
    assert GoLive.objects.get(pk=golive.pk).status == GoLiveStatus.SCHEDULED


def test_with_sso_only_a_right_password_reads_as_a_wrong_one_and_counts_as_a_failure(sso, settings):
    from axes.models import AccessAttempt

    settings.SSO_ONLY = True
    montana_administrator()
    pages = {}
    for password in ("correct horse battery staple", "a wrong guess"):
        client = Client(REMOTE_ADDR="203.0.113.9")
        response = client.post("/accounts/login/", {"login": "montana-admin", "password": password})
        pages[password] = response.context["form"].non_field_errors()
        assert signed_in_as(client) is None
    assert pages["correct horse battery staple"] == pages["a wrong guess"]
    assert "single sign-on button" in pages["a wrong guess"][0]
    assert AccessAttempt.objects.get(username="montana-admin").failures_since_start == 2
