"""The relay as the senders last found it, for /healthz.

Each sender records whether its last connection to EMAIL_HOST opened or failed (refused, timed out,
a 4xx or 5xx greeting), one write per connection in the shared cache. An unreachable relay costs the
rows no try, so they wait quietly for it; this record is what names the relay while they wait.
"""
from __future__ import annotations

import logging
import time

from django.core.cache import cache

RELAY_KEY = "rollout:relay:last-connection"
log = logging.getLogger(__name__)


def relay_connection_record(exc: BaseException | None = None) -> None:
    """Remember this connection's outcome: opened (no exception) or the exception's kind and SMTP
    code, no more: /healthz answers without a login, and the relay's own words can name internal
    hosts (the full text is on the rows and in the worker's log). Never fails a send: a cache that
    cannot be written only leaves /healthz with an older outcome."""
    error = ""
    if exc is not None:
        code = getattr(exc, "smtp_code", None)
        error = type(exc).__name__ + (f" {code}" if isinstance(code, int) else "")
    try:
        cache.set(RELAY_KEY, {"at": time.time(), "error": error}, None)
    except Exception:
        log.warning("could not record the relay connection's outcome", exc_info=True)


def relay_last_connection() -> tuple[float, str] | None:
    """(seconds since, error or "") of the last connection a sender made to the relay; None when none
    was recorded."""
    value = cache.get(RELAY_KEY)
    if not value:
        return None
    return max(0.0, time.time() - float(value["at"])), str(value["error"])
