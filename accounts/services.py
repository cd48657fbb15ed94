"""Writes about filers and CM/ECF accounts, each keeping the NextGen linking rules.

Linking itself happens on the court's CM/ECF site; these services record it. `cmecf_account_link`
refuses anything the court's site would refuse (see `accounts.readiness` for the rules), so the
tracker never shows a link that could not have happened.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Case, CharField, Count, F, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.audit import audit_record, audit_record_queryset, audit_update_queryset
from accounts.counts import court_counts_touch
from accounts.models import CmecfAccount, CourtAdministrator, Filer, HelpRequest, NameReview, PacerAccount
from accounts.permissions import court_administrators_grant
from accounts.readiness import Readiness, readiness_expression, ready_to_link_q
from accounts.selectors import cmecf_account_readiness, filer_court_ids, pacer_account_court_ids

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
    account: CmecfAccount, *, linked_at: dt.datetime | None = None, now: dt.datetime | None = None,
    by=None, source: str | None = None,
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
    audit_record(account, "linked_at", account.linked_at, linked_at, by=by, source=source)
    account.linked_at = linked_at
    account.save(update_fields=["linked_at", "updated_at"])
    if account.link_reported_at is not None:  # the filer's own report, now confirmed
        audit_record(account, "link_reported_at", account.link_reported_at, "confirmed by link", by=by, source=source)
        CmecfAccount.objects.filter(pk=account.pk).update(link_reported_at=None)
        account.link_reported_at = None
    court_counts_touch([account.court_id])
    return account


@transaction.atomic
def cmecf_account_unlink(account: CmecfAccount, *, by=None, source: str | None = None) -> CmecfAccount:
    """Undo a link recorded by mistake (a link on the court's site itself cannot be undone)."""
    account = CmecfAccount.objects.select_for_update().get(pk=account.pk)
    audit_record(account, "linked_at", account.linked_at, None, by=by, source=source)
    account.linked_at = None
    account.save(update_fields=["linked_at", "updated_at"])
    court_counts_touch([account.court_id])
    return account


@transaction.atomic
def cmecf_account_set_name_review(
    account: CmecfAccount, review: str, *, by=None, source: str | None = None
) -> CmecfAccount:
    """Flag a name mismatch for the help desk, confirm the names are the same person, or clear it."""
    if review not in NameReview.values:
        raise ValueError(f"Unknown name review {review!r}")
    audit_record(account, "name_review", account.name_review, review, by=by, source=source)
    account.name_review = review
    account.save(update_fields=["name_review", "updated_at"])
    court_counts_touch([account.court_id])
    return account


def pacer_account_upgrade(pacer: PacerAccount, *, by=None, source: str | None = None) -> PacerAccount:
    """Staff (or a roster) confirm the holder upgraded their legacy PACER account."""
    return pacer_account_update(pacer, upgraded=True, by=by, source=source)


# --- Record edits (the admin's add, change and delete pages) --------------------------------------
# Every field of these three records can move an account's readiness (a PACER account's type, date
# or upgrade, a filer's PACER account, a CM/ECF account's names, review or court), so each edit
# writes one audit entry per changed field and per court the record belongs to, and recounts the
# courts before and after.

def _lock_holders(obj) -> None:
    """Before a PACER account's courts are read: lock the filers using it. A CM/ECF account another
    session adds for one of them takes a key-share lock on that filer when it commits (the foreign
    key is checked then), which waits for this transaction: its court's recount, after that commit,
    then reads the account as this edit left it, and no court is counted from the old values.
    (A filer's own edit locks the filer row itself.)"""
    if isinstance(obj, PacerAccount):
        list(Filer.objects.select_for_update().filter(pacer_account_id=obj.pk).values_list("pk", flat=True))


def _courts_of(obj) -> set[int]:
    if isinstance(obj, CmecfAccount):
        return {obj.court_id}
    if isinstance(obj, Filer):
        return set(filer_court_ids([obj.pk]))
    return set(pacer_account_court_ids([obj.pk]))


def _audit_for_courts(obj, field_name: str, old, new, court_ids: set[int], *, by, source) -> None:
    for court_id in sorted(court_ids) or [None]:
        audit_record(obj, field_name, old, new, by=by, source=source, court_id=court_id)


@transaction.atomic
def _record_update(model, pk: int, changes: dict, *, by, source):
    """Steps: lock the row; apply the changed values; save; audit each change under every court the
    record belongs to before or after; recount those courts after commit."""
    obj = model.objects.select_for_update().get(pk=pk)
    _lock_holders(obj)
    before = _courts_of(obj)
    changed = {}
    for name, new in changes.items():
        old = getattr(obj, name)
        if old != new:
            changed[name] = (old, new)
            setattr(obj, name, new)
    if not changed:
        return obj
    if isinstance(obj, Filer) and "email" in changed:
        # Links made for the address before (status, a pending confirmation) stop working, even if
        # a later change puts the address back, as after the filer's own change.
        obj.email_changes += 1
    # name_key follows the name it is derived from, in the models' save().
    obj.save()
    courts = before | _courts_of(obj)
    for name, (old, new) in changed.items():
        _audit_for_courts(obj, name, old, new, courts, by=by, source=source)
    court_counts_touch(courts)
    return obj


@transaction.atomic
def cmecf_account_update(account: CmecfAccount, *, by=None, source: str | None = None, **changes) -> CmecfAccount:
    """Change a CM/ECF account's court, login, filer, CM/ECF name or name review (not its link: see
    `cmecf_account_link`). A login moved to another court takes its help requests with it: the
    request's court is whose help desk sees and handles it, so it must stay the login's."""
    if "linked_at" in changes:
        raise ValueError("Record or undo a link with cmecf_account_link / cmecf_account_unlink.")
    updated = _record_update(CmecfAccount, account.pk, changes, by=by, source=source)
    if "court" in changes or "court_id" in changes:
        HelpRequest.objects.filter(account_id=updated.pk).exclude(court_id=updated.court_id).update(
            court_id=updated.court_id, updated_at=timezone.now())
    return updated


def filer_update(filer: Filer, *, by=None, source: str | None = None, **changes) -> Filer:
    """Change a filer's name, email or PACER account."""
    return _record_update(Filer, filer.pk, changes, by=by, source=source)


def pacer_account_update(pacer: PacerAccount, *, by=None, source: str | None = None, **changes) -> PacerAccount:
    """Change a PACER account's username, type, holder, creation date or upgrade. Staff confirming
    the upgrade settle the holder's own report of it."""
    if changes.get("upgraded") is True:
        changes["upgrade_reported_at"] = None
    return _record_update(PacerAccount, pacer.pk, changes, by=by, source=source)


@transaction.atomic
def _record_create(obj, *, by, source):
    """Save a new record; audit its creation under its courts; recount them."""
    obj.save()
    courts = _courts_of(obj)
    _audit_for_courts(obj, "created", "", str(obj), courts, by=by, source=source)
    court_counts_touch(courts)
    return obj


@transaction.atomic
def _record_delete(obj, *, by, source) -> None:
    """Delete a record; audit it under every court it belonged to; recount those courts."""
    _lock_holders(obj)
    courts = _courts_of(obj)
    _audit_for_courts(obj, "deleted", str(obj), "", courts, by=by, source=source)
    obj.delete()
    court_counts_touch(courts)


def cmecf_account_create(account: CmecfAccount, *, by=None, source: str | None = None) -> CmecfAccount:
    return _record_create(account, by=by, source=source)


@transaction.atomic
def filer_create(filer: Filer, *, accounts=(), by=None, source: str | None = None) -> Filer:
    """A new filer with their first CM/ECF logins (`accounts`, unsaved): the filer's creation is
    audited under those logins' courts, each login under its own."""
    filer.save()
    for account in accounts:
        account.filer = filer
        account.save()
    courts = {account.court_id for account in accounts}
    _audit_for_courts(filer, "created", "", str(filer), courts, by=by, source=source)
    for account in accounts:
        _audit_for_courts(account, "created", "", str(account), {account.court_id}, by=by, source=source)
    court_counts_touch(courts)
    return filer


def pacer_account_create(pacer: PacerAccount, *, by=None, source: str | None = None) -> PacerAccount:
    return _record_create(pacer, by=by, source=source)


def cmecf_account_delete(account: CmecfAccount, *, by=None, source: str | None = None) -> None:
    _record_delete(account, by=by, source=source)


def filer_delete(filer: Filer, *, by=None, source: str | None = None) -> None:
    """Delete a filer and their CM/ECF accounts."""
    _record_delete(filer, by=by, source=source)


def pacer_account_delete(pacer: PacerAccount, *, by=None, source: str | None = None) -> None:
    """Delete a PACER account; its filers are left with none."""
    _record_delete(pacer, by=by, source=source)


# --- Bulk writes (admin actions over a whole selection, "select all N matching" included) -----------

@dataclass
class BulkResult:
    """What a bulk write did: rows changed, and rows left alone counted by the reason (a readiness state)."""

    changed: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    court_ids: list[int] = field(default_factory=list)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())


