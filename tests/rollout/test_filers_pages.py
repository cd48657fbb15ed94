"""The filer's "My NextGen status" page: opened by a signed, purpose-bound, expiring link; every
login with its state and next step; self-reports, help requests, address change; refusals that reveal nothing."""
import datetime as dt
import re
import time

import pytest
from django.test import Client
from django.core import mail, signing
from django.urls import reverse

from accounts.models import CmecfAccount, Filer, HelpRequest
from accounts.readiness import Readiness
from courts.models import GoLiveStatus
from rollout.filers import urls as filers_urls
from rollout.filers.selectors import PLAIN_STATE
from rollout.notices import urls as notices_urls
from rollout.signed_links import email_change_token, status_token
from rollout.notices.tokens import unsubscribe_token
from tests.factories import CmecfAccountFactory, CourtFactory, GoLiveFactory, filer_at, montana_court, utah_court

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def locmem_mail_and_cache(settings, request):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Rate-limit counters start at zero in each test (a cache of its own, never the shared Redis).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": request.node.nodeid}}


def page_url(account_or_filer, token=None):
    filer = getattr(account_or_filer, "filer", account_or_filer)
    return reverse("filers:status", args=[token or status_token(filer.pk, filer.email)])


def live(court, day=dt.date(2021, 9, 27)):
    GoLiveFactory(court=court, go_live_date=day, status=GoLiveStatus.LIVE)
    return court


def scheduled(court, day=dt.date(2031, 3, 3)):
    GoLiveFactory(court=court, go_live_date=day, status=GoLiveStatus.SCHEDULED)
    return court


# States made by `filer_at`, and the court's go-live that gives waiting vs ready.
STATE_SETUP = {
    Readiness.NO_PACER: ("no_pacer", live), Readiness.SHARED: ("shared", live), Readiness.LEGACY: ("legacy", live),
    Readiness.NAME_MISMATCH: ("name_mismatch", live), Readiness.WAITING: ("ready", scheduled),
    Readiness.READY: ("ready", live),
}
NEXT_STEP_WORDS = {
    Readiness.NO_PACER: "Register an individual PACER account", Readiness.SHARED: "instead of your firm's shared one",
    Readiness.LEGACY: "Upgrade your legacy PACER account", Readiness.NAME_MISMATCH: "help desk at 866-463-4052 about the names",
    Readiness.WAITING: "Wait until Monday, March 3, 2031, from midnight America/Denver time",
    Readiness.READY: "Link this login now", Readiness.LINKED: "Done",
}


def test_every_readiness_state_has_plain_words_and_a_next_step():
    assert set(PLAIN_STATE) == set(Readiness.values) == set(NEXT_STEP_WORDS)


@pytest.mark.parametrize("state", [s for s in Readiness.values if s != Readiness.LINKED])
def test_the_page_shows_the_state_in_plain_words_and_the_one_next_step(client, state):
    kind, golive = STATE_SETUP[state]
    account = filer_at(golive(montana_court()), state=kind)
    page = client.get(page_url(account), follow=True).content.decode()
    assert PLAIN_STATE[state] in page.replace("&#x27;", "'")
    assert NEXT_STEP_WORDS[state] in page.replace("&#x27;", "'")


def test_a_filer_sees_every_court_with_its_go_live_cmecf_url_and_help_desk(client):
    account = filer_at(live(montana_court()))
    utah = scheduled(utah_court(), dt.date(2031, 5, 6))
    CmecfAccountFactory(filer=account.filer, court=utah, login="utahlogin", cmecf_name=account.filer.name)
    CmecfAccount.objects.filter(pk=account.pk).update(linked_at=dt.datetime(2021, 10, 1, tzinfo=dt.timezone.utc))
    page = client.get(page_url(account), follow=True).content.decode()
    for text in ("District of Montana", "Linked — done", "District of Utah", "utahlogin", "Tuesday, May 6, 2031",
                 "https://ecf.utd.uscourts.gov", "801-524-6100", "(the court&#x27;s time zone)"):
        assert text in page


