"""Writes a filer makes from their status page, and the help desk's work on help requests.

Every write here goes through one function named `<entity>_<action>` and records an AuditEntry
(source "filer status page" for the filer, the user for staff), so the audit trail lists a
self-report, its confirmation or clearing, a help request and each step of its handling.

Self-reports are not readiness: readiness follows what the court's records say (one database
expression, `accounts.readiness`). A self-reported link is kept beside it (`link_reported_at`),
counted apart on the dashboards, pauses reminders for FILERS_SELF_REPORT_PAUSE_DAYS, and is settled
by the court's next link report (confirmed if it lists the login, cleared if not).
"""
from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from accounts.audit import audit_record, audit_record_queryset
from accounts.counts import court_counts_touch
from accounts.emails import email_address_problem
from accounts.models import (
    LEGACY_CUTOFF, CmecfAccount, Filer, HelpReason, HelpRequest, HelpStatus, NameReview, PacerAccount,
    PacerAccountType,
)
from accounts.services import cmecf_account_set_name_review

FILER_SOURCE = "filer status page"


class SelfServiceRefused(Exception):
    """The request cannot be done; the message says why in words a filer understands."""


def _own_account(filer: Filer, account_id: int) -> CmecfAccount:
    """The filer's own CM/ECF account, locked; another filer's id is refused like a missing one."""
    account = (CmecfAccount.objects.select_for_update().select_related("court")
               .filter(pk=account_id, filer=filer).first())
    if account is None:
        raise SelfServiceRefused("That CM/ECF login is not one of yours.")
    return account


@transaction.atomic
def cmecf_account_report_linked(filer: Filer, account_id: int, *, now: dt.datetime | None = None) -> CmecfAccount:
    """The filer says they linked this login on the court's CM/ECF site.

    Steps: lock the filer's own account; refuse if the court's records already show it linked, or
    if the court is not live (linking is impossible before); store the report time (a second report
    just renews it); audit; recount the court's stored counts (the self-reported count) after commit.
    Any other state is accepted: the report exists for when the court's records lag behind the filer.
    """
    from courts.selectors import court_ids_live

    now = now or timezone.now()
    account = _own_account(filer, account_id)
    if account.linked_at is not None:
        raise SelfServiceRefused("The court's records already show this login as linked; nothing more to do.")
    if account.court_id not in court_ids_live(now):
        raise SelfServiceRefused("This court is not live on NextGen yet: linking is possible only from its go-live date.")
    audit_record(account, "link_reported_at", account.link_reported_at, now, source=FILER_SOURCE, at=now)
    account.link_reported_at = now
    account.save(update_fields=["link_reported_at", "updated_at"])
    court_counts_touch([account.court_id])
    return account


@transaction.atomic
def pacer_account_report_upgraded(filer: Filer, *, now: dt.datetime | None = None) -> PacerAccount:
    """The filer says they upgraded their legacy PACER account (recorded; staff or a roster confirm it).

    Refused for no PACER account, a shared one, or one already upgraded or modern.
    """
    now = now or timezone.now()
    pacer = PacerAccount.objects.select_for_update().filter(filers=filer).first()
    if pacer is None or pacer.is_shared:
        raise SelfServiceRefused("You need an individual PACER account first; there is nothing to upgrade.")
    if not pacer.is_legacy:
        raise SelfServiceRefused("Your PACER account needs no upgrade.")
    courts = set()
    for account in CmecfAccount.objects.filter(filer__pacer_account=pacer).select_related("court"):
        # Recorded once per login, so each court's audit trail (scoped by court) shows it.
        audit_record(account, "pacer_upgrade_reported_at", pacer.upgrade_reported_at, now, source=FILER_SOURCE, at=now)
        courts.add(account.court_id)
    pacer.upgrade_reported_at = now
    pacer.save(update_fields=["upgrade_reported_at", "updated_at"])
    court_counts_touch(courts)
    return pacer


