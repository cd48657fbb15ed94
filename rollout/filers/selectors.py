"""What the filer's status page shows, read in a fixed number of queries whatever the number of logins.

Queries: the filer (1); the current rollout (1) and the courts live on it (1), for the one readiness
expression; the filer's logins with their court, PACER account and readiness (1); the go-live facts of
their courts (1, courts.selectors.golives_facts); their open help requests (1).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from accounts.models import CmecfAccount, Filer, HelpRequest, HelpStatus
from accounts.readiness import Readiness
from accounts.selectors import cmecf_accounts_with_readiness
from courts.models import GoLiveStatus
from courts.selectors import GoLiveFacts, court_ids_live, golive_facts, golives_facts, rollout_current
from rollout.links import REGISTER_URL, UPGRADE_URL

# The readiness states in a filer's words, and the one next step for each.
PLAIN_STATE = {
    Readiness.NO_PACER: "You need an individual PACER account",
    Readiness.SHARED: "Your PACER account is a firm's shared account",
    Readiness.LEGACY: "Your PACER account must be upgraded",
    Readiness.NAME_MISMATCH: "The names on your accounts don't match",
    Readiness.WAITING: "Ready — waiting for the court's go-live",
    Readiness.READY: "Ready to link now",
    Readiness.LINKED: "Linked — done",
}
STATE_CLASS = {
    Readiness.NO_PACER: "state-bad", Readiness.SHARED: "state-bad", Readiness.LEGACY: "state-bad",
    Readiness.NAME_MISMATCH: "state-bad", Readiness.WAITING: "state-wait", Readiness.READY: "state-wait",
    Readiness.LINKED: "state-ok",
}


@dataclass
class NextStep:
    text: str
    link_text: str = ""
    link_url: str = ""


@dataclass
class LoginRow:
    account: CmecfAccount
    readiness: str
    state_text: str
    state_class: str
    next_step: NextStep
    go_live_text: str
    go_live_status: str
    help_requests: list = field(default_factory=list)
    live: bool = False
    # The filing pause the notices give (courts.selectors.golive_facts), in the court's zone; "" = none.
    pause_text: str = ""

    @property
    def court(self):
        return self.account.court

    @property
    def report_pause_ends(self) -> dt.datetime | None:
        """When the reminders a self-reported link paused resume, unless the court's records confirm it."""
        reported = self.account.link_reported_at
        return reported + dt.timedelta(days=settings.FILERS_SELF_REPORT_PAUSE_DAYS) if reported else None

    @property
    def can_report_link(self) -> bool:
        """At a live court, an unlinked login can be reported linked whatever our records say:
        the report is there for when they lag behind (e.g. an upgrade not recorded yet)."""
        return self.live and self.readiness != Readiness.LINKED and self.account.link_reported_at is None


def next_step(readiness: str, court, facts: GoLiveFacts) -> NextStep:
    phone = court.help_desk_phone
    desk = f"the {court.name} CM/ECF help desk" + (f" at {phone}" if phone else "")
    if readiness == Readiness.NO_PACER:
        return NextStep("Register an individual PACER account in your own name.", "Register at PACER", REGISTER_URL)
    if readiness == Readiness.SHARED:
        return NextStep("Get an individual PACER account in your own name instead of your firm's shared one; "
                        "a shared account must never be linked.", "Register at PACER", REGISTER_URL)
    if readiness == Readiness.LEGACY:
        return NextStep("Upgrade your legacy PACER account (created before August 11, 2014).",
                        "How to upgrade at PACER", UPGRADE_URL)
    if readiness == Readiness.NAME_MISMATCH:
        return NextStep(f"Call {desk} about the names: they must match before you can link.")
    if readiness == Readiness.WAITING:
        when = facts.when_text if facts.status == GoLiveStatus.SCHEDULED else \
            "the court's go-live (not scheduled yet)"
        return NextStep(f"Nothing to do yet. Wait until {when}; then link this login at the court's CM/ECF site.")
    if readiness == Readiness.READY:
        return NextStep("Link this login now at the court's CM/ECF site: sign in with your own upgraded PACER "
                        "account, open Utilities, choose \"Link a CM/ECF account to my PACER account\".",
                        "Open the court's CM/ECF site", court.login_url or "")
    return NextStep("Done: file with your PACER account at this court.")


def filer_status_rows(filer: Filer, *, now: dt.datetime | None = None) -> list[LoginRow]:
    """Every CM/ECF login of `filer`, court by court, with its state and next step (4 queries)."""
    now = now or timezone.now()
    rollout = rollout_current()
    live = court_ids_live(now, rollout=rollout)
    accounts = list(
        cmecf_accounts_with_readiness(CmecfAccount.objects.filter(filer=filer), live_court_ids=live)
        .select_related("court")
        .order_by("court__name", "login")
    )
    facts = golives_facts(rollout, court_ids=sorted({a.court_id for a in accounts}), now=now)
    helps: dict[int, list] = {}
    for help_request in HelpRequest.objects.filter(account__in=[a.pk for a in accounts]).exclude(
            status=HelpStatus.RESOLVED).order_by("created_at"):
        helps.setdefault(help_request.account_id, []).append(help_request)
    rows = []
    for account in accounts:
        f = facts.get(account.court_id) or golive_facts(None, court=account.court, rollout_name=rollout.name)
        rows.append(LoginRow(
            account=account, readiness=account.readiness, state_text=PLAIN_STATE[account.readiness],
            state_class=STATE_CLASS[account.readiness],
            next_step=next_step(account.readiness, account.court, f),
            go_live_text=f.when_text, go_live_status=f.status, live=account.court_id in live,
            help_requests=helps.get(account.pk, []), pause_text=f.blackout_text,
        ))
    return rows