def test_a_filer_sees_each_courts_filing_pause_in_its_zone_as_the_notices_give_it(client):
    utc = dt.timezone.utc
    utah = utah_court()
    GoLiveFactory(court=utah, go_live_date=dt.date(2031, 2, 3), status=GoLiveStatus.SCHEDULED,
                  blackout_start=dt.datetime(2031, 1, 30, 23, tzinfo=utc), blackout_end=dt.datetime(2031, 2, 3, 15, tzinfo=utc))
    account = filer_at(utah)
    CmecfAccountFactory(filer=account.filer, court=live(montana_court()), login="mtlogin", cmecf_name=account.filer.name)
    page = " ".join(client.get(page_url(account), follow=True).content.decode().split())
    assert ("from Thursday, January 30, 2031 at 4:00 PM MST until Monday, February 3, 2031 at 8:00 AM MST "
            "(in the court's time zone, America/Denver)") in page
    assert page.count("Filing pause") == 1  # Montana announced none


def test_the_page_never_asks_for_or_shows_a_password(client):
    account = filer_at(live(montana_court()))
    page = client.get(page_url(account), follow=True).content.decode().lower()
    assert 'type="password"' not in page and 'name="password"' not in page


def test_the_page_is_not_cached_and_sends_no_referrer_elsewhere(client):
    response = client.get(page_url(filer_at(live(montana_court()))), follow=True)
    assert "no-cache" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["Referrer-Policy"] in ("same-origin", "no-referrer")


@pytest.mark.parametrize("logins", [1, 40])
def test_the_status_page_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries, logins):
    first = filer_at(live(montana_court()))
    for i in range(logins - 1):
        court = live(CourtFactory(court_id=f"Q{i:03d}DC"))
        CmecfAccountFactory(filer=first.filer, court=court, login=f"q{i}", cmecf_name=first.filer.name)
        HelpRequest.objects.create(court=court, account=first.filer.cmecf_accounts.get(court=court), reason="names")
    client.get(page_url(first))  # the emailed link, swapped for the session
    with django_assert_max_num_queries(8):
        response = client.get(reverse("filers:status", args=["current"]))
    assert response.content.decode().count('class="card login"') == logins


def test_the_emailed_token_is_swapped_for_the_session_and_leaves_the_address(client):
    account = filer_at(live(montana_court()))
    token = status_token(account.filer.pk, account.filer.email)
    first = client.get(page_url(account, token))
    assert first.status_code == 302 and first["Location"] == "/me/current/" and token not in first["Location"]
    page = client.get(first["Location"]).content.decode()
    assert account.login in page and token not in page


def test_the_session_address_without_an_opened_link_is_refused(client):
    assert client.get("/me/current/").status_code == 410


def test_the_page_opened_again_after_its_visit_ended_says_the_link_expired_and_offers_a_new_one(client, settings):
    """The address bar shows /me/current/, so that is what a filer bookmarks or leaves open; once the
    session is over it is an expired link, not an invalid one."""
    account = filer_at(live(montana_court()))
    client.get(page_url(account))
    client.cookies.pop(settings.SESSION_COOKIE_NAME)  # the session's cookie expired
    page = refused(client, "/me/current/", 410)
    assert "expired" in page and account.login not in page


def test_one_browsers_session_does_not_open_anothers_page(client):
    mine, theirs = filer_at(live(montana_court())), filer_at(utah_court())
    client.get(page_url(mine))
    other = Client()
    assert other.get("/me/current/").status_code == 410
    other.get(page_url(theirs))
    assert mine.login not in other.get("/me/current/").content.decode()


# --- HEAD, as mail systems and link checkers ask -------------------------------------------------------

def public_urls():
    """Every address of the filers' and the notices' URL modules, a placeholder in each parameter."""
    for namespace, module in (("filers:", filers_urls), ("", notices_urls)):
        for pattern in module.urlpatterns:
            yield reverse(namespace + pattern.name, kwargs={name: "x" for name in pattern.pattern.converters})


@pytest.mark.parametrize("url", list(public_urls()))
def test_head_is_answered_wherever_get_is(client, url):
    assert (client.head(url).status_code == 405) == (client.get(url).status_code == 405)


def test_head_on_the_confirmation_link_changes_no_address(client):
    account = filer_at(live(montana_court()))
    filer, old = account.filer, account.filer.email
    client.post(reverse("filers:change_email", args=[status_token(filer.pk, old)]), {"email": "fresh@example.com"})
    link = next(word for word in mail.outbox[-1].body.split() if "/me/address/" in word)
    assert client.head(link.split("127.0.0.1:8000", 1)[-1]).status_code == 200
    filer.refresh_from_db()
    assert filer.email == old


