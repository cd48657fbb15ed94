"""The few emails the filer's pages send: a new status link, an address confirmation, the old address told."""
from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

from rollout.signed_links import email_change_token, email_undo_token, status_url

log = logging.getLogger(__name__)


def _send(template: str, to: str, context: dict) -> bool:
    """Send one plain-text email; a failure is logged, never shown (the page says the same either way)."""
    subject, _, body = render_to_string(f"filers/email/{template}.txt", context).partition("\n")
    try:
        EmailMessage(subject.strip(), body.lstrip("\n"), settings.DEFAULT_FROM_EMAIL, [to],
                     headers={"Auto-Submitted": "auto-generated"}).send()
        return True
    except Exception as exc:  # SMTP down: the filer can ask again; nothing else depends on it
        log.warning("filer email %s to %s failed: %s", template, to, exc)
        return False


def send_status_link(filer) -> bool:
    return _send("status_link", filer.email, {"name": filer.name, "url": status_url(filer.pk, filer.email, filer.email_changes),
                                              "days": settings.FILERS_LINK_MAX_AGE_DAYS})


def send_email_confirm(filer, new_email: str) -> bool:
    path = reverse("filers:email_confirm", args=[email_change_token(filer.pk, filer.email, new_email, filer.email_changes)])
    return _send("email_confirm", new_email, {"name": filer.name, "url": f"{settings.SITE_URL}{path}",
                                              "hours": settings.FILERS_EMAIL_CONFIRM_MAX_AGE_HOURS})


def send_email_changed(filer, old_email: str) -> bool:
    """Tell the old address, with a link that puts it back (FILERS_EMAIL_UNDO_DAYS)."""
    path = reverse("filers:email_undo", args=[email_undo_token(filer.pk, old_email, filer.email, filer.email_changes)])
    return _send("email_changed", old_email, {"name": filer.name, "new_email": filer.email,
                                              "undo_url": f"{settings.SITE_URL}{path}",
                                              "days": settings.FILERS_EMAIL_UNDO_DAYS})
