"""Sessions that end (idle time, maximum age), re-authentication before every mass action once the
window has passed, sign-out everywhere, and the sign-in log."""
from __future__ import annotations

import datetime as dt
import time

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from courts.models import GoLive, GoLiveStatus
from rollout.signin.middleware import LAST_SEEN, STARTED
from rollout.signin.models import SignInEvent
from tests.factories import CmecfAccountFactory, GoLiveFactory, montana_administrator, montana_court, superuser

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def set_session(client: Client, **values) -> None:
    session = client.session
    session.update(values)
    session.save()


# --- Sessions that end -------------------------------------------------------------------------------

def test_an_idle_session_ends():
    client = Client()
    client.force_login(montana_administrator())
    set_session(client, **{LAST_SEEN: time.time() - django_settings.STAFF_SESSION_IDLE_SECONDS - 5})
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not signed_in(client)
    assert SignInEvent.objects.filter(kind=SignInEvent.Kind.SESSION_EXPIRED, detail__contains="no activity").exists()


def test_a_session_past_its_maximum_age_ends_even_when_active():
    client = Client()
    client.force_login(montana_administrator())
    set_session(client, **{STARTED: time.time() - django_settings.STAFF_SESSION_MAX_AGE_SECONDS - 5,
                           LAST_SEEN: time.time()})
    assert client.get("/").status_code == 302 and not signed_in(client)
    assert SignInEvent.objects.filter(kind=SignInEvent.Kind.SESSION_EXPIRED, detail__contains="longest").exists()


def test_an_active_session_goes_on():
    client = Client()
    client.force_login(montana_administrator())
    set_session(client, **{LAST_SEEN: time.time() - django_settings.STAFF_SESSION_IDLE_SECONDS + 60})
    assert client.get("/").status_code == 200 and signed_in(client)


def test_the_cookie_lasts_no_longer_than_the_maximum_age():
    assert django_settings.SESSION_COOKIE_AGE == django_settings.STAFF_SESSION_MAX_AGE_SECONDS
    assert not django_settings.ACCOUNT_SESSION_REMEMBER


# --- Re-authentication before mass actions ------------------------------------------------------------

@pytest.fixture
def world(settings):
    settings.STAFF_REAUTHENTICATION_REQUIRED = True
    court = montana_court()
    golive = GoLiveFactory(court=court, go_live_date=dt.date(2031, 5, 1), status=GoLiveStatus.SCHEDULED)
    account = CmecfAccountFactory(court=court, login="mtfiler")
    from rollout.notices.models import DeliveryState, NoticeDelivery, NoticeKind

    failed = NoticeDelivery.objects.create(filer=account.filer, court=court, golive=golive, kind=NoticeKind.GOLIVE,
                                           notice="golive", state=DeliveryState.FAILED, last_error="550 no such user")
    return {"golive": golive, "account": account, "user": superuser(), "failed": failed}


def mass_actions(world) -> dict[str, tuple[str, dict]]:
    """Every action that reaches many filers at once: (URL, POST data)."""
    golive, account = world["golive"], world["account"]
    return {
        "mark live": ("/admin/courts/golive/", {"action": "mark_live", "_selected_action": [golive.pk]}),
        "postpone": ("/admin/courts/golive/", {"action": "postpone", "_selected_action": [golive.pk]}),
        "set the go-live date": ("/admin/courts/golive/", {"action": "set_golive_date", "_selected_action": [golive.pk],
                                                           "apply": "1", "go_live_date": "2031-06-01"}),
        "set a court's go-live date": ("/admin/courts/court/", {"action": "set_golive_date",
                                                                "_selected_action": [golive.court_id],
                                                                "apply": "1", "go_live_date": "2031-06-01"}),
        "edit a go-live": (reverse("admin:courts_golive_change", args=[golive.pk]),
                           {"go_live_date": "2031-06-01", "status": GoLiveStatus.SCHEDULED}),
        "edit go-lives in the list": ("/admin/courts/golive/", {"_save": "Save", "form-TOTAL_FORMS": "1"}),
        "send a reminder now": ("/admin/accounts/cmecfaccount/", {"action": "send_reminder_now",
                                                                  "_selected_action": [account.pk]}),
        "send a notice now": (reverse("admin:rollout_noticedelivery_send_now"), {"golive": golive.pk, "kind": "golive"}),
        "apply an import": (reverse("admin:accounts_cmecfaccount_import"), {"token": "a-dry-run-token"}),
        "resend failed deliveries": ("/admin/rollout/noticedelivery/", {"action": "resend_failed",
                                                                        "_selected_action": [world["failed"].pk]}),
    }