def test_head_on_the_undo_link_puts_no_address_back(client):
    account = filer_at(live(montana_court()))
    old = account.filer.email
    change_address(client, account, "taken-over@example.com")
    assert client.head(undo_path(old)).status_code == 200
    account.filer.refresh_from_db()
    assert account.filer.email == "taken-over@example.com"


# --- Refusals ---------------------------------------------------------------------------------------

def refused(client, url, status):
    response = client.get(url)
    assert response.status_code == status
    page = response.content.decode()
    assert "Send me a new link" in page
    return page


def test_an_expired_link_is_refused_and_offers_a_new_one(client, monkeypatch, settings):
    account = filer_at(live(montana_court()))
    old = int(time.time()) - (settings.FILERS_LINK_MAX_AGE_DAYS + 1) * 86400
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(old))
    token = status_token(account.filer.pk, account.filer.email)
    monkeypatch.undo()
    page = refused(client, page_url(account, token), 410)
    assert "expired" in page and account.filer.name not in page and account.login not in page


def test_an_edited_link_is_refused_revealing_nothing(client):
    account = filer_at(live(montana_court()))
    other = filer_at(montana_court(), name="Other Person")
    token = status_token(account.filer.pk, account.filer.email)
    payload, rest = token.split(":", 1)
    forged = signing.b64_encode(f'{{"f":{other.filer.pk},"e":"x"}}'.encode()).decode() + ":" + rest
    for bad in (forged, token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "nonsense"):
        page = refused(client, page_url(account, bad), 404)
        assert "not valid" in page and "Other Person" not in page and account.filer.name not in page


def test_a_token_made_for_another_purpose_is_refused(client):
    account = filer_at(live(montana_court()))
    for token in (unsubscribe_token(account.filer.pk, account.court.pk, account.filer.email),
                  email_change_token(account.filer.pk, account.filer.email, "new@example.com", 0)):
        page = refused(client, page_url(account, token), 404)
        assert account.filer.name not in page


def test_a_link_sent_to_an_address_since_replaced_is_refused(client):
    account = filer_at(live(montana_court()))
    url = page_url(account)
    Filer.objects.filter(pk=account.filer.pk).update(email="changed@example.com")
    refused(client, url, 404)


def test_a_filer_cannot_act_on_another_filers_login_with_their_own_link(client):
    mine = filer_at(live(montana_court()))
    theirs = filer_at(montana_court(), name="Other Person")
    token = status_token(mine.filer.pk, mine.filer.email)
    response = client.post(reverse("filers:report_linked", args=[token]), {"account": theirs.pk}, follow=True)
    assert "not one of yours" in response.content.decode()
    assert "Other Person" not in response.content.decode()
    response = client.post(reverse("filers:help", args=[token]), {"account": theirs.pk, "reason": "names"}, follow=True)
    assert "not one of yours" in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.link_reported_at is None and not HelpRequest.objects.exists()


# --- Self-reports and help ------------------------------------------------------------------------------

def test_i_have_linked_is_recorded_and_shown(client):
    account = filer_at(live(montana_court()))
    token = status_token(account.filer.pk, account.filer.email)
    response = client.post(reverse("filers:report_linked", args=[token]), {"account": account.pk}, follow=True)
    page = response.content.decode()
    assert "we noted that you linked" in page and "You told us on" in page
    account.refresh_from_db()
    assert account.link_reported_at is not None


def test_the_status_page_says_until_when_a_reported_link_pauses_the_reminders(client, settings):
    """The pause lasts FILERS_SELF_REPORT_PAUSE_DAYS, not until the court confirms: the page must not
    promise no reminders at all."""
    import datetime as dt

    account = filer_at(live(montana_court()))
    account.link_reported_at = dt.datetime(2026, 11, 20, 18, tzinfo=dt.timezone.utc)
    account.save(update_fields=["link_reported_at"])
    settings.FILERS_SELF_REPORT_PAUSE_DAYS = 14
    page = " ".join(client.get(page_url(account), follow=True).content.decode().split())
    assert "reminders for it are paused until 2026-12-04" in page and "the reminders resume" in page


def test_asking_for_help_creates_a_request_for_that_court(client):
    account = filer_at(live(montana_court()), state="name_mismatch")
    token = status_token(account.filer.pk, account.filer.email)
    response = client.post(reverse("filers:help", args=[token]), {"account": account.pk, "reason": "names"}, follow=True)
    assert "Your request went to the District of Montana help desk" in response.content.decode()
    assert HelpRequest.objects.get().court == account.court