def pacer_upgrade_reports_settle(court, pacers: QuerySet[PacerAccount], *, source: str, by=None) -> tuple[int, int]:
    """After a roster for `court` was applied: the filers' own "I upgraded" reports on `pacers` (the
    PACER accounts the roster lists and may change; the caller leaves out those shared with courts the
    importer does not administer) are settled — confirmed where the records now show the account no
    longer legacy, cleared where the roster still says legacy. Set-based: two audit INSERT … SELECT
    (one entry per login, at every court of the account, as the report itself records) and one UPDATE;
    every one of those courts is recounted. Returns (confirmed, cleared)."""
    reported = pacers.filter(upgrade_reported_at__isnull=False)
    accounts = CmecfAccount.objects.filter(filer__pacer_account__in=reported.values("pk"))
    courts = {court.pk, *accounts.values_list("court_id", flat=True).distinct()}  # before the reports clear
    pacer = "filer__pacer_account"
    not_legacy = Q(**{f"{pacer}__upgraded": True}) | Q(**{f"{pacer}__created_on__gte": LEGACY_CUTOFF}) \
        | Q(**{f"{pacer}__account_type": PacerAccountType.SHARED})
    old = F(f"{pacer}__upgrade_reported_at")
    confirmed = audit_record_queryset(accounts.filter(not_legacy), "pacer_upgrade_reported_at", old=old,
                                      new="confirmed by roster", by=by, source=source)
    cleared = audit_record_queryset(accounts.exclude(not_legacy), "pacer_upgrade_reported_at", old=old,
                                    new="cleared: roster says not upgraded", by=by, source=source)
    if reported.update(upgrade_reported_at=None, updated_at=timezone.now()):
        court_counts_touch(courts)
    return confirmed, cleared


def link_self_reports_settle(court, *, source: str, by=None, before: dt.datetime | None = None) -> tuple[int, int]:
    """After a link report for `court` was applied: every self-report made before it is settled.

    Confirmed when the court's records now show the login linked, cleared (reminders resume)
    when they do not. Set-based: two audit INSERT … SELECT and one UPDATE, whatever the number.
    Returns (confirmed, cleared). Call inside the import's transaction.
    """
    before = before or timezone.now()
    reported = CmecfAccount.objects.filter(court=court, link_reported_at__isnull=False, link_reported_at__lte=before)
    confirmed = audit_record_queryset(reported.filter(linked_at__isnull=False), "link_reported_at",
                                      old=F("link_reported_at"), new="confirmed by link report", by=by, source=source)
    cleared = audit_record_queryset(reported.filter(linked_at__isnull=True), "link_reported_at",
                                    old=F("link_reported_at"), new="cleared: not in link report", by=by, source=source)
    if confirmed or cleared:
        reported.update(link_reported_at=None, updated_at=timezone.now())
        court_counts_touch([court.pk])
    return confirmed, cleared


# --- Help requests -------------------------------------------------------------------------------

@transaction.atomic
def help_request_create(filer: Filer, account_id: int, reason: str, text: str = "",
                        *, now: dt.datetime | None = None) -> HelpRequest:
    """A filer asks the court of one of their logins for help. "Something else" needs a text.

    A second open request for the same login and reason is not created: the open one is returned,
    so a double submit or a repeated click makes one request.
    """
    if reason not in HelpReason.values:
        raise SelfServiceRefused("Choose what you need help with.")
    text = (text or "").strip()[:2000]
    if reason == HelpReason.OTHER and not text:
        raise SelfServiceRefused("Tell us in a few words what you need help with.")
    account = _own_account(filer, account_id)
    existing = HelpRequest.objects.filter(account=account, reason=reason).exclude(status=HelpStatus.RESOLVED).first()
    if existing is not None:
        return existing
    help_request = HelpRequest.objects.create(court_id=account.court_id, account=account, reason=reason, text=text,
                                              created_at=now or timezone.now())
    audit_record(help_request, "status", "", HelpStatus.OPEN, source=FILER_SOURCE, at=help_request.created_at)
    return help_request


