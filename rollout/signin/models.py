from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class SignInEvent(models.Model):
    """One sign-in, failed sign-in, MFA change, re-authentication or sign-out of a staff account.

    Kept apart from `accounts.AuditEntry`, which records changed fields of court-bound records: a
    sign-in belongs to no court, and the log is shown to superusers only (it names every account).
    """

    class Kind(models.TextChoices):
        SIGNED_IN = "signed_in", "Signed in"
        SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
        SSO_REFUSED = "sso_refused", "Single sign-on refused"
        MFA_USED = "mfa_used", "Second factor used"
        MFA_FAILED = "mfa_failed", "Second factor failed"
        MFA_ADDED = "mfa_added", "Second factor added"
        MFA_REMOVED = "mfa_removed", "Second factor removed"
        MFA_RESET = "mfa_reset", "Recovery codes regenerated"
        REAUTHENTICATED = "reauthenticated", "Re-authenticated"
        SIGNED_OUT = "signed_out", "Signed out"
        SIGNED_OUT_EVERYWHERE = "signed_out_everywhere", "Signed out everywhere"
        SESSION_EXPIRED = "session_expired", "Session expired"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=32, choices=Kind.choices, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", help_text="The account, when it is known.")
    username = models.CharField(max_length=150, blank=True, help_text="The name given or the account's username.")
    method = models.CharField(max_length=40, blank=True, help_text="password, sso, webauthn, totp, recovery_codes…")
    address = models.GenericIPAddressField(null=True, blank=True, help_text="The client address (REMOTE_ADDR).")
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "sign-in event"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.username or self.user_id}"
