"""A fixed-window request counter in the cache (Redis in production, shared by every web process)."""
from __future__ import annotations

import hashlib

from django.core.cache import cache

WINDOW_SECONDS = 3600


class RateLimitUnavailable(Exception):
    """The counter cannot be reached (Redis down): the request is refused, never let through
    uncounted, since the limit is what keeps links from flooding an inbox."""


def rate_allow(scope: str, value: str, limit: int) -> bool:
    """Count one request for (scope, value); False once `limit` were counted in this window.
    Raises RateLimitUnavailable when the cache cannot be reached."""
    key = "rl:" + scope + ":" + hashlib.sha256(value.encode()).hexdigest()[:32]
    try:
        cache.add(key, 0, WINDOW_SECONDS)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, WINDOW_SECONDS)
            count = 1
    except Exception as exc:  # the backend raises its client's own connection errors
        raise RateLimitUnavailable from exc
    return count <= limit
