"""Mandatory MFA for staff (STAFF_MFA_REQUIRED), generated over every URL the project serves, and the
TOTP fallback through allauth's real pages (enrol, sign out, sign in with password then code)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter

from rollout.signin.middleware import ENROLMENT_OPEN
from rollout.signin.models import SignInEvent
from tests.factories import montana_administrator, superuser

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
SAMPLE = {"app_label": "accounts", "court_id": "MTDC", "circuit": "09"}


@pytest.fixture(autouse=True)
def _mfa_required(settings):
    settings.STAFF_MFA_REQUIRED = True


def every_url() -> list[str]:
    """One concrete path for every named URL pattern of the project (admin, dashboard, notices…),
    each parameter filled with a sample of its converter's shape."""
    paths = []

    def walk(patterns, namespace, outer):
        for entry in patterns:
            names = {**outer, **{n: getattr(entry.pattern, "converters", {}).get(n)
                                 for n in entry.pattern.regex.groupindex}}
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, f"{namespace}{entry.namespace}:" if entry.namespace else namespace, names)
            elif isinstance(entry, URLPattern) and entry.name:
                kwargs = {n: SAMPLE.get(n, 1 if isinstance(c, IntConverter) else "1") for n, c in names.items()}
                try:
                    paths.append(reverse(f"{namespace}{entry.name}", kwargs=kwargs))
                except NoReverseMatch:  # a sample that does not fit the pattern: strings then
                    paths.append(reverse(f"{namespace}{entry.name}", kwargs={n: "x" for n in names}))

    walk(get_resolver().url_patterns, "", {})
    return sorted(set(paths))


def test_the_generated_list_covers_the_admin_and_the_dashboards():
    urls = every_url()
    assert "/admin/" in urls and "/" in urls and "/admin/accounts/cmecfaccount/" in urls
    assert sum(u.startswith("/admin/") for u in urls) > 50


@pytest.mark.parametrize("who", ["court administrator", "superuser"])
def test_staff_without_a_second_factor_reach_no_url_but_enrolment(who):
    user = montana_administrator() if who == "court administrator" else superuser()
    client = Client()
    client.force_login(user)
    enrol = reverse("mfa_index")
    answered = []
    for url in every_url():
        if url.startswith(ENROLMENT_OPEN):
            continue
        for method in (client.get, client.post):
            response = method(url)
            if response.status_code != 302 or response["Location"] != enrol:
                answered.append((method.__name__, url, response.status_code))
    assert answered == []


def test_the_enrolment_pages_stay_open():
    client = Client()
    client.force_login(montana_administrator())
    assert client.get(reverse("mfa_index")).status_code == 200
    assert client.get(reverse("mfa_activate_totp")).status_code in (200, 302)


def test_with_a_second_factor_the_admin_answers():
    user = montana_administrator()
    Authenticator.objects.create(user=user, type=Authenticator.Type.WEBAUTHN, data={})
    client = Client()
    client.force_login(user)
    assert client.get("/admin/").status_code == 200
    assert client.get("/").status_code == 200


def test_recovery_codes_alone_are_not_a_second_factor():
    user = montana_administrator()
    Authenticator.objects.create(user=user, type=Authenticator.Type.RECOVERY_CODES, data={})
    client = Client()
    client.force_login(user)
    assert client.get("/admin/")["Location"] == reverse("mfa_index")


def test_mfa_stays_optional_when_the_setting_is_off(settings):
    settings.STAFF_MFA_REQUIRED = False
    client = Client()
    client.force_login(montana_administrator())
    assert client.get("/admin/").status_code == 200


# --- TOTP through allauth's real pages ------------------------------------------------------------

def totp(secret: str, at: float | None = None) -> str:
    """RFC 6238 code (30 s steps, 6 digits, SHA-1), as an authenticator app computes it."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int((at or time.time()) // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def sign_in(client: Client, username: str, password: str = PASSWORD):
    return client.post(reverse("login"), {"login": username, "password": password})


def test_totp_enrolment_then_sign_in_asks_for_the_code(django_capture_on_commit_callbacks, settings):
    settings.MFA_TOTP_TOLERANCE = 1  # the next 30-second code too: the current one was spent on enrolment
    montana_administrator()
    client = Client()
    response = sign_in(client, "montana-admin")
    assert response.status_code == 302  # straight in: no second factor yet
    assert client.get("/admin/")["Location"] == reverse("mfa_index")  # but sent to enrol

    page = client.get(reverse("mfa_activate_totp"))
    if page.status_code == 302:  # allauth asks for the password again before adding a factor
        client.post(page["Location"].split("?")[0], {"password": PASSWORD})
        page = client.get(reverse("mfa_activate_totp"))
    secret = page.context["form"].secret
    with django_capture_on_commit_callbacks(execute=True):  # allauth signals the new factor on commit
        response = client.post(reverse("mfa_activate_totp"), {"code": totp(secret)})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert SignInEvent.objects.filter(kind=SignInEvent.Kind.MFA_ADDED, username="montana-admin").exists()

    client.post(reverse("logout"))
    fresh = Client()
    response = sign_in(fresh, "montana-admin")
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in fresh.session  # the password alone signs nobody in
    bad = fresh.post(reverse("mfa_authenticate"), {"code": "000000" if totp(secret) != "000000" else "111111"})
    assert bad.status_code == 200 and "_auth_user_id" not in fresh.session
    response = fresh.post(reverse("mfa_authenticate"), {"code": totp(secret, time.time() + 30)})
    assert response.status_code == 302 and "_auth_user_id" in fresh.session
    kinds = list(SignInEvent.objects.filter(username="montana-admin").values_list("kind", flat=True))
    assert {SignInEvent.Kind.MFA_FAILED, SignInEvent.Kind.MFA_USED, SignInEvent.Kind.SIGNED_IN} <= set(kinds)


def test_wrong_codes_are_limited_like_passwords_so_the_right_one_then_waits(settings):
    """A stolen password buys AXES_FAILURE_LIMIT guesses at the code, not a million."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(montana_administrator(), secret)
    client = Client()
    assert sign_in(client, "montana-admin")["Location"] == reverse("mfa_authenticate")
    wrong = "000000" if totp(secret) != "000000" else "111111"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("mfa_authenticate"), {"code": wrong})
    refused = client.post(reverse("mfa_authenticate"), {"code": totp(secret)})
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in refused.content.decode()


def test_a_wrong_password_is_still_counted_by_axes_not_allauth(settings):
    montana_administrator()
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "montana-admin", "wrong password")
    assert "Too many failed login attempts" not in sign_in(client, "montana-admin").content.decode()


# --- Security keys only (STAFF_MFA_AUTHENTICATOR_APPS off, production's default) ------------------

def test_with_apps_off_an_authenticator_app_alone_is_not_a_second_factor(settings):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    settings.STAFF_MFA_AUTHENTICATOR_APPS = False
    user = montana_administrator()
    TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user)
    assert client.get("/admin/")["Location"] == reverse("mfa_index")


def test_with_apps_off_a_right_code_does_not_sign_in_and_says_to_use_a_key(settings):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from rollout.signin.forms import CODES_REFUSED

    settings.STAFF_MFA_AUTHENTICATOR_APPS = False
    secret = generate_totp_secret()
    TOTP.activate(montana_administrator(), secret)
    client = Client()
    assert sign_in(client, "montana-admin")["Location"] == reverse("mfa_authenticate")
    refused = client.post(reverse("mfa_authenticate"), {"code": totp(secret)})
    assert "_auth_user_id" not in client.session
    assert refused.context["form"].errors["code"] == [CODES_REFUSED]
