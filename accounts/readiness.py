"""Readiness: how far each CM/ECF account is from being linked to an individual, upgraded PACER account.

This is the one definition of readiness. It is a database expression, so the dashboard, the
notices and the admin all filter, count and group by it in SQL, and counting a million accounts by
state is one query. The rules come from the courts' NextGen notices; the first that applies wins:

1. linked          — the login was linked; nothing left to do (linking is permanent).
2. no_pacer        — the filer has no PACER account: they must register an individual one.
3. shared          — the filer uses a shared firm account, which must never be linked.
4. legacy          — an individual account created before 2014-08-11 (or on an unknown date) and
                     not upgraded: it must be upgraded first.
5. name_mismatch   — the CM/ECF and PACER names differ (or the help desk flagged them): the help
                     desk must sort it out before linking.
6. waiting         — all is in order but the court is not live yet: linking is only possible from
                     the start of the go-live date in the court's time zone.
7. ready           — the filer can link now.
"""
from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Case, CharField, F, Q, Value, When

from accounts.models import LEGACY_CUTOFF, NameReview, PacerAccountType


class Readiness(models.TextChoices):
    """The readiness states, in funnel order (furthest from linking first, linked last)."""

    NO_PACER = "no_pacer", "No individual PACER account"
    SHARED = "shared", "Shared firm PACER account"
    LEGACY = "legacy", "Legacy PACER account to upgrade"
    NAME_MISMATCH = "name_mismatch", "Name mismatch"
    WAITING = "waiting", "Waiting for go-live"
    READY = "ready", "Ready to link"
    LINKED = "linked", "Linked"

    @classmethod
    def label_of(cls, state: str) -> str:
        return cls(state).label if state in cls.values else state


# States in which the filer (or the help desk) has something to do before the login can be linked.
NEEDS_ACTION = (Readiness.NO_PACER, Readiness.SHARED, Readiness.LEGACY, Readiness.NAME_MISMATCH)
ORDER = tuple(Readiness.values)


def readiness_expression(live_court_ids: list[int] | None = None, *, now: dt.datetime | None = None) -> Case:
    """A CASE expression over CmecfAccount that evaluates to one Readiness state per account.

    `live_court_ids` is the (small) list of courts live on the current rollout; when omitted it is
    read with one query (`courts.selectors.court_ids_live(now)`).
    """
    if live_court_ids is None:
        from courts.selectors import court_ids_live

        live_court_ids = court_ids_live(now)
    pacer = "filer__pacer_account"
    names_match = Q(name_key=F(f"{pacer}__name_key"))
    return Case(
        When(linked_at__isnull=False, then=Value(Readiness.LINKED)),
        When(**{f"{pacer}__isnull": True}, then=Value(Readiness.NO_PACER)),
        When(**{f"{pacer}__account_type": PacerAccountType.SHARED}, then=Value(Readiness.SHARED)),
        When(
            Q(**{f"{pacer}__upgraded": False})
            & (Q(**{f"{pacer}__created_on__isnull": True}) | Q(**{f"{pacer}__created_on__lt": LEGACY_CUTOFF})),
            then=Value(Readiness.LEGACY),
        ),
        When(name_review=NameReview.FLAGGED, then=Value(Readiness.NAME_MISMATCH)),
        When(~Q(name_review=NameReview.VERIFIED) & ~names_match, then=Value(Readiness.NAME_MISMATCH)),
        When(court_id__in=live_court_ids, then=Value(Readiness.READY)),
        default=Value(Readiness.WAITING),
        output_field=CharField(),
    )


def ready_to_link_q(live_court_ids: list[int]) -> Q:
    """The condition `readiness_expression(live_court_ids) == "ready"` as plain AND/OR conditions.

    Same rules, written so the planner can estimate them: a filter on the CASE expression is
    guessed at 0.5% of the rows, which turns a bulk write over 100,000 ready accounts into
    100,000 nested index look-ups. Every column read here is NOT NULL except the PACER account
    itself and its `created_on`, which the conditions treat exactly as the CASE does.
    """
    pacer = "filer__pacer_account"
    not_legacy = Q(**{f"{pacer}__upgraded": True}) | Q(**{f"{pacer}__created_on__gte": LEGACY_CUTOFF})
    names_ok = Q(name_review=NameReview.VERIFIED) | Q(name_key=F(f"{pacer}__name_key"))
    return (
        Q(linked_at__isnull=True)
        & Q(**{f"{pacer}__isnull": False})
        & ~Q(**{f"{pacer}__account_type": PacerAccountType.SHARED})
        & not_legacy
        & ~Q(name_review=NameReview.FLAGGED)
        & names_ok
        & Q(court_id__in=live_court_ids)
    )


def readiness_q(state: str, live_court_ids: list[int]) -> Q:
    """The condition `readiness_expression(live_court_ids) == state` as plain AND/OR conditions.

    Why: a filter on the CASE expression is opaque to the planner (guessed at 0.5% of the rows and
    evaluated for every account of a court before the page's 50 are picked); these conditions are
    the same rules, first match wins, written out so the planner can estimate and use them.
    """
    pacer = "filer__pacer_account"
    not_linked = Q(linked_at__isnull=True)
    has_pacer = not_linked & Q(**{f"{pacer}__isnull": False})
    individual = has_pacer & ~Q(**{f"{pacer}__account_type": PacerAccountType.SHARED})
    legacy = Q(**{f"{pacer}__upgraded": False}) & (
        Q(**{f"{pacer}__created_on__isnull": True}) | Q(**{f"{pacer}__created_on__lt": LEGACY_CUTOFF}))
    not_legacy = Q(**{f"{pacer}__upgraded": True}) | Q(**{f"{pacer}__created_on__gte": LEGACY_CUTOFF})
    names_ok = ~Q(name_review=NameReview.FLAGGED) & (
        Q(name_review=NameReview.VERIFIED) | Q(name_key=F(f"{pacer}__name_key")))
    names_differ = Q(name_review=NameReview.FLAGGED) | (
        ~Q(name_review=NameReview.VERIFIED) & ~Q(name_key=F(f"{pacer}__name_key")))
    return {
        Readiness.LINKED: Q(linked_at__isnull=False),
        Readiness.NO_PACER: not_linked & Q(**{f"{pacer}__isnull": True}),
        Readiness.SHARED: has_pacer & Q(**{f"{pacer}__account_type": PacerAccountType.SHARED}),
        Readiness.LEGACY: individual & legacy,
        Readiness.NAME_MISMATCH: individual & not_legacy & names_differ,
        Readiness.WAITING: individual & not_legacy & names_ok & ~Q(court_id__in=live_court_ids),
        Readiness.READY: ready_to_link_q(live_court_ids),
    }[state]
