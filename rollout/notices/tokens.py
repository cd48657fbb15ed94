"""Signed, expiring unsubscribe tokens: they act without login, so they carry only ids and a signature."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "rollout.notices.unsubscribe"


def unsubscribe_token(filer_id: int, court_id: int) -> str:
    return signing.TimestampSigner(salt=SALT).sign_object({"f": int(filer_id), "c": int(court_id)})


def unsubscribe_token_read(token: str) -> tuple[int, int]:
    """(filer id, court id); raises signing.BadSignature (or SignatureExpired) for a bad or old token."""
    max_age = dt.timedelta(days=settings.NOTICES_UNSUBSCRIBE_MAX_AGE_DAYS)
    data = signing.TimestampSigner(salt=SALT).unsign_object(token, max_age=max_age)
    try:
        return int(data["f"]), int(data["c"])
    except (KeyError, TypeError, ValueError):
        raise signing.BadSignature("Malformed unsubscribe token") from None


def unsubscribe_url(filer_id: int, court_id: int) -> str:
    path = reverse("notice_unsubscribe", args=[unsubscribe_token(filer_id, court_id)])
    return f"{settings.SITE_URL}{path}"
