"""Log-in throttling (django-axes) through the real log-in forms: locked out after LOGIN_FAILURE_LIMIT
wrong passwords per username and address (the client's, behind trusted proxies too), told so on a page of its own, unlocked by a superuser
or once the cool-off has passed."""
from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tests.factories import montana_administrator, superuser

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"  # the factories' password
LOGIN = "/accounts/login/"


@pytest.fixture
def montana():
    return montana_administrator()


def attempt(username: str, password: str, *, address: str = "203.0.113.7", path: str = LOGIN):
    """One log-in through the form, as a browser from `address` would send it."""
    client = Client(REMOTE_ADDR=address)
    data = {"username": username, "password": password}
    if path.startswith("/admin/"):
        data["next"] = "/admin/"
    response = client.post(path, data)
    return response, client


def fail(username: str, times: int, **kwargs) -> None:
    for _ in range(times):
        response, _ = attempt(username, "wrong-password", **kwargs)
        assert response.status_code in (200, 429)


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_the_defaults_are_five_failures_and_thirty_minutes():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == dt.timedelta(minutes=30)


def test_the_right_password_logs_in(montana):
    response, client = attempt("montana-admin", PASSWORD)
    assert response.status_code == 302 and logged_in(client)


def test_fewer_failures_than_the_limit_still_let_the_right_password_in(montana):
    fail("montana-admin", settings.AXES_FAILURE_LIMIT - 1)
    response, client = attempt("montana-admin", PASSWORD)
    assert response.status_code == 302 and logged_in(client)


def test_at_the_limit_the_right_password_is_refused_with_the_lockout_page(montana):
    fail("montana-admin", settings.AXES_FAILURE_LIMIT)
    response, client = attempt("montana-admin", PASSWORD)
    assert response.status_code == 429 and not logged_in(client)
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    text = response.content.decode()
    assert "Log-in paused" in text and "after 5 wrong passwords" in text and "30 minutes" in text


def test_forty_wrong_passwords_then_the_right_one_is_refused(montana):
    """The issue's reproduction: 40 wrong passwords in a row, then the right one."""
    fail("montana-admin", 40)
    response, client = attempt("montana-admin", PASSWORD)
    assert response.status_code == 429 and not logged_in(client)


def test_a_username_is_locked_from_the_address_that_guessed_only(montana):
    fail("montana-admin", settings.AXES_FAILURE_LIMIT, address="198.51.100.1")
    response, client = attempt("montana-admin", PASSWORD, address="198.51.100.1")
    assert response.status_code == 429 and not logged_in(client)
    response, client = attempt("montana-admin", PASSWORD, address="192.0.2.99")
    assert response.status_code == 302 and logged_in(client)


def test_an_address_guessing_other_usernames_does_not_lock_a_user_out_there(montana):
    for n in range(settings.AXES_FAILURE_LIMIT):
        fail(f"guess-{n}", 1, address="203.0.113.50")
    response, client = attempt("montana-admin", PASSWORD, address="203.0.113.50")
    assert response.status_code == 302 and logged_in(client)


def through_proxy(username: str, password: str, *, client_address: str, claimed: str = ""):
    """One log-in through one reverse proxy (10.0.0.2): it appends the address it received the request
    from to whatever X-Forwarded-For the client sent (`claimed`)."""
    forwarded = f"{claimed}, {client_address}" if claimed else client_address
    client = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    response = client.post(LOGIN, {"username": username, "password": password})
    return response, client