def _selection(queryset: QuerySet[CmecfAccount]) -> QuerySet[CmecfAccount]:
    """The accounts of `queryset` (the admin's "all N matching", filters and search included) as a
    plain queryset the bulk services can add conditions to.

    The admin's queryset is used as it is when it can be: one scan with its own filters. Only a
    queryset that cannot take more conditions or a row lock (sliced, DISTINCT, grouped, a union)
    becomes `pk IN (…)`, which PostgreSQL plans as a second pass over the table.
    """
    query = queryset.query
    if query.is_sliced or query.distinct or query.combinator or query.group_by is not None:
        return CmecfAccount.objects.filter(pk__in=queryset.order_by().values("pk"))
    return queryset.order_by()


@transaction.atomic
def cmecf_accounts_mark_linked(
    queryset: QuerySet[CmecfAccount], linked_at: dt.datetime, *, by=None, source: str | None = None
) -> BulkResult:
    """Record a link for every account in `queryset` that is ready at `linked_at`; the set-based
    equivalent of `cmecf_account_link`, in a fixed number of queries whatever the selection size.

    Steps: refuse a `linked_at` in the future or before the go-live of a selected court marked live
    (ValidationError on "linked_at", worded as the link report import words it); the courts live at
    `linked_at` (one small query); the selection counted by readiness at that instant (one grouped
    query) — everything not `ready` is skipped and reported by state; then the write (`_bulk_set`),
    which checks readiness again on the locked rows; then the stored counts of the courts touched
    are recounted after commit.
    """
    from courts.models import GoLive, GoLiveStatus
    from courts.selectors import court_ids_live, rollout_current

    if linked_at > timezone.now():
        raise ValidationError({"linked_at": f"link date {linked_at.date()} is in the future"})
    selection = _selection(queryset)
    rollout = rollout_current()
    # Readiness at `linked_at` would only skip these accounts as waiting; a date before a live court's
    # go-live is a mistyped date, so it is refused as the link report import refuses it, naming the
    # court. (A court only scheduled then is a different matter: its accounts are skipped as waiting.)
    early = list(
        GoLive.objects.filter(rollout=rollout, status=GoLiveStatus.LIVE, live_at__gt=linked_at,
                              court__in=selection.values("court_id"))
        .select_related("court").order_by("court__court_id")
    )
    if early:
        court = early[0].court
        try:
            day = linked_at.astimezone(court.tzinfo).date()
        except OverflowError:  # year 1 or 9999 moved across a zone: the date as given
            day = linked_at.date()
        if len(early) == 1 and not selection.exclude(court_id=court.pk).exists():
            message = f"link date {day} is before the court's go-live ({early[0].go_live_date})"
        else:  # a selection across courts: say which
            dates = ", ".join(f"{g.court.court_id} ({g.go_live_date})" for g in early)
            message = f"link date {day} is before the go-live of {dates}"
        raise ValidationError({"linked_at": message})
    live = court_ids_live(linked_at, rollout)
    by_state = dict(
        selection.annotate(link_readiness=readiness_expression(live)).order_by()
        .values("link_readiness").annotate(n=Count("id")).values_list("link_readiness", "n")
    )
    result = BulkResult(skipped={state: n for state, n in by_state.items() if state != Readiness.READY and n})
    if not by_state.get(Readiness.READY):
        return result
    return _bulk_set(selection.filter(ready_to_link_q(live)), "linked_at", linked_at, result, by=by, source=source)


