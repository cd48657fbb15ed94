"""The demo a new installation shows (`seed_demo`), read by several tests: seeded once for the module
inside a transaction that is rolled back at its end (each test runs in a savepoint of it)."""
import pytest
from django.core.management import call_command
from django.db import transaction

from accounts.models import CmecfAccount
from courts.models import GoLive, GoLiveStatus


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_court_catalog")
        call_command("seed_demo", "--filers", "600", "--seed", "3", "--today", "2026-11-23", "--no-example-courts")
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo_db(demo, db):
    """The demo, and the test's own savepoint in it."""


def test_demo_go_lives_fall_on_business_days(demo_db):
    from rollout.demo import KNOWN_LIVE, is_business_day

    days = GoLive.objects.exclude(court__court_id__in=KNOWN_LIVE).exclude(go_live_date=None).values_list("go_live_date", flat=True)
    assert days and [d for d in days if not is_business_day(d)] == []


def test_demo_blackouts_start_on_a_business_day_at_five_pm_court_time(demo_db):
    from rollout.demo import is_business_day

    golives = GoLive.objects.exclude(blackout_start=None).select_related("court")
    starts = [g.blackout_start.astimezone(g.court.tzinfo) for g in golives]
    assert starts and all(is_business_day(s.date()) and s.hour == 17 for s in starts)


def test_demo_links_are_recorded_in_working_hours_on_business_days(demo_db):
    from rollout.demo import is_business_day

    links = [(at.astimezone(tz), at) for at, tz in (
        (a.linked_at, a.court.tzinfo) for a in CmecfAccount.objects.exclude(linked_at=None).select_related("court"))]
    assert links
    assert [local for local, _ in links if not (8 <= local.hour < 18 and is_business_day(local.date()))] == []


def test_demo_has_a_notice_history_for_live_courts(demo_db):
    from rollout.notices.models import DeliveryState, NoticeDelivery
    from rollout.notices.selectors import last_announcements

    kinds = set(NoticeDelivery.objects.filter(state=DeliveryState.SENT).values_list("kind", flat=True))
    assert kinds == {"prepare", "golive", "reminder"}
    live = list(GoLive.objects.filter(status=GoLiveStatus.LIVE, court__cmecf_accounts__isnull=False)
                .values_list("court_id", flat=True).distinct())
    assert set(last_announcements(live)) == set(live)


def test_demo_sends_no_reminder_to_a_filer_linked_before_it(demo_db):
    from rollout.notices.models import NoticeDelivery

    reminders = NoticeDelivery.objects.filter(kind="reminder")
    assert reminders.exists()
    assert not reminders.filter(variant="linked").exists()
    linked_before = [d for d in reminders.select_related("filer")
                     if CmecfAccount.objects.filter(filer=d.filer, court=d.court, linked_at__lte=d.sent_at).exists()]
    assert linked_before == []