@pytest.mark.parametrize("name", ["mark live", "postpone", "set the go-live date", "set a court's go-live date",
                                  "edit a go-live", "edit go-lives in the list", "send a reminder now",
                                  "send a notice now", "apply an import", "resend failed deliveries"])
def test_each_mass_action_asks_for_recent_authentication(world, name):
    url, data = mass_actions(world)[name]
    client = Client()
    client.force_login(world["user"])
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_reauthenticate")), name
    golive = GoLive.objects.get(pk=world["golive"].pk)
    assert (golive.status, golive.go_live_date) == (GoLiveStatus.SCHEDULED, dt.date(2031, 5, 1))
    world["failed"].refresh_from_db()
    assert world["failed"].state == "failed"


def test_after_re_authenticating_the_action_goes_through_until_the_window_passes(world, settings):
    client = Client()
    client.force_login(world["user"])
    url, data = mass_actions(world)["mark live"]
    asked = client.post(url, data)
    # The password again: allauth replays the suspended action.
    client.post(asked["Location"], {"password": PASSWORD})
    assert GoLive.objects.get(pk=world["golive"].pk).status == GoLiveStatus.LIVE
    assert SignInEvent.objects.filter(kind=SignInEvent.Kind.REAUTHENTICATED, method="password").exists()
    # Within the window the next one is not asked …
    url, data = mass_actions(world)["postpone"]
    assert client.post(url, data)["Location"].endswith("/admin/courts/golive/")
    # … once it has passed, it is.
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 0
    url, data = mass_actions(world)["set the go-live date"]
    assert client.post(url, data)["Location"].startswith(reverse("account_reauthenticate"))


def test_a_wrong_password_does_not_re_authenticate(world):
    client = Client()
    client.force_login(world["user"])
    url, data = mass_actions(world)["mark live"]
    asked = client.post(url, data)
    assert client.post(asked["Location"], {"password": "wrong"}).status_code == 200
    assert GoLive.objects.get(pk=world["golive"].pk).status == GoLiveStatus.SCHEDULED


def test_without_the_setting_nothing_is_asked(world, settings):
    settings.STAFF_REAUTHENTICATION_REQUIRED = False
    client = Client()
    client.force_login(world["user"])
    url, data = mass_actions(world)["mark live"]
    client.post(url, data)
    assert GoLive.objects.get(pk=world["golive"].pk).status == GoLiveStatus.LIVE


# --- Sign out everywhere, and the log ----------------------------------------------------------------

def sign_in(username: str, address: str = "198.51.100.4") -> Client:
    client = Client(REMOTE_ADDR=address)
    client.post(reverse("login"), {"login": username, "password": PASSWORD})
    assert signed_in(client)
    return client


def test_sign_out_everywhere_ends_every_session_of_the_user_only():
    montana_administrator()
    superuser("coordinator")
    laptop, phone, colleague = sign_in("montana-admin"), sign_in("montana-admin", "198.51.100.9"), sign_in("coordinator")
    assert "Sign out everywhere" in laptop.get(reverse("preferences")).content.decode()
    laptop.post(reverse("sign_out_everywhere"))
    assert not signed_in(laptop)
    assert phone.get("/").status_code == 302 and not signed_in(phone)
    assert colleague.get("/").status_code == 200
    assert SignInEvent.objects.filter(kind=SignInEvent.Kind.SIGNED_OUT_EVERYWHERE, username="montana-admin",
                                      detail__startswith="1 other").exists()


def test_sign_ins_failures_and_sign_outs_are_logged():
    montana_administrator()
    Client(REMOTE_ADDR="203.0.113.9").post(reverse("login"), {"login": "montana-admin", "password": "wrong"})
    client = sign_in("montana-admin")
    client.post(reverse("logout"))
    rows = list(SignInEvent.objects.order_by("id").values_list("kind", "username", "address"))
    assert rows == [(SignInEvent.Kind.SIGN_IN_FAILED, "montana-admin", "203.0.113.9"),
                    (SignInEvent.Kind.SIGNED_IN, "montana-admin", "198.51.100.4"),
                    (SignInEvent.Kind.SIGNED_OUT, "montana-admin", "198.51.100.4")]


def test_behind_a_proxy_the_log_records_the_client_address_not_the_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    montana_administrator()
    client = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7")
    client.post(reverse("login"), {"login": "montana-admin", "password": PASSWORD})
    assert signed_in(client)
    assert SignInEvent.objects.get(kind=SignInEvent.Kind.SIGNED_IN).address == "198.51.100.7"


def test_only_superusers_see_the_sign_in_log():
    url = reverse("admin:rollout_signinevent_changelist")
    court_admin = Client()
    court_admin.force_login(montana_administrator())
    assert court_admin.get(url).status_code == 403
    coordinator = Client()
    coordinator.force_login(superuser())
    assert coordinator.get(url).status_code == 200