def test_something_else_without_text_is_refused_with_a_message(client):
    account = filer_at(live(montana_court()))
    token = status_token(account.filer.pk, account.filer.email)
    response = client.post(reverse("filers:help", args=[token]), {"account": account.pk, "reason": "other"}, follow=True)
    assert "tell us more" in response.content.decode().lower()
    assert not HelpRequest.objects.exists()


def test_help_text_over_the_limit_is_refused_with_a_message_naming_it(client):
    account = filer_at(live(montana_court()))
    token = status_token(account.filer.pk, account.filer.email)
    response = client.post(reverse("filers:help", args=[token]),
                           {"account": account.pk, "reason": "other", "text": "x" * 2001}, follow=True)
    page = response.content.decode()
    assert "Tell us more: at most 2,000 characters." in page and "Choose what you need help with" not in page
    assert not HelpRequest.objects.exists()


# --- New link on request ---------------------------------------------------------------------------------

@pytest.fixture
def eager_tasks(monkeypatch):
    """The link email is sent by a Celery task; here it runs at once, in this thread."""
    from rollout.celery import app

    monkeypatch.setattr(app.conf, "task_always_eager", True)


def ask_link(client, email, ip="10.0.0.1"):
    return client.post(reverse("filers:request_link"), {"email": email}, REMOTE_ADDR=ip)


def test_asking_for_a_new_link_answers_the_same_for_known_and_unknown_addresses(client, eager_tasks):
    account = filer_at(live(montana_court()))
    known = ask_link(client, account.filer.email.upper(), ip="10.0.1.1")
    unknown = ask_link(client, "nobody-here@example.com", ip="10.0.1.2")
    assert known.status_code == unknown.status_code == 200
    assert known.content == unknown.content
    assert [m.to for m in mail.outbox] == [[account.filer.email]]
    assert "/me/" in mail.outbox[0].body


def test_a_link_request_without_the_address_field_asks_for_it(client):
    response = client.post(reverse("filers:request_link"), {}, REMOTE_ADDR="10.0.5.1")
    assert response.status_code == 400 and "Enter your email address." in response.content.decode()


def test_requests_for_a_new_link_are_rate_limited_per_address(client, settings, eager_tasks):
    settings.FILERS_LINK_REQUESTS_PER_HOUR = 2
    account = filer_at(live(montana_court()))
    codes = [ask_link(client, account.filer.email, ip=f"10.0.2.{i}").status_code for i in range(4)]
    assert codes == [200, 200, 429, 429]
    assert len(mail.outbox) == 2


def test_requests_for_a_new_link_are_rate_limited_per_client(client, settings, eager_tasks):
    settings.FILERS_LINK_REQUESTS_PER_HOUR_PER_CLIENT = 3
    codes = [ask_link(client, f"someone{i}-{time.time()}@example.com", ip="10.0.3.9").status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]


def test_a_link_request_the_counter_cannot_count_is_refused_with_a_message_not_sent(client, eager_tasks,
                                                                                   unreachable_cache):
    account = filer_at(live(montana_court()))
    response = ask_link(client, account.filer.email, ip="10.0.4.1")
    assert response.status_code == 503 and b"try again in a few minutes" in response.content
    assert mail.outbox == []


def test_behind_a_proxy_the_link_limit_counts_each_client_not_the_proxy(client, settings, eager_tasks):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.FILERS_LINK_REQUESTS_PER_HOUR_PER_CLIENT = 2

    def through_proxy(address):
        return client.post(reverse("filers:request_link"), {"email": f"someone-{time.time()}@example.com"},
                           REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"192.0.2.{address % 250}, 198.51.100.{address}")

    assert [through_proxy(7).status_code for _ in range(3)] == [200, 200, 429]
    assert through_proxy(8).status_code == 200


# --- Address change ---------------------------------------------------------------------------------------

def test_an_address_change_the_counter_cannot_count_is_refused_with_a_message_not_sent(client, unreachable_cache):
    account = filer_at(live(montana_court()))
    filer = account.filer
    response = client.post(reverse("filers:change_email", args=[status_token(filer.pk, filer.email)]),
                           {"email": "fresh@example.com"}, follow=True)
    assert response.status_code == 200 and "try again in a few minutes" in response.content.decode()
    assert mail.outbox == []


