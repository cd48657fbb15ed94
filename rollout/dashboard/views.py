"""Dashboard pages and exports: thin views over `selectors`, `filters`, `tables` and `exports`.

Every view starts from `courts_for_user(request.user)`, so a court administrator only ever sees,
counts and exports their own courts; another court's URL is a 404.
"""
from __future__ import annotations

import datetime as dt
from itertools import groupby

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django_tables2 import RequestConfig
from django_tables2.paginators import LazyPaginator

from accounts.counts import stored_readiness_counts, stored_self_reports
from accounts.readiness import NEEDS_ACTION
from accounts.selectors import help_summary
from courts.models import GoLiveStatus
from courts.selectors import courts_for_user
from accounts.spreadsheets import csv_response
from courts.selectors import golive_facts
from rollout.dashboard import exports, selectors
from rollout.dashboard.charts import burnup_svg
from rollout.dashboard.filters import AccountFilter, CourtFilter
from rollout.dashboard.tables import PER_PAGE, AccountTable, CourtTable, KnownCountPaginator


def _courts_known(request) -> frozenset[int]:
    """The courts whose figures the user already sees: a peer median must rest on enough others
    (`rollout.dashboard.peers`). A superuser sees every court's figures anyway."""
    return frozenset() if request.user.is_superuser else frozenset(courts_for_user(request.user).values_list("pk", flat=True))


def _court_view(request, now: dt.datetime):
    """The filtered, sorted court rows, the summary and announcements shared by the page and exports."""
    rollout = selectors.current_rollout()
    courts = selectors.courts_with_rollout(courts_for_user(request.user), rollout=rollout, now=now)
    court_filter = CourtFilter(request.GET or None, queryset=courts)
    summary, ids = selectors.overview_summary(court_filter.qs, now=now)
    announcements = selectors.last_announcements(ids)
    peers = selectors.peer_curves(rollout, now=now)
    table = CourtTable(selectors.attention_first(court_filter.qs), now=now, announcements=announcements, peers=peers,
                       peers_known=_courts_known(request),
                       notice_health=selectors.notice_health(ids, now),
                       caption=f"{summary.courts:,} court{'s' if summary.courts != 1 else ''}")
    return court_filter, summary, table, announcements


@login_required
def overview(request):
    now = timezone.now()
    court_filter, summary, table, _ = _court_view(request, now)
    health = table.notice_health.values()
    RequestConfig(request, paginate={"paginator_class": KnownCountPaginator, "known_count": summary.courts,
                                     "per_page": PER_PAGE}).configure(table)
    ids = summary.court_ids
    help_open = help_summary(ids)
    return render(request, "dashboard/overview.html", {
        "filter": court_filter, "summary": summary, "table": table, "query": request.GET.urlencode(),
        "self_reports": stored_self_reports(ids),
        "help": help_open, "help_age": help_open.age_days(now),
        "is_filtered": any(v for k, v in request.GET.items() if k not in ("sort", "page")),
        "stalled_courts": sum(1 for h in health if h.stalled), "unreachable": selectors.unreachable_filers(ids),
        "stall_minutes": settings.NOTICES_STALL_AFTER_SECONDS // 60,
    })


def _court_export(request, fmt: str):
    now = timezone.now()
    _, _, table, announcements = _court_view(request, now)
    RequestConfig(request, paginate=False).configure(table)
    rows = exports.court_rows(table.data.data, now=now, announcements=announcements, peers=table.peers,
                              peers_known=table.peers_known)
    stamp = timezone.localdate(now).isoformat()
    if fmt == "xlsx":
        return exports.xlsx_response(f"courts-{stamp}.xlsx", "Courts", exports.COURT_HEADER, rows)
    return csv_response(f"courts-{stamp}.csv", exports.COURT_HEADER, rows)


@login_required
def overview_csv(request):
    return _court_export(request, "csv")


@login_required
def overview_xlsx(request):
    return _court_export(request, "xlsx")


def _court_context(request, court_id: str, now: dt.datetime):
    court = selectors.court_for_user_or_404(request.user, court_id)
    rollout = selectors.current_rollout()
    golive = selectors.court_golive(court, rollout)
    live = bool(golive and golive.is_live(now))
    account_filter = AccountFilter(request.GET or None, queryset=selectors.court_accounts(court, now=now, live=live),
                                   court_id=court.id, live_court_ids=[court.id] if live else [])
    return court, rollout, golive, live, account_filter


