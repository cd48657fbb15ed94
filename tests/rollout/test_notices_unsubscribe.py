"""One-click unsubscribe (RFC 8058) with a signed, expiring token."""
import pytest
from django.core import signing
from django.test import Client

from rollout.notices.models import NoticeUnsubscribe
from rollout.notices.tokens import unsubscribe_token
from tests.factories import filer_at, montana_court

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return filer_at(montana_court())


def url(token):
    return f"/notices/unsubscribe/{token}/"


def test_opening_the_link_asks_to_confirm_and_unsubscribes_nobody(account):
    response = Client().get(url(unsubscribe_token(account.filer_id, account.court_id, account.filer.email)))
    assert response.status_code == 200
    assert b"Stop the reminders" in response.content
    assert not NoticeUnsubscribe.objects.exists()


def test_head_on_the_link_answers_and_unsubscribes_nobody(account):
    response = Client().head(url(unsubscribe_token(account.filer_id, account.court_id, account.filer.email)))
    assert response.status_code == 200
    assert not NoticeUnsubscribe.objects.exists()


def test_one_click_post_unsubscribes_without_a_csrf_token(account):
    client = Client(enforce_csrf_checks=True)
    response = client.post(url(unsubscribe_token(account.filer_id, account.court_id, account.filer.email)),
                           data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert NoticeUnsubscribe.objects.filter(filer=account.filer, court=account.court).count() == 1


def test_a_tampered_token_is_refused_and_changes_nothing(account):
    token = unsubscribe_token(account.filer_id, account.court_id, account.filer.email)
    forged = signing.TimestampSigner(salt="another-salt").sign_object({"f": account.filer_id, "c": account.court_id})
    for bad in (token[:-2] + "xx", forged):
        response = Client().post(url(bad))
        assert response.status_code == 400
    assert not NoticeUnsubscribe.objects.exists()


def test_an_expired_token_is_refused(account, settings):
    settings.NOTICES_UNSUBSCRIBE_MAX_AGE_DAYS = 1
    signer = signing.TimestampSigner(salt="rollout.notices.unsubscribe")
    old = signer.sign_object({"f": account.filer_id, "c": account.court_id})
    import time
    from unittest import mock

    with mock.patch("time.time", return_value=time.time() + 3 * 86400):  # the clock, not the code under test
        response = Client().post(url(old))
    assert response.status_code == 400 and b"expired" in response.content
    assert not NoticeUnsubscribe.objects.exists()


def test_a_token_is_void_once_the_filer_changes_address(account):
    from accounts.self_service import filer_change_email

    token = unsubscribe_token(account.filer_id, account.court_id, account.filer.email)
    filer_change_email(account.filer_id, account.filer.email, "new-address@example.com", 0)
    response = Client().post(url(token))
    assert response.status_code == 400 and b"no longer use" in response.content
    assert not NoticeUnsubscribe.objects.exists()


def test_a_token_without_an_address_tag_is_refused(account):
    old_style = signing.TimestampSigner(salt="rollout.notices.unsubscribe").sign_object(
        {"f": account.filer_id, "c": account.court_id})
    assert Client().post(url(old_style)).status_code == 400
    assert not NoticeUnsubscribe.objects.exists()