@transaction.atomic
def cmecf_accounts_set_name_review(
    queryset: QuerySet[CmecfAccount], review: str, *, by=None, source: str | None = None,
    only_from: str | None = None,
) -> BulkResult:
    """Set the help desk's name review on every unlinked account of `queryset` (fixed number of queries).

    Linked accounts are skipped (state "linked"), and so are accounts already at `review`
    ("unchanged"); with `only_from`, accounts whose review is anything else are skipped ("other").
    """
    if review not in NameReview.values:
        raise ValueError(f"Unknown name review {review!r}")
    selection = _selection(queryset)
    kind = Case(
        When(linked_at__isnull=False, then=Value(Readiness.LINKED)),
        When(name_review=review, then=Value("unchanged")),
        *([When(~Q(name_review=only_from), then=Value("other"))] if only_from is not None else []),
        default=Value("change"),
        output_field=CharField(),
    )
    by_kind = dict(selection.annotate(kind=kind).order_by().values("kind").annotate(n=Count("id")).values_list("kind", "n"))
    result = BulkResult(skipped={k: n for k, n in by_kind.items() if k != "change" and n})
    if not by_kind.get("change"):
        return result
    # The "change" branch of `kind` as plain conditions (name_review is NOT NULL), which the planner
    # can estimate and the row lock can re-check.
    change = Q(linked_at__isnull=True) & ~Q(name_review=review)
    if only_from is not None:
        change &= Q(name_review=only_from)
    return _bulk_set(selection.filter(change), "name_review", review, result, by=by, source=source)


