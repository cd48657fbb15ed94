"""Filers, their PACER accounts, their CM/ECF accounts at each court, and court administrators.

No password of any kind is held here, or anywhere in the tracker: only logins. Linking is done
by the filer on the court's own CM/ECF site; the tracker records that it happened.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

from django.conf import settings
from django.db import models
from django.utils import timezone

from courts.models import Court, validate_time_zone

# Individual PACER accounts created before this date are "legacy" and must be upgraded before they
# can be linked (PACER's NextGen requirement).
LEGACY_CUTOFF = dt.date(2014, 8, 11)


# The length of the name_key columns (PacerAccount, CmecfAccount), which hold `normalize_name`.
NAME_KEY_LENGTH = 200


def normalize_name(name: str) -> str:
    """The key two names are compared on: case, accents, punctuation and spacing do not count.

    Cut to NAME_KEY_LENGTH: some characters grow under NFKD and upper-casing ("ﷺ" is 18 characters,
    "ß" becomes "SS"), so the key of a name that fits its 200-character column may not. The key is
    only compared (never turned back into a name), and every key is cut the same way, so cutting
    it is safe: at worst two such names that agree on their first 200 key characters compare equal."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^\w\s]", " ", text.upper())
    return " ".join(text.split())[:NAME_KEY_LENGTH]


# Words that say nothing about who a person is: generational suffixes and the lawyer's "Esq.".
NAME_SUFFIXES = frozenset({"JR", "SR", "II", "III", "IV", "ESQ", "ESQUIRE"})


def identity_key(name: str) -> str:
    """The key on which two records of one email (or one PACER account) are judged the same person:
    `normalize_name` (case, accents, punctuation, spacing do not count), apostrophes joined
    (O'Brien = OBrien), and suffixes (`NAME_SUFFIXES`) and one-letter words (middle initials) left out.
    Full words must agree, in order: "Jane Q. Doe, Jr." = "jane doe", but "Jane Quinn Doe" ≠ "Jane Doe"."""
    words = normalize_name(re.sub(r"['’`]", "", name or "")).split()
    kept = [w for w in words if len(w) > 1 and w not in NAME_SUFFIXES]
    return " ".join(kept or words)


def identity_agrees(name: str, other: str) -> bool:
    return identity_key(name) == identity_key(other)


class PacerAccountType(models.TextChoices):
    INDIVIDUAL = "individual", "Individual"
    SHARED = "shared", "Shared firm account"


