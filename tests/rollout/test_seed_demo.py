import datetime as dt

import pytest
from django.core.management import call_command

from accounts.models import CmecfAccount, Filer, PacerAccount
from courts.models import GoLive, GoLiveStatus


def snapshot():
    return (
        list(Filer.objects.order_by("email").values_list("name", "email", "pacer_account__username")),
        list(CmecfAccount.objects.order_by("court__court_id", "login").values_list("court__court_id", "login", "cmecf_name", "linked_at")),
        list(GoLive.objects.order_by("court__court_id").values_list("court__court_id", "status", "go_live_date")),
    )


@pytest.mark.django_db
def test_seed_demo_is_reproducible_and_has_the_known_go_lives():
    call_command("load_court_catalog")
    call_command("seed_demo", "--filers", "300", "--seed", "7", "--today", "2026-11-23", "--no-example-courts")
    first = snapshot()
    utah = GoLive.objects.get(court__court_id="UTDC")
    montana = GoLive.objects.get(court__court_id="MTDC")
    assert (utah.go_live_date, utah.status) == (dt.date(2020, 2, 1), GoLiveStatus.LIVE)
    assert (montana.go_live_date, montana.status) == (dt.date(2021, 9, 27), GoLiveStatus.LIVE)
    assert GoLive.objects.filter(status=GoLiveStatus.POSTPONED).exists()
    assert GoLive.objects.filter(status=GoLiveStatus.SCHEDULED, go_live_date__gt=dt.date(2026, 11, 23)).exists()
    assert Filer.objects.count() == 300
    assert CmecfAccount.objects.count() > 300  # several courts for some filers

    CmecfAccount.objects.all().delete()
    Filer.objects.all().delete()
    PacerAccount.objects.all().delete()
    call_command("seed_demo", "--filers", "300", "--seed", "7", "--today", "2026-11-23", "--no-example-courts")
    assert snapshot()[1:] == first[1:]
    assert [row[:2] for row in snapshot()[0]] == [row[:2] for row in first[0]]


@pytest.mark.django_db
def test_seed_demo_has_a_believable_mix_of_readiness_states():
    from accounts.selectors import readiness_counts, readiness_totals

    call_command("load_court_catalog")
    call_command("seed_demo", "--filers", "2000", "--seed", "1", "--no-example-courts")
    totals = readiness_totals(readiness_counts())
    assert all(n > 0 for n in totals.values()), totals


@pytest.mark.django_db
def test_example_courts_have_a_real_districts_size_and_a_real_history():
    from courts.models import GoLiveChange
    from rollout.demo import EXAMPLE_SIZES

    call_command("load_court_catalog")
    call_command("seed_demo", "--filers", "0", "--seed", "3", "--today", "2026-11-23")

    for court_id, size in EXAMPLE_SIZES.items():
        assert CmecfAccount.objects.filter(court__court_id=court_id).count() >= size
        changes = list(GoLiveChange.objects.filter(golive__court__court_id=court_id).order_by("changed_at"))
        golive = GoLive.objects.get(court__court_id=court_id)
        # Announced months before the go-live by the court, then marked live by the schedule at its start.
        assert changes[0].new_status == GoLiveStatus.SCHEDULED and changes[0].source == "court announcement"
        assert dt.timedelta(days=85) < golive.live_at - changes[0].changed_at < dt.timedelta(days=210)
        assert (changes[-1].new_status, changes[-1].source, changes[-1].changed_at) == (GoLiveStatus.LIVE, "schedule", golive.live_at)
    assert not GoLiveChange.objects.filter(source="seed_demo").exists()
    # No history entry is dated after "today" or reads as made today.
    assert not GoLiveChange.objects.filter(changed_at__gt=dt.datetime(2026, 11, 23, 12, tzinfo=dt.timezone.utc)).exists()


@pytest.mark.django_db
def test_demo_peer_curves_bunch_near_the_median():
    """Like a real rollout: at eight weeks after go-live most courts are near the median share
    linked, a few clearly ahead or behind."""
    import statistics

    from django.db.models import Count, Q

    call_command("load_court_catalog")
    call_command("seed_demo", "--filers", "5000", "--seed", "3", "--today", "2026-11-23", "--no-example-courts")

    shares = []
    for golive in GoLive.objects.filter(status=GoLiveStatus.LIVE, live_at__lt=dt.datetime(2026, 9, 1, tzinfo=dt.timezone.utc)):
        at = golive.live_at + dt.timedelta(weeks=8)
        counts = CmecfAccount.objects.filter(court=golive.court_id).aggregate(
            total=Count("id"), linked=Count("id", filter=Q(linked_at__lte=at)))
        if counts["total"] >= 20:
            shares.append(counts["linked"] / counts["total"])
    median = statistics.median(shares)
    near = [s for s in shares if abs(s - median) <= 0.15]
    assert len(shares) >= 20 and 0.25 < median < 0.8
    assert len(near) >= 0.6 * len(shares), (median, sorted(shares))
    assert any(abs(s - median) > 0.1 for s in shares)  # and some ahead or behind
