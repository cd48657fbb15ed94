"""Pages while the database cannot be reached: 503 "try again in a minute", not "Server Error".

Django answers any uncaught exception with its 500 view (`handler500`), whichever layer raised it
(a view, or a middleware reading the session). `server_error` is that view: when the exception is
the database being unreachable (down, restarting, the connection lost), it answers 503 with a
Retry-After header and a page that says so (on `/healthz`, its JSON body naming the database); any
other error keeps the 500 page. `/healthz` names the database for the operator, so `NotDatabaseOutage`
keeps the requests and tasks an outage fails out of the admins' error mail: it would otherwise send
one mail per request and per task.
"""
from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader
from django.urls import reverse
from django.views import defaults

RETRY_AFTER_SECONDS = 60
# SQLSTATEs of a server that is going away or not yet back (class 08 is the connection's own).
_SHUTDOWN_STATES = {"57P01", "57P02", "57P03"}  # admin_shutdown, crash_shutdown, cannot_connect_now


def database_unavailable(exc: BaseException | None) -> bool:
    """True when `exc` says the database cannot be reached now, not that a query was wrong or slow.

    Django wraps the driver's error and keeps it as `__cause__`; psycopg gives no SQLSTATE when no
    server answered (refused, reset, closed mid-query). A statement timeout (57014) or a deadlock
    is an OperationalError too, but retrying in a minute would not help: those stay 500s.
    """
    if isinstance(exc, InterfaceError):  # the connection was already closed under us
        return True
    if not isinstance(exc, OperationalError):
        return False
    sqlstate = getattr(exc.__cause__, "sqlstate", "")  # "" for a driver without SQLSTATEs (SQLite)
    return sqlstate is None or sqlstate.startswith("08") or sqlstate in _SHUTDOWN_STATES


def server_error(request):
    """Django's 500 view, except that a database outage answers 503 with Retry-After.

    Called by Django inside its `except` block, so `sys.exc_info()` is the uncaught exception.
    The page is rendered without the request: no context processor may touch the database.
    """
    exc = sys.exc_info()[1]
    if not database_unavailable(exc):
        return defaults.server_error(request)
    if request.path_info == reverse("healthz"):
        # Here rather than in each middleware that reads the session: any of them, now or later,
        # can be the first to find the database down, and the monitor must still read JSON.
        from rollout.health.views import healthz_database_down  # late: loaded by LOGGING, before the apps

        return healthz_database_down(exc)
    body = loader.render_to_string("503.html", {"retry_minutes": RETRY_AFTER_SECONDS // 60})
    return HttpResponse(body, status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


class NotDatabaseOutage(logging.Filter):
    """Drop log records of a request or task that failed because the database is unreachable."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and database_unavailable(record.exc_info[1]))