class PacerAccount(models.Model):
    """A PACER account a filer uses: their own individual account, or a firm's shared one."""

    # Unique through Meta.constraints, not unique=True: on PostgreSQL Django pairs a unique CharField
    # with a second, case-sensitive LIKE index that no search uses (the admin searches through the
    # upper-case prefix index of migration 0004), and every index is one more write per imported row.
    username = models.CharField(max_length=80, help_text="PACER username (the login only; no secret is ever kept).")
    account_type = models.CharField(
        max_length=16, choices=PacerAccountType.choices, default=PacerAccountType.INDIVIDUAL,
        help_text="The holder's own account, or a firm's account shared by several filers (never to be linked to a CM/ECF login).",
    )
    holder_name = models.CharField(
        max_length=200, blank=True, help_text="Name on the account; for a shared account, the firm."
    )
    name_key = models.CharField(max_length=200, blank=True, editable=False, help_text="normalize_name(holder_name).")
    created_on = models.DateField(
        null=True, blank=True, help_text="When PACER created the account; before 2014-08-11 means legacy."
    )
    upgraded = models.BooleanField(
        default=False, help_text="A legacy account the holder has upgraded (accounts from 2014-08-11 on need none)."
    )
    upgrade_reported_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When the holder told us (on their status page) they upgraded; cleared when staff or a roster confirm it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "PACER account"
        constraints = [models.UniqueConstraint(fields=["username"], name="pacer_username_unique")]
        # Shared firm accounts are the few worth finding by type (the admin's filter); individual ones
        # are nearly every row, read by scanning, so they stay out of the index and cost no write.
        indexes = [
            models.Index(fields=["account_type"], name="pacer_shared", condition=models.Q(account_type="shared")),
            # The few accounts whose holder reported an upgrade, for the roster that settles them:
            # partial, so it holds only those rows and costs the imports nothing.
            models.Index(fields=["upgrade_reported_at"], name="pacer_upgrade_reported",
                         condition=models.Q(upgrade_reported_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.username

    def save(self, *args, **kwargs):
        self.name_key = normalize_name(self.holder_name)
        super().save(*args, **kwargs)

    @property
    def is_shared(self) -> bool:
        return self.account_type == PacerAccountType.SHARED

    @property
    def is_legacy(self) -> bool:
        """Individual, created before the cutoff (or on an unknown date) and not upgraded."""
        return (
            not self.is_shared
            and not self.upgraded
            and (self.created_on is None or self.created_on < LEGACY_CUTOFF)
        )


class Filer(models.Model):
    """A person registered to file electronically at one or more courts."""

    name = models.CharField(max_length=200)
    # Unique through Meta.constraints, for the reason given on PacerAccount.username.
    email = models.EmailField(help_text="Where notices go; stored in lower case.")
    pacer_account = models.ForeignKey(
        PacerAccount,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="filers",
        help_text="The PACER account the filer uses; none means they must register an individual one.",
    )
    # Counts the filer's own address changes: an address-change or undo link carries the count it was
    # made at, so once used (or overtaken) it is spent, even when an undo puts the address back.
    email_changes = models.PositiveIntegerField(default=0, db_default=0, editable=False)  # the roster inserts in SQL
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["email"], name="filer_email_unique")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)


class NameReview(models.TextChoices):
    AUTOMATIC = "", "Compared automatically"
    FLAGGED = "flagged", "Flagged: names do not match"
    VERIFIED = "verified", "Verified: same person"


class CmecfAccount(models.Model):
    """A filer's legacy CM/ECF login at one court, and whether it has been linked to PACER."""

    # Indexed by (filer, court) in Meta: every filer look-up, and the court page's search by filer
    # answered from the index alone (a filer's accounts at one court), for the same writes as filer alone.
    filer = models.ForeignKey(Filer, on_delete=models.CASCADE, related_name="cmecf_accounts", db_index=False)
    # No index of its own: the (court, login) and (court, linked_at) indexes lead with the court,
    # and every index less is one write less per row in a bulk update.
    court = models.ForeignKey(Court, on_delete=models.PROTECT, related_name="cmecf_accounts", db_index=False)
    login = models.CharField(max_length=80, help_text="The court-issued CM/ECF login, e.g. attornjq (the login only; no secret is ever kept).")
    cmecf_name = models.CharField(max_length=200, help_text="The filer's name as CM/ECF holds it.")
    name_key = models.CharField(max_length=200, blank=True, editable=False, help_text="normalize_name(cmecf_name).")
    name_review = models.CharField(
        max_length=16,
        choices=NameReview.choices,
        default=NameReview.AUTOMATIC,
        blank=True,
        help_text="The help desk's call on the CM/ECF vs PACER names, when the automatic comparison is not enough.",
    )
    # Read per court through the (court, linked_at) index; a second index on linked_at alone would
    # only slow every link written.
    linked_at = models.DateTimeField(
        null=True, blank=True, help_text="When the login was linked to PACER; after it the login is retired."
    )
    # Not a readiness state: readiness follows what the court confirmed. A self-report is shown beside
    # it, counted apart, and pauses reminders until the next link report confirms or clears it.
    link_reported_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When the filer said (on their status page) they linked this login; unconfirmed until a link report.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "CM/ECF account"
        ordering = ["court", "login"]
        constraints = [models.UniqueConstraint(fields=["court", "login"], name="one_cmecf_login_per_court")]
        indexes = [
            models.Index(fields=["court", "linked_at"], name="cmecf_court_linked"),
            models.Index(fields=["filer", "court"], name="cmecf_filer_court"),
            # Self-reported links per court, for the link report that settles them: partial, so only
            # the few reported rows are in it.
            models.Index(fields=["court"], name="cmecf_link_reported", condition=models.Q(link_reported_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.login} @ {self.court.court_id}"

    def save(self, *args, **kwargs):
        self.name_key = normalize_name(self.cmecf_name)
        super().save(*args, **kwargs)

    @property
    def is_linked(self) -> bool:
        return self.linked_at is not None

    @property
    def login_retired(self) -> bool:
        """Once linked, the old CM/ECF login no longer opens the court's filing system."""
        return self.is_linked


class CourtAdministrator(models.Model):
    """A staff user who administers a court: they see and change only their courts' records."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="court_assignments")
    court = models.ForeignKey(Court, on_delete=models.CASCADE, related_name="administrators")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "court"], name="one_assignment_per_user_and_court")]

    def __str__(self) -> str:
        return f"{self.user} administers {self.court.court_id}"


class CourtReadinessCount(models.Model):
    """Stored per-court counts of CM/ECF accounts by readiness, so dashboards never count a million rows.

    Kept current by `accounts.counts.court_counts_refresh`, which every write service schedules for
    the courts it touched. `clear` holds accounts with nothing left to fix: they are "waiting" or
    "ready" depending on whether the court is live, which is decided when the counts are read.
    """

    court = models.OneToOneField(Court, on_delete=models.CASCADE, related_name="readiness_count", primary_key=True)
    total = models.PositiveIntegerField(default=0)
    no_pacer = models.PositiveIntegerField(default=0)
    shared = models.PositiveIntegerField(default=0)
    legacy = models.PositiveIntegerField(default=0)
    name_mismatch = models.PositiveIntegerField(default=0)
    clear = models.PositiveIntegerField(default=0, help_text="Nothing to fix: waiting before go-live, ready after.")
    linked = models.PositiveIntegerField(default=0)
    link_reported = models.PositiveIntegerField(
        default=0, help_text="Not linked by the court's records, but the filer reported linking (unconfirmed)."
    )
    upgrade_reported = models.PositiveIntegerField(
        default=0, help_text="Legacy by the records, but the filer reported upgrading their PACER account (unconfirmed)."
    )
    refreshed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.court_id}: {self.linked}/{self.total} linked"


class AuditEntry(models.Model):
    """One recorded change of one field: who (a user, an import file, a filer's report), when, old and new.

    Written by the services in `accounts.audit` — one row per change, in bulk with INSERT … SELECT
    when an action touches many rows. Go-live changes keep their own history (`courts.GoLiveChange`).

    Built for bulk appends (an admin action writes 100,000 entries in one statement):
    - its foreign keys have no database constraint: each would cost a deferred check per row at
      commit, and every value written comes from rows that already
      satisfy them. Django still applies `on_delete` (SET_NULL, PROTECT) when a user, court or
      content type is deleted through the ORM, and a history row naming a court id that no longer
      exists is still a true record;
    - it has only the indexes its reads use: by date (the list's order and date filter), by record
      (the account page), by court (scoping), by user and by source (the "who" filters).
      Field is a filter over two or three values, so an index on it would never be chosen.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True, help_text="When the change was made.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_constraint=False, help_text="The user who made the change, when a user did.",
    )
    source = models.CharField(
        max_length=120, blank=True,
        help_text="What made the change: admin, an import file (e.g. import roster.csv), filer report.",
    )
    court = models.ForeignKey(
        Court, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False,
        help_text="The court of the changed record, for scoping and filtering.",
    )
    # Indexed only as the first column of audit_object.
    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    object_id = models.PositiveBigIntegerField(help_text="Primary key of the changed record.")
    object_repr = models.CharField(max_length=200, blank=True, help_text="The record as it read when changed.")
    field = models.CharField(max_length=64, help_text="The changed field, e.g. linked_at, name_review.")
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)

    class Meta:
        verbose_name = "audit entry"
        verbose_name_plural = "audit trail"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="audit_object"),
            # A plain index: the admin's search on source is case-insensitive, so a LIKE index is no use.
            models.Index(fields=["source"], name="audit_source"),
        ]

    def __str__(self) -> str:
        return f"{self.object_repr}: {self.field} {self.old_value or '—'} → {self.new_value or '—'}"

    @property
    def who(self) -> str:
        """The user, and the file when a user's import made the change ("montana (import roster.csv)")."""
        if not self.user_id:
            return self.source or "—"
        if self.source and self.source != "admin":
            return f"{self.user} ({self.source})"
        return str(self.user)


class UserPreference(models.Model):
    """A user's own settings: the time zone of times not tied to one court (a court's times follow the court)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference")
    time_zone = models.CharField(
        max_length=64, blank=True, validators=[validate_time_zone],
        help_text="IANA time zone, e.g. America/Denver; empty = the site's (TIME_ZONE).",
    )

    def __str__(self) -> str:
        return f"{self.user}: {self.time_zone or 'site time zone'}"


# Filers' help requests: one filer's request for help with one CM/ECF login, for that login's court.

class HelpReason(models.TextChoices):
    NAMES = "names", "The names on my CM/ECF and PACER accounts don't match"
    FORGOT_LOGIN = "forgot_login", "I forgot my CM/ECF login"
    PACER_ACCOUNT = "pacer_account", "I cannot get or upgrade a PACER account"
    OTHER = "other", "Something else"


class HelpStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    RESOLVED = "resolved", "Resolved"


class HelpRequest(models.Model):
    """A filer's request for help with one CM/ECF login, for that login's court's help desk.

    Written only through `accounts.self_service` (each change of status, assignee or notes is an
    AuditEntry); listed in the admin's help queue, scoped to the administrator's courts.
    """

    court = models.ForeignKey(Court, on_delete=models.CASCADE, related_name="help_requests", db_index=False)
    account = models.ForeignKey(CmecfAccount, on_delete=models.CASCADE, related_name="help_requests")
    reason = models.CharField(max_length=16, choices=HelpReason.choices)
    text = models.TextField(blank=True, max_length=2000, help_text="What the filer wrote (always for \"something else\").")
    status = models.CharField(max_length=12, choices=HelpStatus.choices, default=HelpStatus.OPEN)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The staff member handling it.",
    )
    notes = models.TextField(blank=True, help_text="Staff notes (never shown to the filer).")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "help request"
        ordering = ["-created_at", "-id"]
        # The queue per court by status and age; the court page's "open, oldest" reads its head.
        indexes = [models.Index(fields=["court", "status", "created_at"], name="help_court_status_age")]

    def __str__(self) -> str:
        return f"Help #{self.pk}: {self.get_reason_display()} ({self.account})"
