"""A fixed-window request counter in the cache (Redis in production, shared by every web process)."""
from __future__ import annotations

import hashlib

from django.core.cache import cache

WINDOW_SECONDS = 3600


def rate_allow(scope: str, value: str, limit: int) -> bool:
    """Count one request for (scope, value); False once `limit` were counted in this window."""
    key = "rl:" + scope + ":" + hashlib.sha256(value.encode()).hexdigest()[:32]
    cache.add(key, 0, WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW_SECONDS)
        count = 1
    return count <= limit