@login_required
def court_detail(request, court_id: str):
    now = timezone.now()
    court, rollout, golive, live, account_filter = _court_context(request, court_id, now)
    funnel = selectors.court_funnel(court, live=live, now=now)
    # The row count is known without COUNT(*) when the table is unfiltered (the stored total) or
    # filtered by readiness only (that state's stored count); a text search pages lazily instead.
    known = None
    if account_filter.is_unfiltered:
        known = funnel.registered
    elif account_filter.only_readiness:
        known = dict((s, n) for s, _, n in funnel.by_state).get(account_filter.only_readiness, 0)
    table = AccountTable(account_filter.qs, court=court,
                         caption=f"CM/ECF accounts at {court.name}" + (f" ({known:,})" if known is not None else "")
                         + f"; times in the court's zone, {court.time_zone} ({court.zone_abbreviation} now)")
    paginate = {"per_page": PER_PAGE}
    paginate.update({"paginator_class": KnownCountPaginator, "known_count": known} if known is not None
                    else {"paginator_class": LazyPaginator})
    RequestConfig(request, paginate=paginate).configure(table)
    burnup = selectors.court_burnup(court, golive, funnel.registered, now=now)
    peer_curve = []
    if live and golive and golive.go_live_date:
        from rollout.dashboard.peers import peer_median_curve

        curves = selectors.peer_curves(rollout, now=now)
        weeks = (burnup.today - golive.go_live_date).days // 7 + 1
        peer_curve = peer_median_curve(curves, exclude=court.id, weeks=max(weeks, 1), known=_courts_known(request))
    return render(request, "dashboard/court.html", {
        "court": court, "rollout": rollout, "golive": golive, "live": live,
        "facts": golive_facts(golive, court=court, now=now, rollout_name=rollout.name, sequence=0),
        "history": selectors.golive_history(golive),
        "software_changes": list(court.software_version_changes.all()[:5]),
        "funnel": funnel, "needs_action": sum(n for s, _, n in funnel.by_state if s in NEEDS_ACTION),
        "burnup": burnup, "chart": burnup_svg(burnup, peer_curve=peer_curve),
        "filter": account_filter, "table": table, "query": request.GET.urlencode(),
        "notice_summary": selectors.court_notice_summary(court),
        "notice_health": selectors.court_notice_health(court, now),
        "local_today": court.local_today(now),
        "self_reports": stored_self_reports([court.id]),
        "help": (help_open := help_summary([court.id])), "help_age": help_open.age_days(now),
    })


def _account_export(request, court_id: str, fmt: str):
    now = timezone.now()
    court, _, _, _, account_filter = _court_context(request, court_id, now)
    table = AccountTable(account_filter.qs, court=court)
    RequestConfig(request, paginate=False).configure(table)
    rows = exports.account_rows(table.data.data, court)
    name = f"{court.court_id.lower()}-accounts-{court.local_today(now).isoformat()}"
    if fmt == "xlsx":
        return exports.xlsx_response(f"{name}.xlsx", f"{court.court_id} accounts", exports.ACCOUNT_HEADER, rows)
    return csv_response(f"{name}.csv", exports.ACCOUNT_HEADER, rows)


@login_required
def court_csv(request, court_id: str):
    return _account_export(request, court_id, "csv")


@login_required
def court_xlsx(request, court_id: str):
    return _account_export(request, court_id, "xlsx")


UPCOMING_MONTHS = (3, 6, 12, 24)


@login_required
def upcoming(request):
    now = timezone.now()
    try:
        months = int(request.GET.get("months", 6))
    except ValueError:
        months = 6
    months = months if months in UPCOMING_MONTHS else 6
    golives = selectors.upcoming_golives(courts_for_user(request.user), rollout=selectors.current_rollout(),
                                         now=now, months=months)
    counts = stored_readiness_counts([g.court_id for g in golives], now=now, live_court_ids=[])
    items = []
    for golive in golives:
        per_court = counts.get(golive.court_id, {})
        items.append({
            "golive": golive, "court": golive.court,
            "days": (golive.go_live_date - golive.court.local_today(now)).days,
            "postponed": golive.status == GoLiveStatus.POSTPONED,  # its date no longer holds: no countdown
            "registered": sum(per_court.values()),
            "needs_action": sum(per_court.get(s, 0) for s in NEEDS_ACTION),
        })
    by_month = [(month, list(group)) for month, group in
                groupby(items, key=lambda item: item["golive"].go_live_date.replace(day=1))]
    return render(request, "dashboard/upcoming.html", {
        "by_month": by_month, "months": months, "month_choices": UPCOMING_MONTHS, "count": len(items),
    })