def test_an_address_the_sender_would_not_mail_is_refused_with_a_message_and_no_link_sent(client):
    account = filer_at(live(montana_court()))
    filer = account.filer
    response = client.post(reverse("filers:change_email", args=[status_token(filer.pk, filer.email)]),
                           {"email": "a" * 70 + "@example.com"}, follow=True)
    assert "The part before @ is longer than 64 characters" in response.content.decode()
    assert mail.outbox == []


def test_an_address_change_takes_effect_only_after_the_new_address_confirms(client):
    account = filer_at(live(montana_court()))
    filer, old = account.filer, account.filer.email
    token = status_token(filer.pk, filer.email)
    client.post(reverse("filers:change_email", args=[token]), {"email": "Fresh@Example.com"}, follow=True)
    filer.refresh_from_db()
    assert filer.email == old
    (confirm,) = mail.outbox
    assert confirm.to == ["fresh@example.com"]
    link = next(word for word in confirm.body.split() if "/me/address/" in word)
    path = link.split("127.0.0.1:8000", 1)[-1]
    assert client.get(path).status_code == 200  # a mail scanner's prefetch changes nothing
    filer.refresh_from_db()
    assert filer.email == old
    response = client.post(path)
    assert "now go to" in response.content.decode()
    filer.refresh_from_db()
    assert filer.email == "fresh@example.com"
    told = [m for m in mail.outbox if m.to == [old]]
    assert len(told) == 1 and "fresh@example.com" in told[0].body
    assert client.post(path).status_code == 404  # the confirmation works once: the address it replaces is gone


def change_address(client, account, new: str) -> None:
    token = status_token(account.filer.pk, account.filer.email)
    client.post(reverse("filers:change_email", args=[token]), {"email": new})
    link = next(word for word in mail.outbox[-1].body.split() if "/me/address/" in word)
    client.post(link.split("127.0.0.1:8000", 1)[-1])


def undo_path(old: str) -> str:
    (told,) = [m for m in mail.outbox if m.to == [old]]
    link = next(word for word in told.body.split() if "/me/address/undo/" in word)
    return link.split("127.0.0.1:8000", 1)[-1]


def test_the_old_address_is_told_with_a_link_that_puts_it_back(client):
    account = filer_at(live(montana_court()))
    old = account.filer.email
    change_address(client, account, "taken-over@example.com")
    path = undo_path(old)
    assert client.get(path).status_code == 200  # a scanner's prefetch changes nothing
    account.filer.refresh_from_db()
    assert account.filer.email == "taken-over@example.com"
    response = client.post(path)
    assert response.status_code == 200 and "again" in response.content.decode()
    account.filer.refresh_from_db()
    assert account.filer.email == old
    assert mail.outbox[-1].to == [old] and "/me/" in mail.outbox[-1].body  # a fresh status link
    assert client.post(path).status_code == 404  # once: the address it replaced is gone


def test_a_used_confirmation_link_stays_spent_after_the_undo_puts_the_address_back(client):
    account = filer_at(live(montana_court()))
    old = account.filer.email
    token = status_token(account.filer.pk, old)
    client.post(reverse("filers:change_email", args=[token]), {"email": "mallory@example.com"})
    confirm = next(w for w in mail.outbox[-1].body.split() if "/me/address/" in w).split("127.0.0.1:8000", 1)[-1]
    client.post(confirm)
    undo = undo_path(old)
    client.post(undo)
    account.filer.refresh_from_db()
    assert account.filer.email == old
    assert client.post(confirm).status_code == 404  # the address it replaces is back, but the link is spent
    assert client.post(undo).status_code == 404
    account.filer.refresh_from_db()
    assert account.filer.email == old


def test_after_an_undo_the_status_links_from_before_the_change_stay_refused(client):
    """Whoever changed the address held a status link to the old one: the undo (and the fresh link it
    sends) must shut them out, not give them back a page that changes the address again."""
    account = filer_at(live(montana_court()))
    old = account.filer.email
    token = status_token(account.filer.pk, old)
    client.get(page_url(account, token))  # opened: the session holds the link
    client.post("/me/current/address/", {"email": "mallory@example.com"})
    client.post(next(w for w in mail.outbox[-1].body.split() if "/me/address/" in w).split("127.0.0.1:8000", 1)[-1])
    Client().post(undo_path(old))
    account.filer.refresh_from_db()
    assert account.filer.email == old
    assert client.get("/me/current/").status_code == 404
    refused(Client(), page_url(account, token), 404)
    fresh = next(w for w in mail.outbox[-1].body.split() if "/me/" in w).split("127.0.0.1:8000", 1)[-1]
    assert account.login in Client().get(fresh, follow=True).content.decode()


