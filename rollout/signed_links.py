"""Tokens for links that act without a login: signed (SECRET_KEY), purpose-bound (a salt per
purpose, so a token made for one cannot open another), expiring, and carrying ids and keyed digests
of addresses, except the address an address-change or undo link puts in place (signed, not
secret: the link goes to that address or names it).

The status token also carries a short digest of the filer's address when it was made: once the
address changes, links sent to the old one stop working. It carries the filer's address-change count
too: an undo puts the old address back, but not the links made before the change it undoes (whoever
made that change held one of them). Address-change and undo tokens also carry the count, so each
works once: after it is used, or after any later change (an undo that puts the old address back
included), it is spent.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib

from django.conf import settings
from django.core import signing
from django.urls import reverse

STATUS_SALT = "rollout.filers.status"
EMAIL_SALT = "rollout.filers.email-change"
EMAIL_UNDO_SALT = "rollout.filers.email-undo"


class TokenRefused(Exception):
    """`expired` tells an old link from one that was never valid (edited, other purpose)."""

    def __init__(self, expired: bool):
        self.expired = expired
        super().__init__("expired" if expired else "invalid")


def email_tag(email: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{email.strip().lower()}".encode()).hexdigest()[:16]


def _read(token: str, salt: str, max_age: dt.timedelta) -> dict:
    try:
        data = signing.TimestampSigner(salt=salt).unsign_object(token, max_age=max_age)
    except signing.SignatureExpired:
        raise TokenRefused(expired=True) from None
    except (signing.BadSignature, ValueError, TypeError):
        raise TokenRefused(expired=False) from None
    if not isinstance(data, dict):
        raise TokenRefused(expired=False)
    return data


def status_token(filer_id: int, email: str, changes: int = 0) -> str:
    """`changes`: the filer's address-change count now (0 for one who never changed it)."""
    return signing.TimestampSigner(salt=STATUS_SALT).sign_object(
        {"f": int(filer_id), "e": email_tag(email), "v": int(changes)})


def status_token_read(token: str) -> tuple[int, str, int]:
    """(filer id, address digest, change count); raises TokenRefused. A link made before links
    carried the count counts 0: it still works for a filer who never changed their address."""
    data = _read(token, STATUS_SALT, dt.timedelta(days=settings.FILERS_LINK_MAX_AGE_DAYS))
    try:
        return int(data["f"]), str(data["e"]), int(data.get("v", 0))
    except (KeyError, TypeError, ValueError):
        raise TokenRefused(expired=False) from None


@functools.lru_cache(maxsize=4)
def _status_url_parts(site_url: str) -> tuple[str, str]:
    """The link around the token, resolved once (a notice chunk makes hundreds of links)."""
    before, _, after = reverse("filers:status", args=["TOKEN"]).partition("TOKEN")
    return f"{site_url}{before}", after


def status_url(filer_id: int, email: str, changes: int) -> str:
    before, after = _status_url_parts(settings.SITE_URL)
    return f"{before}{status_token(filer_id, email, changes)}{after}"


def email_change_token(filer_id: int, old_email: str, new_email: str, changes: int) -> str:
    """`changes`: the filer's address-change count now; the link works only while it still is."""
    return signing.TimestampSigner(salt=EMAIL_SALT).sign_object(
        {"f": int(filer_id), "o": email_tag(old_email), "n": new_email.strip().lower(), "v": int(changes)})


def email_change_token_read(token: str) -> tuple[int, str, str, int]:
    """(filer id, digest of the address it replaces, new address, change count); raises TokenRefused."""
    data = _read(token, EMAIL_SALT, dt.timedelta(hours=settings.FILERS_EMAIL_CONFIRM_MAX_AGE_HOURS))
    try:
        return int(data["f"]), str(data["o"]), str(data["n"]), int(data["v"])
    except (KeyError, TypeError, ValueError):
        raise TokenRefused(expired=False) from None


def email_undo_token(filer_id: int, old_email: str, new_email: str, changes: int) -> str:
    """For the notice to the old address: puts it back, while the new one is still the filer's and
    no change came after it (`changes`, the count after the change it undoes)."""
    return signing.TimestampSigner(salt=EMAIL_UNDO_SALT).sign_object(
        {"f": int(filer_id), "o": old_email.strip().lower(), "n": email_tag(new_email), "v": int(changes)})


def email_undo_token_read(token: str) -> tuple[int, str, str, int]:
    """(filer id, the address to restore, digest of the address it replaces, change count);
    raises TokenRefused."""
    data = _read(token, EMAIL_UNDO_SALT, dt.timedelta(days=settings.FILERS_EMAIL_UNDO_DAYS))
    try:
        return int(data["f"]), str(data["o"]), str(data["n"]), int(data["v"])
    except (KeyError, TypeError, ValueError):
        raise TokenRefused(expired=False) from None
