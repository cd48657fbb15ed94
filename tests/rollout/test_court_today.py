"""Pages, the digest and the peers' curves read a court's dates in the court's own zone, and judge
"today" by the court's own calendar (Guam's day starts hours before New York's, the site's zone)."""
import datetime as dt
import html
from unittest import mock

import pytest
from django.urls import reverse

from accounts.models import HelpReason
from accounts.self_service import cmecf_account_report_linked, help_request_create
from courts.models import Court, GoLiveStatus
from courts.selectors import rollout_current
from rollout.dashboard.peers import live_court_curves
from rollout.dashboard.selectors import peer_curves, upcoming_golives
from rollout.notices.digest import digests_send_due
from rollout.signed_links import status_token
from tests.factories import (
    GoLiveFactory, court_admin_user, filer_at, guam_court, hawaii_court, montana_court, superuser,
)

pytestmark = pytest.mark.django_db
UTC = dt.timezone.utc
# 23:00 UTC on March 9 is 09:00 on March 10 in Guam, 19:00 on March 9 in New York, 13:00 in Honolulu.
NOW = dt.datetime(2026, 3, 9, 23, tzinfo=UTC)


@pytest.fixture(autouse=True)
def locmem_mail_and_cache(settings, request):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # The peers' curves and the filer page's rate limits use the cache: one of the test's own.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": request.node.nodeid}}


def live_since(court, day=dt.date(2026, 1, 5)):
    GoLiveFactory(court=court, go_live_date=day, status=GoLiveStatus.LIVE)
    return court


# --- The filer's page --------------------------------------------------------------------------------

def _filer_page(client, account) -> str:
    filer = account.filer
    response = client.get(reverse("filers:status", args=[status_token(filer.pk, filer.email)]), follow=True)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_the_filer_page_dates_a_link_report_in_the_courts_zone_and_names_it(client):
    account = filer_at(live_since(guam_court()), login="gu1")
    cmecf_account_report_linked(account.filer, account.pk, now=NOW)
    page = _filer_page(client, account)
    assert "You told us on 2026-03-10 (in the court's time zone, Pacific/Guam) that you linked" in page


def test_the_filer_page_names_the_zone_of_a_pacer_upgrade_report_which_belongs_to_no_court(client, settings):
    from accounts.self_service import pacer_account_report_upgraded
    from tests.factories import utah_filer_with_legacy_account

    account = utah_filer_with_legacy_account()
    pacer_account_report_upgraded(account.filer, now=NOW)
    page = _filer_page(client, account)
    assert f"You told us on 2026-03-09 ({settings.TIME_ZONE}) that you upgraded it" in page


def test_the_filer_page_dates_a_help_request_in_the_courts_zone_and_names_it(client):
    account = filer_at(live_since(guam_court()), login="gu1")
    help_request_create(account.filer, account.pk, HelpReason.FORGOT_LOGIN, now=NOW)
    page = _filer_page(client, account)
    assert "Your help request of 2026-03-10 (in the court's time zone, Pacific/Guam)" in page


# --- Upcoming go-lives ---------------------------------------------------------------------------------

def test_upcoming_keeps_only_golives_from_each_courts_own_today():
    guam, hawaii, montana = guam_court(), hawaii_court(), montana_court()
    # March 9 is yesterday in Guam but today in Honolulu and in Montana.
    for court in (guam, hawaii, montana):
        GoLiveFactory(court=court, go_live_date=dt.date(2026, 3, 9), status=GoLiveStatus.POSTPONED)
    listed = upcoming_golives(Court.objects.all(), rollout=rollout_current(), now=NOW, months=3)
    assert sorted(g.court.court_id for g in listed) == ["HIDC", "MTDC"]


def test_upcoming_ends_the_window_months_after_the_courts_own_today():
    GoLiveFactory(court=guam_court(), go_live_date=dt.date(2026, 6, 9), status=GoLiveStatus.SCHEDULED)
    # Three months are 91 days: June 9 is the last of them from Guam's March 10 (New York's March 9 ends on June 8).
    listed = upcoming_golives(Court.objects.all(), rollout=rollout_current(), now=NOW, months=3)
    assert [g.court.court_id for g in listed] == ["GUDC"]


def test_the_upcoming_page_lists_no_guam_golive_dated_before_guams_today(client):
    GoLiveFactory(court=guam_court(), go_live_date=dt.date(2026, 3, 9), status=GoLiveStatus.POSTPONED)
    client.force_login(superuser())
    # The page reads the clock: held at NOW.
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        response = client.get(reverse("dashboard:upcoming"))
    assert [i["court"].court_id for _, items in response.context["by_month"] for i in items] == []


# --- The weekly digest -------------------------------------------------------------------------------------

def test_the_digest_counts_the_next_30_days_from_the_courts_own_today():
    from django.core import mail

    guam = guam_court()
    GoLiveFactory(court=guam, go_live_date=dt.date(2026, 4, 9), status=GoLiveStatus.SCHEDULED)
    court_admin_user("guam-admin", guam, email="clerk@gud.example.gov")
    # Monday 11:00 in New York (the digest is due); already Tuesday March 10, 01:00, in Guam: April 9 is
    # 30 days away there (31 by the UTC date).
    monday = dt.datetime(2026, 3, 9, 15, tzinfo=UTC)
    assert digests_send_due(monday) == 1
    (message,) = mail.outbox
    assert "Go-lives in the next 30 days:" in message.body



def test_the_digest_dates_its_seven_days_in_the_administrators_own_zone_and_says_which():
    from django.core import mail

    from accounts.services import user_preference_set_time_zone

    guam = guam_court()
    admin = court_admin_user("guam-admin", guam, email="clerk@gud.example.gov")
    user_preference_set_time_zone(admin, "Pacific/Guam")
    # Monday March 9, 11:00 in New York: already Tuesday March 10 in Guam.
    assert digests_send_due(dt.datetime(2026, 3, 9, 15, tzinfo=UTC)) == 1
    (message,) = mail.outbox
    assert message.subject.endswith("March 3 to March 10, 2026 (Pacific/Guam)")
    assert "Progress of your courts, March 3 to March 10, 2026 (Pacific/Guam):" in message.body


def test_the_digest_of_an_administrator_without_a_zone_of_their_own_names_the_sites():
    from django.core import mail

    court_admin_user("guam-admin", guam_court(), email="clerk@gud.example.gov")
    assert digests_send_due(dt.datetime(2026, 3, 9, 15, tzinfo=UTC)) == 1
    (message,) = mail.outbox
    assert "Progress of your courts, March 2 to March 9, 2026 (America/New_York):" in message.body

# --- vs. peers -----------------------------------------------------------------------------------------------

def test_a_court_live_since_its_own_today_has_a_peer_curve():
    guam = guam_court()
    live_since(guam, dt.date(2026, 3, 10))  # Guam's today at NOW; still March 9 by the UTC date
    assert guam.pk in peer_curves(rollout_current(), now=NOW)


def test_a_link_counts_in_the_week_of_its_date_in_the_courts_zone():
    guam = live_since(guam_court(), dt.date(2026, 3, 10))
    account = filer_at(guam, login="gu1")
    # Tuesday March 17, 09:30 in Guam (week 1 since the go-live): still Monday March 16 by the UTC date.
    account.linked_at = dt.datetime(2026, 3, 16, 23, 30, tzinfo=UTC)
    account.save()
    curves = live_court_curves({guam.pk: (dt.date(2026, 3, 10), 2, guam.time_zone)},
                               dt.datetime(2026, 3, 17, 1, tzinfo=UTC))
    assert curves[guam.pk] == [0.0, 50.0]
