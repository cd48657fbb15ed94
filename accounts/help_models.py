"""Filers' help requests: one filer's request for help with one CM/ECF login, for that login's court."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import CmecfAccount
from courts.models import Court


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
