"""Writes about filers and CM/ECF accounts, each keeping the NextGen linking rules.

Linking itself happens on the court's CM/ECF site; these services record it. `cmecf_account_link`
refuses anything the court's site would refuse (see `accounts.readiness` for the rules), so the
tracker never shows a link that could not have happened.
"""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts.counts import court_counts_touch
from accounts.models import CmecfAccount, Filer, NameReview, PacerAccount, PacerAccountType
from accounts.readiness import Readiness
from accounts.selectors import cmecf_account_readiness

REFUSALS = {
    Readiness.LINKED: "This CM/ECF login is already linked; linking is done once and is permanent.",
    Readiness.NO_PACER: "The filer has no individual PACER account to link to.",
    Readiness.SHARED: "A shared firm PACER account must never be linked; the filer needs an individual account.",
    Readiness.LEGACY: "The filer's PACER account is a legacy account (created before 2014-08-11) and must be upgraded first.",
    Readiness.NAME_MISMATCH: "The names on the CM/ECF and PACER accounts do not match; the court's help desk must resolve it.",
    Readiness.WAITING: "The court is not live on NextGen yet; linking is possible only from the go-live date.",
}


class LinkRefused(Exception):
    """The account cannot be linked now; `readiness` says why."""

    def __init__(self, readiness: str):
        self.readiness = readiness
        super().__init__(REFUSALS.get(readiness, f"Cannot link: {readiness}"))


@transaction.atomic
def cmecf_account_link(
    account: CmecfAccount, *, linked_at: dt.datetime | None = None, now: dt.datetime | None = None
) -> CmecfAccount:
    """Record that the filer linked this CM/ECF login to their PACER account.

    Steps: lock the row; work out its readiness at `linked_at` with the shared definition; refuse
    unless it is ready; store the link time. Raises LinkRefused.
    """
    linked_at = linked_at or now or timezone.now()
    account = CmecfAccount.objects.select_for_update().get(pk=account.pk)
    readiness = cmecf_account_readiness(account, now=linked_at)
    if readiness != Readiness.READY:
        raise LinkRefused(readiness)
    account.linked_at = linked_at
    account.save(update_fields=["linked_at", "updated_at"])
    court_counts_touch([account.court_id])
    return account


@transaction.atomic
def cmecf_account_unlink(account: CmecfAccount) -> CmecfAccount:
    """Undo a link recorded by mistake (a link on the court's site itself cannot be undone)."""
    account = CmecfAccount.objects.select_for_update().get(pk=account.pk)
    account.linked_at = None
    account.save(update_fields=["linked_at", "updated_at"])
    court_counts_touch([account.court_id])
    return account


def cmecf_account_set_name_review(account: CmecfAccount, review: str) -> CmecfAccount:
    """Flag a name mismatch for the help desk, confirm the names are the same person, or clear it."""
    if review not in NameReview.values:
        raise ValueError(f"Unknown name review {review!r}")
    account.name_review = review
    account.save(update_fields=["name_review", "updated_at"])
    court_counts_touch([account.court_id])
    return account


@transaction.atomic
def filer_set_pacer_account(
    filer: Filer,
    *,
    username: str,
    account_type: str = PacerAccountType.INDIVIDUAL,
    holder_name: str = "",
    created_on: dt.date | None = None,
    upgraded: bool = False,
) -> PacerAccount:
    """Give a filer their PACER account (shared accounts are shared by username across a firm)."""
    pacer, _ = PacerAccount.objects.update_or_create(
        username=username,
        defaults={
            "account_type": account_type,
            "holder_name": holder_name or filer.name,
            "created_on": created_on,
            "upgraded": upgraded,
        },
    )
    filer.pacer_account = pacer
    filer.save(update_fields=["pacer_account", "updated_at"])
    court_counts_touch(CmecfAccount.objects.filter(filer__pacer_account=pacer).values_list("court_id", flat=True).distinct())
    return pacer


def pacer_account_upgrade(pacer: PacerAccount) -> PacerAccount:
    pacer.upgraded = True
    pacer.save(update_fields=["upgraded", "updated_at"])
    court_counts_touch(CmecfAccount.objects.filter(filer__pacer_account=pacer).values_list("court_id", flat=True).distinct())
    return pacer