def _bulk_set(target: QuerySet[CmecfAccount], field: str, value, result: "BulkResult", *, by, source) -> "BulkResult":
    """The set-based write every bulk account service ends with, in a fixed number of queries:
    set `field` to `value` on every row of `target`, audit old → new for each, and recount the
    courts touched after commit.

    On PostgreSQL this is one statement (`audit_update_queryset`): the target rows are locked
    and re-checked (SELECT … FOR UPDATE), updated, and their old values go into the audit trail,
    so nothing can change a row between reading its old value and replacing it. Elsewhere
    (SQLite, which has no data-modifying CTEs and locks the whole database for a write anyway):
    the courts touched (one query), one INSERT … SELECT into the trail, one UPDATE.
    """
    if connection.vendor == "postgresql":
        by_court = audit_update_queryset(target, field, value, by=by, source=source)
        result.court_ids = sorted(by_court)
        result.changed = sum(by_court.values())
    else:
        result.court_ids = list(target.order_by().values_list("court_id", flat=True).distinct())
        audit_record_queryset(target, field, old=F(field), new=value, by=by, source=source)
        result.changed = CmecfAccount.objects.filter(pk__in=target.values("pk")).update(
            **{field: value, "updated_at": timezone.now()}
        )
    court_counts_touch(result.court_ids)
    return result


def user_preference_set_time_zone(user, time_zone: str):
    """Keep the user's own time zone (empty = the site's); validated as an IANA zone."""
    from accounts.models import UserPreference

    preference, _ = UserPreference.objects.get_or_create(user=user)
    preference.time_zone = time_zone
    preference.full_clean(exclude=["user"])
    preference.save(update_fields=["time_zone"])
    return preference


# --- Court administrators ------------------------------------------------------------------------
# Court administrators: creating or updating one, and the email that lets them set a password.
#
# A court administrator is an active staff user in the "Court administrators" group
# (accounts.permissions) with one CourtAdministrator row per court they administer; the admin and
# every page confine them to those courts. No password is chosen for them: they get a link to set
# their own (Django's password-reset token: signed, single-use, valid PASSWORD_RESET_TIMEOUT).
#
# Steps of `court_administrator_save`:
# 1. Check the email and name, and that every court id names a court (nothing changes otherwise).
# 2. Find the user by email (case-insensitive; username = the email) or create one with no usable
#    password; set the name, staff, active; add the group.
# 3. Add a CourtAdministrator row for each court not already assigned (assignments to other courts
#    are kept: removing one is done in the admin).

@dataclass
class AdministratorSaved:
    user: object
    created: bool
    courts_added: list[str]


