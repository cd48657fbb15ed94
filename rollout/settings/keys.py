"""Whether a SECRET_KEY is fit for production: production.py refuses to start with one that is not."""
from __future__ import annotations

import math
from collections import Counter

# Keys published as examples: the development default and the markers sample keys carry.
SAMPLE_SECRET_MARKERS = ("dev-only-insecure-key", "django-insecure-", "change-me", "changeme", "your-secret-key",
                         "secret-key-here", "replace-me")


def secret_key_problem(key: str) -> str | None:
    """Why `key` is unfit to sign sessions and links in production, or None.

    Refused: shorter than 50 characters (Django's own check); fewer than 12 different characters or
    under 200 bits by its character frequencies (Shannon), so a repeated or patterned string is caught
    while any generated key (`django.core.management.utils.get_random_secret_key`,
    `python -c "import secrets; print(secrets.token_urlsafe(50))"`) passes; or containing a marker of a
    published sample key."""
    lowered = key.lower()
    if any(marker in lowered for marker in SAMPLE_SECRET_MARKERS):
        return "SECRET_KEY is a published sample key; generate one (secrets.token_urlsafe(50))."
    if len(key) < 50:
        return f"SECRET_KEY is {len(key)} characters long: at least 50, generated (secrets.token_urlsafe(50))."
    counts = Counter(key)
    bits = -sum(n * math.log2(n / len(key)) for n in counts.values())
    if len(counts) < 12 or bits < 200:
        return "SECRET_KEY is too predictable (repeated or patterned characters); generate one (secrets.token_urlsafe(50))."
    return None


METRICS_TOKEN_MIN_LENGTH = 32  # `secrets.token_hex(16)`, `openssl rand -hex 16`


def metrics_token_problem(token: str) -> str | None:
    """Why `token` is unfit to open /metrics in production, or None (empty: metrics by token are off).
    It is checked like a password, not like SECRET_KEY: a published sample, or too short to be random."""
    if not token:
        return None
    if any(marker in token.lower() for marker in SAMPLE_SECRET_MARKERS):
        return "METRICS_TOKEN is a published sample; generate one (secrets.token_urlsafe(32))."
    if len(token) < METRICS_TOKEN_MIN_LENGTH:
        return (f"METRICS_TOKEN is {len(token)} characters long: at least {METRICS_TOKEN_MIN_LENGTH}, generated "
                "(secrets.token_urlsafe(32)).")
    return None
