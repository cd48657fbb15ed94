"""Per-court readiness counts, stored and kept current, so a dashboard over 1,000,000 accounts reads
200 rows instead of counting a million.

How the stored counts stay equal to a live recount:
- Every write service that can change an account's readiness calls `court_counts_touch(court_ids)`.
- That schedules, with `transaction.on_commit`, a recount of just those courts: one grouped query
  per batch of courts over the (court_id) index, written with the counter rows locked
  (SELECT … FOR UPDATE), so of two concurrent recounts the later one sees every committed change.
- Recounting runs after commit, never inside the writer's transaction, so it never counts data
  that is later rolled back nor misses data committed by a concurrent writer.
- `court_counts_refresh()` with no argument recounts every court (the `recount_readiness` command
  and a nightly beat entry, as a safety net).
Readiness "waiting" vs "ready" depends on the clock (is the court live?), so it is stored as
`clear` and split when read.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import CmecfAccount, CourtReadinessCount
from accounts.readiness import ORDER as READINESS_ORDER
from accounts.readiness import Readiness, readiness_expression

_STORED = {
    Readiness.NO_PACER: "no_pacer",
    Readiness.SHARED: "shared",
    Readiness.LEGACY: "legacy",
    Readiness.NAME_MISMATCH: "name_mismatch",
    Readiness.WAITING: "clear",  # with no court live, every clear account reads "waiting"
    Readiness.LINKED: "linked",
}


def court_counts_touch(court_ids: Iterable[int]) -> None:
    """Recount these courts once the current transaction commits (immediately outside one)."""
    ids = sorted({int(i) for i in court_ids})
    if ids:
        transaction.on_commit(lambda: court_counts_refresh(ids))


def court_counts_refresh(court_ids: Iterable[int] | None = None) -> int:
    """Recount the given courts (all courts when None) from the accounts table. Returns courts written."""
    from courts.models import Court

    ids = sorted({int(i) for i in court_ids}) if court_ids is not None else list(Court.objects.values_list("id", flat=True))
    with transaction.atomic():
        existing = set(CourtReadinessCount.objects.filter(court_id__in=ids).values_list("court_id", flat=True))
        CourtReadinessCount.objects.bulk_create(
            [CourtReadinessCount(court_id=i) for i in ids if i not in existing], ignore_conflicts=True
        )
        # Lock in court order: two recounts of overlapping courts then never wait on each other in a cycle.
        rows = {
            row.court_id: row
            for row in CourtReadinessCount.objects.select_for_update().filter(court_id__in=ids).order_by("court_id")
        }
        fresh = {i: dict.fromkeys(set(_STORED.values()), 0) for i in ids}
        grouped = (
            CmecfAccount.objects.filter(court_id__in=ids)
            .annotate(readiness=readiness_expression([]))
            .order_by()
            .values("court_id", "readiness")
            .annotate(n=Count("id"), reported=Count("id", filter=Q(link_reported_at__isnull=False)),
                      upgrade=Count("id", filter=Q(filer__pacer_account__upgrade_reported_at__isnull=False)))
        )
        # Filers' own reports, counted beside the states they do not change: a reported link of an
        # account not linked by the records, a reported upgrade of an account still legacy by them.
        reported, upgrade = dict.fromkeys(ids, 0), dict.fromkeys(ids, 0)
        for row in grouped:
            fresh[row["court_id"]][_STORED[row["readiness"]]] += row["n"]
            if row["readiness"] != Readiness.LINKED:
                reported[row["court_id"]] += row["reported"]
            if row["readiness"] == Readiness.LEGACY:
                upgrade[row["court_id"]] += row["upgrade"]
        for court_id, values in fresh.items():
            counter = rows[court_id]
            for name, value in values.items():
                setattr(counter, name, value)
            counter.total = sum(values.values())
            counter.link_reported = reported[court_id]
            counter.upgrade_reported = upgrade[court_id]
            counter.refreshed_at = timezone.now()
        CourtReadinessCount.objects.bulk_update(
            rows.values(), [*set(_STORED.values()), "total", "link_reported", "upgrade_reported", "refreshed_at"])
    return len(ids)


def stored_readiness_counts(
    court_ids: Iterable[int] | None = None, *, now: dt.datetime | None = None, live_court_ids: list[int] | None = None
) -> dict[int, dict[str, int]]:
    """{court id: {readiness state: count}} from the stored counts: two small queries, whatever the size."""
    from courts.selectors import court_ids_live

    live = set(court_ids_live(now) if live_court_ids is None else live_court_ids)
    rows = CourtReadinessCount.objects.all()
    if court_ids is not None:
        rows = rows.filter(court_id__in=list(court_ids))
    result: dict[int, dict[str, int]] = {}
    for row in rows:
        counts = dict.fromkeys(READINESS_ORDER, 0)
        for state, name in _STORED.items():
            if state != Readiness.WAITING:
                counts[state] = getattr(row, name)
        counts[Readiness.READY if row.court_id in live else Readiness.WAITING] = row.clear
        result[row.court_id] = counts
    return result


def stored_self_reports(court_ids: Iterable[int] | None = None) -> dict[str, int]:
    """Filers' unconfirmed reports over these courts, from the stored counts (one query):
    {"link": accounts not linked by the records whose filer reported linking them, "upgrade":
    accounts still legacy by the records whose filer reported upgrading}. Kept apart from the
    readiness counts: a self-report is not a state."""
    from django.db.models import Sum

    rows = CourtReadinessCount.objects.all()
    if court_ids is not None:
        rows = rows.filter(court_id__in=list(court_ids))
    totals = rows.aggregate(link=Sum("link_reported"), upgrade=Sum("upgrade_reported"))
    return {key: value or 0 for key, value in totals.items()}