@transaction.atomic
def court_administrator_save(*, email: str, name: str, court_ids: list[str]) -> AdministratorSaved:
    """Make (or update) the staff account of `email` a court administrator of `court_ids`.

    Refused, naming why: an address that is not one, or longer than a username holds; no name; an
    unknown court; an address two accounts share. A deactivated account found by the address is
    taken back without its old password, security keys, authenticator apps or single sign-on link:
    whoever holds the address now sets them afresh (the invitation's link).
    """
    from courts.models import Court

    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(f"{email!r} is not an email address.") from None
    if len(email) > 150:  # it is the new account's username too, and Django's username holds 150
        raise ValidationError(f"The address is {len(email)} characters long; at most 150 are taken.")
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError("A name is required.")
    wanted = [court_id.strip().upper() for court_id in court_ids if court_id.strip()]
    if not wanted:
        raise ValidationError("Name at least one court (its court id, e.g. MTDC).")
    courts = {court.court_id: court for court in Court.objects.filter(court_id__in=wanted)}
    unknown = [court_id for court_id in wanted if court_id not in courts]
    if unknown:
        raise ValidationError(f"No court with the id {', '.join(unknown)}.")

    User = get_user_model()
    holders = list(User.objects.filter(email__iexact=email).order_by("pk")[:2])
    if len(holders) > 1:  # which one was meant cannot be told; courts must not go to the wrong one
        raise ValidationError(f"Two accounts have the address {email}: {holders[0].username} and "
                              f"{holders[1].username}. Give one of them another address first.")
    user = holders[0] if holders else User.objects.filter(username__iexact=email).first()
    created = user is None
    if created:
        user = User(username=email, email=email)
        user.set_unusable_password()
    elif not user.is_active:
        _user_forget_credentials(user)
    first, _, last = name.partition(" ")
    user.first_name, user.last_name = first[:150], last[:150]
    user.email = email
    user.is_staff = True
    user.is_active = True
    user.save()
    user.groups.add(court_administrators_grant({}))  # the group (its permissions come with migrate)
    assigned = set(CourtAdministrator.objects.filter(user=user).values_list("court__court_id", flat=True))
    added = [court_id for court_id in wanted if court_id not in assigned]
    CourtAdministrator.objects.bulk_create([CourtAdministrator(user=user, court=courts[c]) for c in added])
    return AdministratorSaved(user=user, created=created, courts_added=added)


def _user_forget_credentials(user) -> None:
    from allauth.mfa.models import Authenticator
    from allauth.socialaccount.models import SocialAccount

    user.set_unusable_password()
    Authenticator.objects.filter(user=user).delete()
    SocialAccount.objects.filter(user=user).delete()


def user_set_password_url(user) -> str:
    """The link to Django's password-reset confirmation page for `user`, on SITE_URL."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.SITE_URL + reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})


def court_administrator_send_invitation(user) -> str:
    """Email `user` the set-password link (with SSO_ONLY, how to sign in by single sign-on instead: a
    password would be refused); returns the address. Refused when the user has no email."""
    if not user.email:
        raise ValidationError("This user has no email address.")
    courts = ", ".join(sorted(CourtAdministrator.objects.filter(user=user).values_list("court__name", flat=True)))
    greeting = (f"Hello {user.get_full_name() or user.email},\n\n"
                f"You are a court administrator in the NextGen CM/ECF rollout tracker for: {courts or 'no court yet'}.\n\n")
    if settings.SSO_ONLY and not user.is_superuser:  # a password would be refused: say how to sign in instead
        body = greeting + (
            f"Sign in at {settings.SITE_URL}{reverse('login')} with {settings.SSO_PROVIDER_NAME} (single sign-on), "
            f"as {user.email}. No password is needed for the tracker.\n\n"
            "If you did not expect this message, tell your rollout coordinator.\n")
    else:
        days = max(1, round(settings.PASSWORD_RESET_TIMEOUT / 86400))
        body = greeting + (
            f"Set your password here (the link works once, for {days} day{'s' if days != 1 else ''}):\n"
            f"{user_set_password_url(user)}\n\n"
            f"Then log in at {settings.SITE_URL}{reverse('login')} with your user name: {user.get_username()}\n\n"
            "If you did not expect this message, you can ignore it: nothing changes until the link is used.\n")
    message = EmailMessage("Your NextGen CM/ECF rollout tracker account", body, settings.DEFAULT_FROM_EMAIL, [user.email],
                           headers={"Message-ID": make_msgid(domain=settings.NOTICES_MESSAGE_ID_DOMAIN or None)})
    message.send()
    return user.email