def test_a_link_mailed_before_links_carried_the_change_count_still_opens_the_page(client):
    from rollout.signed_links import STATUS_SALT, email_tag

    account = filer_at(live(montana_court()))
    token = signing.TimestampSigner(salt=STATUS_SALT).sign_object(
        {"f": account.filer.pk, "e": email_tag(account.filer.email)})
    assert account.login in client.get(page_url(account, token), follow=True).content.decode()


def test_the_undo_link_expires(client, settings):
    account = filer_at(live(montana_court()))
    old = account.filer.email
    change_address(client, account, "later@example.com")
    path = undo_path(old)
    settings.FILERS_EMAIL_UNDO_DAYS = 1
    import time
    from unittest import mock

    with mock.patch("time.time", return_value=time.time() + 2 * 86400):  # the clock, not the code under test
        assert client.post(path).status_code == 410
    account.filer.refresh_from_db()
    assert account.filer.email == "later@example.com"


@pytest.mark.parametrize("golive, state, shown", [(live, "legacy", True), (live, "ready", True),
                                                  (scheduled, "ready", False)])
def test_the_i_have_linked_button_shows_at_live_courts_only(client, golive, state, shown):
    account = filer_at(golive(montana_court()), state=state)
    page = client.get(page_url(account), follow=True).content.decode()
    assert (f"I have linked {account.login}" in page) is shown


def test_buttons_carry_ids_past_a_thousand_unformatted(client):
    """USE_THOUSAND_SEPARATOR must not turn account 12345 into "12,345" in a form."""
    account = filer_at(live(montana_court()))
    CmecfAccount.objects.filter(pk=account.pk).update(id=12345)
    account = CmecfAccount.objects.get(pk=12345)
    token = status_token(account.filer.pk, account.filer.email)
    page = client.get(page_url(account), follow=True).content.decode()
    values = re.findall(r'name="account" value="([^"]*)"', page)  # "I have linked" and "I need help"
    assert values == ["12345", "12345"]
    client.post(reverse("filers:report_linked", args=[token]), {"account": values[0]})
    account.refresh_from_db()
    assert account.link_reported_at is not None


@pytest.mark.parametrize("created_on, says", [
    (None, "We have no creation date on record for your PACER account"),
    (dt.date(2009, 3, 2), "is a legacy account (created before August 11, 2014)"),
])
def test_the_page_calls_an_account_legacy_only_when_its_creation_date_shows_it(client, created_on, says):
    from accounts.models import PacerAccount

    account = filer_at(live(montana_court()), state="legacy")
    PacerAccount.objects.filter(pk=account.filer.pacer_account_id).update(created_on=created_on)
    page = " ".join(client.get(page_url(account), follow=True).content.decode().split())
    other = ("is a legacy account (created before" if created_on is None
             else "We have no creation date on record")
    assert says in page and other not in page


def test_a_filer_at_a_court_with_divisions_sees_each_divisions_help_desk(client):
    court = montana_court()
    court.help_desk_phones = ["406-555-0101 (Billings)", "N/A (Butte)", "406-555-0102 (Missoula)"]
    court.save(update_fields=["help_desk_phones"])
    page = client.get(page_url(filer_at(live(court))), follow=True).content.decode()
    assert '<a href="tel:4065550101">406-555-0101 (Billings)</a>' in page
    assert '<a href="tel:4065550102">406-555-0102 (Missoula)</a>' in page
    assert "Butte" not in page


def test_a_status_link_from_before_staff_changed_the_address_stays_shut_when_they_put_it_back(client):
    """Staff correct an address and then undo the correction: whoever held the links sent in
    between, or before, is not let back in by the address coming back."""
    from accounts.services import filer_update

    account = filer_at(live(montana_court()))
    filer, old = account.filer, account.filer.email
    before = page_url(filer)
    filer_update(filer, email="typo@example.com")
    filer_update(filer, email=old)
    filer.refresh_from_db()
    assert filer.email == old
    assert client.get(before).status_code == 404