def test_behind_a_proxy_the_guessing_client_is_locked_and_another_is_not(montana, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(settings.AXES_FAILURE_LIMIT):
        through_proxy("montana-admin", "wrong-password", client_address="198.51.100.7")
    response, client = through_proxy("montana-admin", PASSWORD, client_address="198.51.100.7")
    assert response.status_code == 429 and not logged_in(client)
    response, client = through_proxy("montana-admin", PASSWORD, client_address="192.0.2.44")
    assert response.status_code == 302 and logged_in(client)


def test_behind_a_proxy_a_forged_forwarded_for_does_not_escape_the_lock(montana, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(settings.AXES_FAILURE_LIMIT):
        through_proxy("montana-admin", "wrong-password", client_address="198.51.100.7", claimed=f"192.0.2.{n}")
    response, client = through_proxy("montana-admin", PASSWORD, client_address="198.51.100.7", claimed="192.0.2.200")
    assert response.status_code == 429 and not logged_in(client)


def test_without_a_trusted_proxy_the_forwarded_for_header_is_not_believed(montana, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(settings.AXES_FAILURE_LIMIT):
        client = Client(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        client.post(LOGIN, {"username": "montana-admin", "password": "wrong-password"})
    response, client = attempt("montana-admin", PASSWORD, address="198.51.100.7")
    assert response.status_code == 429 and not logged_in(client)


def test_another_address_and_user_are_not_locked_by_someone_elses_failures(montana):
    superuser("coordinator")
    fail("montana-admin", settings.AXES_FAILURE_LIMIT, address="203.0.113.50")
    response, client = attempt("coordinator", PASSWORD, address="192.0.2.10")
    assert response.status_code == 302 and logged_in(client)


def test_the_admin_log_in_form_is_throttled_too(montana):
    fail("montana-admin", settings.AXES_FAILURE_LIMIT, path="/admin/login/")
    response, client = attempt("montana-admin", PASSWORD, path="/admin/login/")
    assert response.status_code == 429 and not logged_in(client)
    assert "Log-in paused" in response.content.decode()


def test_the_lockout_ends_after_the_cool_off(montana):
    fail("montana-admin", settings.AXES_FAILURE_LIMIT)
    # The attempts as the database keeps them, moved back past the cool-off (no waiting in a test).
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - dt.timedelta(minutes=1))
    response, client = attempt("montana-admin", PASSWORD)
    assert response.status_code == 302 and logged_in(client)


def test_a_superuser_unlocks_a_username_with_the_command(montana):
    fail("montana-admin", settings.AXES_FAILURE_LIMIT, address="203.0.113.7")
    call_command("axes_reset_username", "montana-admin")
    response, client = attempt("montana-admin", PASSWORD, address="192.0.2.10")
    assert response.status_code == 302 and logged_in(client)


def test_a_superuser_unlocks_in_the_admin_by_deleting_the_access_attempts(montana):
    fail("montana-admin", settings.AXES_FAILURE_LIMIT, address="203.0.113.7")
    coordinator = Client(REMOTE_ADDR="192.0.2.10")
    coordinator.force_login(superuser())
    listing = coordinator.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and "montana-admin" in listing.content.decode()
    ids = [str(pk) for pk in AccessAttempt.objects.values_list("pk", flat=True)]
    response = coordinator.post("/admin/axes/accessattempt/", {"action": "delete_selected", "_selected_action": ids,
                                                                "post": "yes"})
    assert response.status_code == 302 and not AccessAttempt.objects.exists()
    response, client = attempt("montana-admin", PASSWORD, address="203.0.113.7")
    assert response.status_code == 302 and logged_in(client)


def test_a_court_administrator_cannot_see_or_lift_lockouts(montana):
    fail("someone", settings.AXES_FAILURE_LIMIT)
    clerk = Client()
    clerk.force_login(montana)
    assert clerk.get("/admin/axes/accessattempt/").status_code == 403


def test_logging_in_to_ones_own_account_does_not_clear_the_failures_from_that_address(montana):
    """Someone with an account guesses another user's password, logs in as themselves between guesses
    to clear the count, and guesses again: the guesses still add up."""
    superuser("insider")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        fail("montana-admin", 1, address="203.0.113.66")
        attempt("insider", PASSWORD, address="203.0.113.66")
    response, client = attempt("montana-admin", PASSWORD, address="203.0.113.66")
    assert response.status_code == 429 and not logged_in(client)


def test_a_lockout_holds_whatever_case_the_username_is_typed_in(montana):
    fail("montana-admin", settings.AXES_FAILURE_LIMIT)
    for variant in ("MONTANA-ADMIN", "Montana-Admin", " montana-admin "):
        response, client = attempt(variant, PASSWORD)
        assert response.status_code == 429 and not logged_in(client)
