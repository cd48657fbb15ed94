"""Notice records: one delivery row per (filer, go-live, notice), editable templates, unsubscribes, digests.

The models belong to the `rollout` app (imported by `rollout/models.py`); see `rollout.notices` for
the design note on how a notice reaches each recipient once.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class NoticeKind(models.TextChoices):
    PREPARE = "prepare", "Prepare (before go-live)"
    GOLIVE = "golive", "Go-live announcement"
    REMINDER = "reminder", "Reminder to link"
    DATE_CHANGED = "date_changed", "Go-live date changed"
    BLACKOUT_CHANGED = "blackout_changed", "Filing pause changed"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"
    BOUNCED = "bounced", "Bounced"


FINAL_STATES = (DeliveryState.SENT, DeliveryState.FAILED, DeliveryState.SKIPPED, DeliveryState.BOUNCED)

# Why a row is held while its filer's address is undeliverable: the dispatch puts it back in the
# queue once the address is not (the filer gave a new one, or staff cleared the mark).
UNDELIVERABLE = "The filer's email address is undeliverable (it bounced); waiting for a new address."


class NoticeDelivery(models.Model):
    """One message to one filer about one court's go-live: the unit of "once per recipient".

    `notice` is the occurrence key that makes each distinct message unique per filer and go-live (a
    court has one go-live per rollout):
    "prepare", "golive", "reminder_7" (one per reminder day), "reminder_manual_2026-11-23" (an
    administrator's send-now, at most one a day), "date_changed_<GoLiveChange id>", "blackout_changed_<GoLiveChange id>".
    """

    # filer and court are covered by the composite indexes below; golive and change are only used
    # by rare cascades.
    filer = models.ForeignKey("accounts.Filer", on_delete=models.CASCADE, related_name="notice_deliveries",
                              db_index=False)
    court = models.ForeignKey("courts.Court", on_delete=models.CASCADE, related_name="notice_deliveries",
                              db_index=False)
    golive = models.ForeignKey("courts.GoLive", on_delete=models.CASCADE, related_name="notice_deliveries",
                               db_index=False)
    change = models.ForeignKey(
        "courts.GoLiveChange", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False,
        help_text="For a date-changed notice: the change it announces.",
    )
    told_as_of = models.ForeignKey(
        "courts.GoLiveChange", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False,
        help_text="For a sent notice: the go-live's last change when its facts were read, so what it told is "
                  "that change's outcome (empty: the go-live had no change yet).",
    )
    kind = models.CharField(max_length=16, choices=NoticeKind.choices)
    notice = models.CharField(max_length=48, help_text="Occurrence key: prepare, golive, reminder_7, date_changed_12 …")
    variant = models.CharField(
        max_length=16, blank=True, help_text="The recipient's readiness when the delivery was created."
    )
    state = models.CharField(max_length=8, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    skip_reason = models.CharField(max_length=200, blank=True, help_text="Why a skipped delivery was not sent.")
    attempts = models.PositiveSmallIntegerField(default=0, help_text="How many times a sender claimed the row.")
    reclaims = models.PositiveSmallIntegerField(
        default=0, help_text="Times the sweeper took the row back from a sender that stopped mid-chunk."
    )
    possible_duplicate = models.BooleanField(
        default=False, help_text="The message was in flight when its sender died: the server may have accepted "
        "it before the resend (same Message-ID). Kept after the resend.",
    )
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="A pending row is not published before this (retry after a 4xx reply).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False,
        help_text="The administrator who sent it now; empty when the schedule did.",
    )
    queued_at = models.DateTimeField(
        null=True, blank=True, help_text="When a send task for the row was published; empty = not yet."
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=200, blank=True, help_text="The send task run that claimed the row.")
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    message_id = models.CharField(max_length=255, blank=True, help_text="Message-ID header, derived from the row id.")
    bounced_at = models.DateTimeField(null=True, blank=True, help_text="When a bounce for the message was read.")

    class Meta:
        verbose_name = "notice delivery"
        verbose_name_plural = "notice deliveries"
        ordering = ["-id"]
        constraints = [
            # The go-live, not the court: a court's go-live in a later rollout has its own notices.
            models.UniqueConstraint(fields=["filer", "golive", "notice"], name="one_delivery_per_filer_golive_notice")
        ]
        indexes = [
            # Partial: a row leaves them once sent, so the per-email UPDATE does not touch them.
            models.Index(fields=["queued_at"], condition=Q(state="pending"), name="notice_pending_queued"),
            # The oldest due notice, per court and overall (stall flags, /healthz).
            models.Index(fields=["created_at"], condition=Q(state__in=["pending", "sending"]), name="notice_due_created"),
            # The sweeper's stale claims and the oldest claim still sending (/healthz). Partial, like
            # the two above: the "sent" UPDATE then adds no entry to it.
            models.Index(fields=["claimed_at"], condition=Q(state="sending"), name="notice_claimed_at"),
            models.Index(fields=["court", "notice", "state"], name="notice_court_notice_state"),
            # The overview's "last announcement" per court: a backward scan per court, not a GROUP BY.
            models.Index(fields=["court", "-sent_at"], condition=Q(state="sent"), name="notice_court_last_sent"),
            # The rows held for an undeliverable address, which each dispatch looks at: a few, among
            # millions.
            models.Index(fields=["filer"], condition=Q(state="skipped", skip_reason=UNDELIVERABLE),
                         name="notice_held_undeliverable"),
        ]

    def __str__(self) -> str:
        return f"{self.notice} to filer {self.filer_id} @ court {self.court_id}: {self.state}"


class BouncedAddress(models.Model):
    """An email address bounces came back for: permanent (undeliverable at once) or soft (counted).

    Keyed by the address, not the filer: notices stop going to an undeliverable address, and a filer
    whose address is changed to a new one gets notices again without anyone clearing a flag.
    """

    email = models.CharField(max_length=254, unique=True, help_text="Lower case, as filers' emails are stored.")
    undeliverable_at = models.DateTimeField(
        null=True, blank=True, help_text="Set: no more notices to this address (a permanent bounce, or "
        "NOTICES_SOFT_BOUNCE_LIMIT soft bounces in a row).",
    )
    soft_bounces = models.PositiveSmallIntegerField(default=0, help_text="Soft bounces in a row.")
    last_bounce_at = models.DateTimeField()
    last_delivery = models.ForeignKey(NoticeDelivery, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+", db_index=False)
    diagnostic = models.TextField(blank=True, help_text="What the last bounce said.")

    class Meta:
        verbose_name = "bounced address"
        verbose_name_plural = "bounced addresses"
        ordering = ["-last_bounce_at"]

    def __str__(self) -> str:
        # No count: the title shows on every court's pages, and the bounces may answer another court's notices.
        return f"{self.email}: {'undeliverable' if self.undeliverable_at else 'bounced'}"


class NoticeTemplate(models.Model):
    """Subject, text and HTML body of one kind of notice, for one court or (court empty) the default.

    Bodies are Django template source rendered with a small, fixed context of plain values (see
    `rollout.notices.rendering.CONTEXT_HELP`); HTML is autoescaped. With no row, the files under
    `rollout/templates/notices/` are used.
    """

    court = models.ForeignKey(
        "courts.Court", null=True, blank=True, on_delete=models.CASCADE, related_name="notice_templates",
        help_text="Empty: the default for every court without its own.",
    )
    kind = models.CharField(max_length=16, choices=NoticeKind.choices)
    # The source, not the line: the shipped defaults choose their wording with {% if %}, so the source
    # runs past the 255 characters a rendered subject keeps (cut at 250 when rendered).
    subject = models.CharField(max_length=2000, help_text="Template source for the subject line (rendered on one line).")
    text_body = models.TextField(help_text="Template source of the plain-text part.")
    html_body = models.TextField(help_text="Template source of the HTML part (autoescaped).")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["court__name", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["court", "kind"], name="one_notice_template_per_court_kind"),
            models.UniqueConstraint(fields=["kind"], condition=Q(court__isnull=True), name="one_default_notice_template"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.court.court_id if self.court_id else 'default'}"


class NoticeUnsubscribe(models.Model):
    """A filer who asked for no more reminders about one court (operational notices still go)."""

    filer = models.ForeignKey("accounts.Filer", on_delete=models.CASCADE, related_name="notice_unsubscribes")
    court = models.ForeignKey("courts.Court", on_delete=models.CASCADE, related_name="notice_unsubscribes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["filer", "court"], name="one_unsubscribe_per_filer_court")]

    def __str__(self) -> str:
        return f"filer {self.filer_id} unsubscribed from court {self.court_id} reminders"


class AdminDigest(models.Model):
    """The weekly progress email to one court administrator: one row per user and week."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_digests")
    week = models.DateField(help_text="Monday of the week the digest covers.")
    state = models.CharField(max_length=8, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    # db_default: the release still running while `migrate` adds the column inserts rows without it.
    possible_duplicate = models.BooleanField(
        default=False, db_default=False,
        help_text="Taken back from a sender that stopped while sending it: the server may have "
        "accepted it before the resend (same Message-ID). Kept after the resend.",
    )

    class Meta:
        verbose_name = "weekly digest"
        constraints = [models.UniqueConstraint(fields=["user", "week"], name="one_digest_per_user_week")]

    def __str__(self) -> str:
        return f"digest {self.week} for {self.user}: {self.state}"
