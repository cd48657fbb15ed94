"""Reads about filers and CM/ECF accounts, all built on `readiness_expression`."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, QuerySet

from accounts.models import (
    CmecfAccount, CourtAdministrator, PacerAccount, PacerAccountType, UserPreference, identity_agrees,
)
from accounts.readiness import ORDER as READINESS_ORDER, readiness_expression


def court_assignments_current() -> QuerySet[CourtAdministrator]:
    """Assignments that still confer a court: the user is active and staff (a user who lost staff
    status keeps the row, but no longer administers the court — no pages, no digest)."""
    return CourtAdministrator.objects.filter(user__is_active=True, user__is_staff=True)


def user_time_zone(user) -> str:
    """The zone of a user's times not tied to one court: their preference, else the site's (TIME_ZONE).
    Reads `user.preference` (select_related("preference") saves the query)."""
    try:
        zone = user.preference.time_zone
    except UserPreference.DoesNotExist:  # no preference saved
        zone = ""
    return zone or settings.TIME_ZONE


def court_codes_outside(accounts: QuerySet[CmecfAccount], court_ids: list[int]) -> list[str]:
    """Codes of the courts of `accounts` that are not among `court_ids` (one query), sorted."""
    codes = accounts.exclude(court_id__in=court_ids).order_by().values_list("court__court_id", flat=True).distinct()
    return sorted(codes)


def filer_court_ids(filer_ids) -> list[int]:
    """The courts where these filers have a CM/ECF account: whose counts their facts move."""
    return list(CmecfAccount.objects.filter(filer_id__in=filer_ids).order_by().values_list("court_id", flat=True).distinct())


def pacer_account_court_ids(pacer_ids) -> list[int]:
    """The courts of every filer using these PACER accounts (a firm's shared account has many)."""
    return list(CmecfAccount.objects.filter(filer__pacer_account_id__in=pacer_ids).order_by()
                .values_list("court_id", flat=True).distinct())


def pacer_account_attach_agrees(account: PacerAccount, *, name: str, filer_id: int | None,
                                court_ids: list[int] | None) -> bool:
    """May a filer named `name` come to use `account`? The roster import's identity rule
    (`accounts.imports.identity`), for one filer: no other filer at a court outside `court_ids`
    (None = every court) uses it, and an individual account's holder's name agrees with the filer's."""
    if court_ids is not None and CmecfAccount.objects.filter(filer__pacer_account=account).exclude(
            filer_id=filer_id).exclude(court_id__in=court_ids).exists():
        return False
    return (account.account_type != PacerAccountType.INDIVIDUAL or not account.holder_name
            or identity_agrees(name, account.holder_name))


def cmecf_accounts_with_readiness(
    queryset: QuerySet[CmecfAccount] | None = None, *, now: dt.datetime | None = None,
    live_court_ids: list[int] | None = None,
) -> QuerySet[CmecfAccount]:
    """CM/ECF accounts annotated with `readiness` (filterable: `.filter(readiness=Readiness.LEGACY)`)."""
    queryset = CmecfAccount.objects.all() if queryset is None else queryset
    return queryset.annotate(readiness=readiness_expression(live_court_ids, now=now))


def cmecf_account_readiness(account: CmecfAccount, *, now: dt.datetime | None = None) -> str:
    return (
        cmecf_accounts_with_readiness(CmecfAccount.objects.filter(pk=account.pk), now=now)
        .values_list("readiness", flat=True)
        .get()
    )


def readiness_counts(
    queryset: QuerySet[CmecfAccount] | None = None, *, now: dt.datetime | None = None,
    live_court_ids: list[int] | None = None,
) -> dict[int, dict[str, int]]:
    """{court id: {readiness state: count}} for every account in `queryset`, in one grouped query
    (plus one small query for the live courts when `live_court_ids` is not given)."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {state: 0 for state in READINESS_ORDER})
    rows = (
        cmecf_accounts_with_readiness(queryset, now=now, live_court_ids=live_court_ids)
        .order_by()
        .values("court_id", "readiness")
        .annotate(n=Count("id"))
    )
    for row in rows:
        counts[row["court_id"]][row["readiness"]] = row["n"]
    return dict(counts)


def readiness_totals(counts: dict[int, dict[str, int]]) -> dict[str, int]:
    totals = {state: 0 for state in READINESS_ORDER}
    for per_court in counts.values():
        for state, n in per_court.items():
            totals[state] += n
    return totals


@dataclass
class HelpSummary:
    """Unresolved help requests (open or in progress) over some courts, and when the oldest came in."""

    open: int = 0
    oldest_at: dt.datetime | None = None

    def age_days(self, now: dt.datetime) -> int | None:
        return (now - self.oldest_at).days if self.oldest_at else None


def help_summary(court_ids: list[int] | None) -> HelpSummary:
    """One aggregate query over the (court, status, created_at) index."""
    from django.db.models import Min

    from accounts.models import HelpRequest, HelpStatus

    rows = HelpRequest.objects.exclude(status=HelpStatus.RESOLVED)
    if court_ids is not None:
        rows = rows.filter(court_id__in=list(court_ids))
    agg = rows.aggregate(n=Count("id"), oldest=Min("created_at"))
    return HelpSummary(open=agg["n"], oldest_at=agg["oldest"])


def cmecf_accounts_reminder_skips(queryset, *, live_court_ids) -> dict[str, int]:
    """Why chosen accounts get no reminder, as far as accounts know it, in one query: how many are
    already linked and how many are at a court that is not live yet (counted once each)."""
    from django.db.models import Count, Q

    return queryset.order_by().aggregate(
        chosen=Count("id"),
        linked=Count("id", filter=Q(linked_at__isnull=False)),
        not_live=Count("id", filter=Q(linked_at__isnull=True) & ~Q(court_id__in=live_court_ids)),
    )