@transaction.atomic
def help_request_update(help_request: HelpRequest, *, by, status: str | None = None, assigned_to=...,
                        notes: str | None = None, verify_names: bool = False) -> HelpRequest:
    """Staff change a help request: status, assignee, notes; each change is audited.

    With `verify_names` (a "names don't match" request being resolved) the login's names are
    marked verified through the name-review service in the same transaction, so the login can be
    linked. Steps: lock the row; apply and audit each changed field; the name review; save.
    """
    locked = HelpRequest.objects.select_for_update().select_related("account").get(pk=help_request.pk)
    changed = []
    if status is not None and status != locked.status:
        if status not in HelpStatus.values:
            raise ValueError(f"Unknown status {status!r}")
        audit_record(locked, "status", locked.status, status, by=by)
        locked.status = status
        locked.resolved_at = timezone.now() if status == HelpStatus.RESOLVED else None
        changed += ["status", "resolved_at"]
    if assigned_to is not ... and getattr(assigned_to, "pk", None) != locked.assigned_to_id:
        audit_record(locked, "assigned_to", locked.assigned_to or "", assigned_to or "", by=by)
        locked.assigned_to = assigned_to
        changed.append("assigned_to")
    if notes is not None and notes != locked.notes:
        audit_record(locked, "notes", locked.notes, notes, by=by)
        locked.notes = notes
        changed.append("notes")
    if verify_names:
        if locked.reason != HelpReason.NAMES:
            raise SelfServiceRefused("Only a \"names don't match\" request can verify the names.")
        if locked.account.name_review != NameReview.VERIFIED and locked.account.linked_at is None:
            cmecf_account_set_name_review(locked.account, NameReview.VERIFIED, by=by)
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
    return locked


# --- The filer's notice address -------------------------------------------------------------------

@transaction.atomic
def filer_change_email(filer_id: int, old_email: str, new_email: str, changes: int) -> Filer:
    """Make `new_email` the filer's notice address (after it confirmed). Returns the filer.

    `changes` is the address-change count the link was made at. Refused when the address changed
    since the link was sent, or the link was already used (the count moved on: each link works
    once), or another filer already uses the new address (one filer per address). Audited on each
    of the filer's logins, so each court's trail shows it.
    """
    new_email = new_email.strip().lower()
    # Only an address the sender can mail becomes the notice address (the rule imports and the sender use).
    problem = email_address_problem(new_email)
    if problem:
        raise SelfServiceRefused(problem)
    filer = Filer.objects.select_for_update().filter(pk=filer_id).first()
    if filer is None or filer.email != old_email or filer.email_changes != changes:
        raise SelfServiceRefused("This link is no longer valid: it was used, or your address changed since it "
                                 "was sent.")
    if filer.email == new_email:
        return filer
    old = filer.email
    filer.email = new_email
    filer.email_changes += 1  # the row is locked: no other change can count in between
    try:
        # The unique address is the check: a look first would let two filers confirming one address
        # at the same moment both pass it, and the second save fail as a server error.
        with transaction.atomic():
            filer.save(update_fields=["email", "email_changes", "updated_at"])
    except IntegrityError:
        raise SelfServiceRefused("That address belongs to another filer's record; ask the court's help desk.") from None
    for account in CmecfAccount.objects.filter(filer=filer).select_related("court"):
        audit_record(account, "filer_email", old, new_email, source=FILER_SOURCE)
    return filer


def reminder_paused_q(now: dt.datetime, pause_days: int):
    """Accounts whose reminders are paused by a recent self-reported link (a Q over CmecfAccount)."""
    return Q(link_reported_at__gte=now - dt.timedelta(days=pause_days), linked_at__isnull=True)

