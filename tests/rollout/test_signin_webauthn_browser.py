"""WebAuthn in a real Chromium with the DevTools virtual authenticator (CDP WebAuthn domain): a court
administrator who must have a second factor enrols a security key on allauth's page, signs out, signs
in with password then the key, and lands on the dashboard — under the site's CSP (no inline script),
with no policy violation."""
from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.db import connections

from rollout.signin.models import SignInEvent
from tests.rollout.test_browser import chromium  # noqa: F401  (fixture)
from tests.rollout.test_filers_browser import axe  # noqa: F401  (fixture)
from tests.factories import montana_administrator

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery staple"


@pytest.fixture
def montana_user(transactional_db, settings):
    settings.STAFF_MFA_REQUIRED = True
    user = montana_administrator()
    # (see tests/rollout/test_browser.py: a connection opened here would outlive the test)
    connections.close_all()
    return user


def sign_in_with_password(page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill("montana-admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_enrol_a_security_key_then_sign_in_with_it(montana_user, live_server, chromium):  # noqa: F811
    # live_server serves http://localhost:PORT: a secure context for WebAuthn, and a valid RP id.
    base = live_server.url.replace("127.0.0.1", "localhost")
    context = chromium.new_context()
    page = context.new_page()
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "usb", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})

    # No second factor yet: signed in, but every staff page sends to enrolment.
    sign_in_with_password(page, base)
    page.goto(f"{base}/admin/")
    assert page.url.startswith(f"{base}/accounts/2fa/")

    page.goto(f"{base}/accounts/2fa/webauthn/add/")
    if "/reauthenticate/" in page.url:  # allauth asks for the password before a factor is added
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Confirm").click()
        page.wait_for_url("**/webauthn/add/**")
    page.get_by_label("Name").fill("Court-issued key")
    page.get_by_role("button", name="Add").click()
    page.wait_for_url(lambda url: "/webauthn/add/" not in url)
    key = Authenticator.objects.get(user=montana_user, type=Authenticator.Type.WEBAUTHN)
    assert key.wrap().name == "Court-issued key"
    assert page.goto(f"{base}/admin/").status == 200

    # Sign out; the password alone no longer signs in: the key is asked for, and signs in.
    page.goto(f"{base}/")
    page.get_by_role("button", name="Log out montana-admin").click()
    page.wait_for_url("**/accounts/login/**")
    sign_in_with_password(page, base)
    page.wait_for_url("**/2fa/authenticate/**")
    page.get_by_role("button", name="Use a security key").click()
    page.wait_for_url(f"{base}/")
    assert page.get_by_role("button", name="Log out montana-admin").is_visible()
    assert page.goto(f"{base}/admin/").status == 200
    assert violations == []
    kinds = set(SignInEvent.objects.filter(user=montana_user).values_list("kind", flat=True))
    assert {SignInEvent.Kind.MFA_ADDED, SignInEvent.Kind.MFA_USED, SignInEvent.Kind.SIGNED_IN} <= kinds
    context.close()
    connections.close_all()  # the reads above ran in Playwright's context: close them there


SIGN_IN_PAGES = ["/accounts/login/", "/accounts/2fa/", "/accounts/2fa/webauthn/add/", "/accounts/2fa/totp/activate/",
                 "/accounts/reauthenticate/", "/accounts/sessions/", "/preferences/"]


def test_the_sign_in_pages_are_accessible(montana_user, live_server, chromium, axe):  # noqa: F811
    # bypass_csp: axe is a script of the test's own, which the site's policy rightly refuses otherwise.
    context = chromium.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    axe(page, "the log-in page")
    sign_in_with_password(page, live_server.url)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    for path in SIGN_IN_PAGES[1:]:
        page.goto(f"{live_server.url}{path}")
        if "/reauthenticate/" in page.url and path != "/accounts/reauthenticate/":
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Confirm").click()
            page.wait_for_url(f"**{path}**")
        axe(page, path)
    context.close()
