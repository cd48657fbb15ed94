"""Signed, expiring unsubscribe tokens: they act without login, so they carry only ids, a tag of the
address they were sent to, and a signature. The tag binds a token to that address: once the filer's
address changes, every link sent to the old one is void."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac
from django.urls import reverse

SALT = "rollout.notices.unsubscribe"


def address_tag(email: str) -> str:
    """A keyed digest of the address (not the address: the link shows in logs and the mail)."""
    return salted_hmac(SALT, (email or "").strip().lower()).hexdigest()[:16]


def unsubscribe_token(filer_id: int, court_id: int, email: str) -> str:
    return signing.TimestampSigner(salt=SALT).sign_object({"f": int(filer_id), "c": int(court_id), "e": address_tag(email)})


def unsubscribe_token_read(token: str) -> tuple[int, int, str]:
    """(filer id, court id, address tag); raises signing.BadSignature (or SignatureExpired) for a
    bad or old token. Check the tag against the filer's address with `address_tag_matches`."""
    max_age = dt.timedelta(days=settings.NOTICES_UNSUBSCRIBE_MAX_AGE_DAYS)
    data = signing.TimestampSigner(salt=SALT).unsign_object(token, max_age=max_age)
    try:
        return int(data["f"]), int(data["c"]), str(data["e"])
    except (KeyError, TypeError, ValueError):
        raise signing.BadSignature("Malformed unsubscribe token") from None


def address_tag_matches(tag: str, email: str) -> bool:
    return constant_time_compare(tag, address_tag(email))


def unsubscribe_url(filer_id: int, court_id: int, email: str) -> str:
    path = reverse("notice_unsubscribe", args=[unsubscribe_token(filer_id, court_id, email)])
    return f"{settings.SITE_URL}{path}"
