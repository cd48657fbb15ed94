"""Notice records: one delivery row per (filer, court, notice), editable templates, unsubscribes, digests.

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


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


FINAL_STATES = (DeliveryState.SENT, DeliveryState.FAILED, DeliveryState.SKIPPED)


class NoticeDelivery(models.Model):
    """One message to one filer about one court: the unit of "once per recipient".

    `notice` is the occurrence key that makes each distinct message unique per filer and court:
    "prepare", "golive", "reminder_7" (one per reminder day), "reminder_manual_2026-11-23" (an
    administrator's send-now, at most one a day), "date_changed_<GoLiveChange id>".
    """

    # Few indexes on purpose: each change of `state` (claim, then sent, per chunk) writes a new
    # entry in every index whose predicate the row matches. filer and court are covered by the
    # composite indexes below; golive and change are only used by rare cascades. The per-email
    # record goes to the narrow `NoticeSent` instead of this row.
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

    class Meta:
        verbose_name = "notice delivery"
        verbose_name_plural = "notice deliveries"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["filer", "court", "notice"], name="one_delivery_per_filer_court_notice")
        ]
        indexes = [
            # Partial: a row leaves them once sent, so the per-email UPDATE does not touch them.
            models.Index(fields=["queued_at"], condition=Q(state="pending"), name="notice_pending_queued"),
            models.Index(fields=["claimed_at"], condition=Q(state="sending"), name="notice_sending_claimed"),
            models.Index(fields=["court", "notice", "state"], name="notice_court_notice_state"),
            # The overview's "last announcement" per court: a backward scan per court, not a GROUP BY.
            models.Index(fields=["court", "-sent_at"], condition=Q(state="sent"), name="notice_court_last_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.notice} to filer {self.filer_id} @ court {self.court_id}: {self.state}"


class NoticeSent(models.Model):
    """The send log: one row per message the SMTP server accepted, written at once, folded later.

    Each accepted message is recorded here with one INSERT (its own commit) before the next message
    can be accepted; `sending.deliveries_fold_sent` then marks the chunk's rows sent in one UPDATE …
    FROM and deletes what it folded, and the sweeper folds a dead sender's rows before reclaiming
    anything, so a recorded send is marked sent, never sent again.

    Why a table of its own: updating the NoticeDelivery row per email rewrote a wide row and an
    entry in each of its indexes (the state changes, so no HOT update) once per message; this row
    is narrow, append-only, with the primary key as its only index. `delivery_id` is deliberately
    not a foreign key: the check would look up and share-lock the delivery row on every insert,
    the per-message cost this table is here to avoid (a row whose delivery is gone is deleted by
    the sweeper). The table only holds the messages of chunks in flight (or of a dead sender).
    """

    delivery_id = models.BigIntegerField(primary_key=True, help_text="The NoticeDelivery whose message was accepted.")
    message_id = models.CharField(max_length=255)
    sent_at = models.DateTimeField()

    class Meta:
        verbose_name = "accepted notice (not yet folded)"
        verbose_name_plural = "accepted notices (not yet folded)"

    def __str__(self) -> str:
        return f"delivery {self.delivery_id} accepted at {self.sent_at:%Y-%m-%d %H:%M:%S}"


class NoticeTemplate(models.Model):
    """Subject, text and HTML body of one kind of notice, for one court or (court empty) the default.

    Bodies are Django template source rendered with a small, fixed context of plain values (see
    `rollout.notices.rendering.CONTEXT_HELP`); HTML is autoescaped. With no row, the files under
    `templates/notices/` are used.
    """

    court = models.ForeignKey(
        "courts.Court", null=True, blank=True, on_delete=models.CASCADE, related_name="notice_templates",
        help_text="Empty: the default for every court without its own.",
    )
    kind = models.CharField(max_length=16, choices=NoticeKind.choices)
    subject = models.CharField(max_length=255, help_text="Template source for the subject line (one line).")
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

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "week"], name="one_digest_per_user_week")]

    def __str__(self) -> str:
        return f"digest {self.week} for {self.user}: {self.state}"
