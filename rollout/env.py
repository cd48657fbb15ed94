"""Reading settings from the environment, failing loudly on values that make no sense.

Every setting the project reads from the environment goes through these helpers, from
`rollout/settings.py` only, so a typo in a deployment's environment stops the process at start-up
with a message naming the variable instead of surfacing later as odd behaviour.
"""
from __future__ import annotations

import os
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off.")


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name, "").strip().lower() or default
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} is not one of: {', '.join(choices)}.")
    return value


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    return value


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_time_zone(name: str, default: str) -> str:
    value = os.environ.get(name, default)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"{name}={value!r} is not an IANA time zone (e.g. America/Denver).") from None
    return value


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
    import math
    from collections import Counter

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
