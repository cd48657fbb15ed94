"""One log format for every process: a JSON object per line.

Each line has `time` (ISO 8601, UTC), `level`, `logger`, `message`, `request_id` (null outside a
request or a task a request started) and `process`, plus the fields the call site added (a send
task's `delivery_ids` and `court_ids`, an access line's `status` and `duration_ms` ...). Django's
LOGGING (rollout/settings.py) and gunicorn's `logconfig_dict` (rollout/gunicorn_conf.py) both use
`JSON_FORMATTER`; the Celery worker and beat write through Django's configuration (they do not
take over the root logger in JSON mode).

The proxy's X-Request-ID is kept when it is a sane token (letters, digits and `._:+=/-`, at most
128 characters: what nginx's `$request_id`, a UUID or a load balancer's trace id look like);
anything else is dropped before django-guid reads it, so django-guid makes a new one.

The token in a link that acts without a login (a filer's status page, address-change and undo
links, unsubscribe links, password resets) is a credential for as long as it lasts: no line and no
report carries it. `path_without_tokens` is the one place that knows where tokens sit in a path;
`WithoutTokens` applies it to gunicorn's access lines and Django's request lines, and
rollout/error_reports.py to the error mails and Sentry's events.
"""
from __future__ import annotations

import datetime as dt
import logging
import logging.config
import re

from pythonjsonlogger.json import JsonEncoder, JsonFormatter

# The path segments that are tokens, after their route's prefix (rollout/filers/urls.py,
# rollout/notices/urls.py, rollout/urls.py and allauth's). Found anywhere in the text, so a path, a
# full URL (a Referer) or gunicorn's request line "GET /me/<token>/ HTTP/1.1" are all masked, a
# mangled link (a 404) included. tests/rollout/test_log_tokens.py checks every route with a token.
_TOKEN_IN_PATH = re.compile(
    r"(/me/(?:address/(?:undo/)?)?"  # a filer's status page, address change and undo
    r"|/notices/unsubscribe/"
    r"|/accounts/reset/[^/?#\s]+/"  # Django's password reset: the user's id, then the token
    r"|/accounts/password/reset/key/"  # allauth's password reset
    r"|/accounts/confirm-email/)"
    r"[^/?#\s\"']+")
TOKEN_MASK = "[token]"


def path_without_tokens(text: str) -> str:
    """`text` (a path, a URL, a request line) with every link token replaced by "[token]"."""
    return _TOKEN_IN_PATH.sub(rf"\1{TOKEN_MASK}", text)


class WithoutTokens(logging.Filter):
    """Logger filter: link tokens masked in the record's message and arguments (gunicorn's access
    atoms, a dict: request line, path, Referer, environ; Django's "Not Found: %s" and the like).
    On the logger, not a handler, so Sentry's logging integration sees the masked record too."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = path_without_tokens(record.msg)
        args = record.args
        if isinstance(args, dict):  # gunicorn's atoms: changed in place, it is their own dict type
            for key, value in args.items():
                if isinstance(value, str):
                    args[key] = path_without_tokens(value)
        elif isinstance(args, tuple):
            record.args = tuple(path_without_tokens(v) if isinstance(v, str) else v for v in args)
        return True


class UtcFormatter(logging.Formatter):
    """The text lines' time (development): UTC, ISO 8601 with milliseconds, as in the JSON lines."""

    def formatTime(self, record, datefmt=None):  # noqa: N802 (logging's name)
        moment = dt.datetime.fromtimestamp(record.created, dt.timezone.utc)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


REQUEST_ID_META = "HTTP_X_REQUEST_ID"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+=/-]{0,127}")


class JsonLineFormatter(JsonFormatter):
    """python-json-logger's formatter; bytes (a header, a socket read) are shown as text, not `b'…'`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("json_encoder", _Encoder)
        super().__init__(*args, **kwargs)

    def process_log_record(self, log_data):
        for key, value in log_data.items():
            if isinstance(value, (bytes, bytearray)):
                log_data[key] = bytes(value).decode("utf-8", "replace")
        return log_data


class _Encoder(JsonEncoder):
    """python-json-logger's encoder (datetimes in ISO 8601 ...), with bytes as text."""

    def default(self, o):
        if isinstance(o, (bytes, bytearray)):
            return bytes(o).decode("utf-8", "replace")
        if isinstance(o, (set, frozenset)):
            return sorted(o, key=str)
        shown = super().default(o)
        # Django's request lines carry the request itself: "<WSGIRequest: GET '/me/<token>/'>".
        return path_without_tokens(shown) if isinstance(shown, str) else shown


JSON_FORMATTER = {
    "()": "rollout.logs.JsonLineFormatter",
    "timestamp": "time",  # datetime.fromtimestamp(created, tz=UTC).isoformat()
    "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s %(process)d",
    "rename_fields": {"levelname": "level", "name": "logger"},
}


def configure(config: dict) -> None:
    """LOGGING_CONFIG: Django's LOGGING, and Python warnings routed to logging (`py.warnings`) so
    they come out in the same format instead of as bare lines."""
    logging.config.dictConfig(config)
    logging.captureWarnings(True)


def request_id_sanitize(get_response):
    """Middleware before django-guid's: drop an X-Request-ID that is not a sane token."""

    def middleware(request):
        given = request.META.get(REQUEST_ID_META)
        if given is not None and not SANE_REQUEST_ID.fullmatch(given):
            del request.META[REQUEST_ID_META]
        return get_response(request)

    return middleware


class GunicornAccessFields:
    """Logging filter for `gunicorn.access`: gunicorn passes its atoms as the record's args; they
    become fields (method, path, status, bytes, duration_ms, remote_addr, request_id from the
    response's X-Request-ID) and the message a short "GET /path 200". The query string is left out:
    signed links carry their tokens there."""

    def filter(self, record) -> bool:
        atoms = record.args if isinstance(record.args, dict) else None
        if atoms is None:
            return True

        def atom(key):
            value = atoms.get(key)
            return None if value in (None, "-") else value

        status = atom("s")
        record.method = atom("m")
        record.path = atom("U")
        record.status = int(status) if str(status or "").isdigit() else status
        size = atom("B")
        record.bytes = int(size) if str(size or "").isdigit() else 0
        micro = atom("D")
        record.duration_ms = round(int(micro) / 1000, 3) if str(micro or "").isdigit() else None
        record.remote_addr = atom("h")
        record.user_agent = atom("a")
        # gunicorn's atoms look response headers up as "{name}o", lower case.
        request_id = atoms.get("{x-request-id}o")
        record.request_id = request_id if request_id and request_id != "-" else None
        record.msg = f"{record.method} {record.path} {record.status}"
        record.args = ()
        return True


def gunicorn_logconfig(level: str = "INFO") -> dict:
    """gunicorn's own loggers (the master's start and stop lines, worker boots, access lines) as
    JSON lines on standard error, not propagated (Django's root handler would print them twice)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"access_fields": {"()": "rollout.logs.GunicornAccessFields"},
                    "without_tokens": {"()": "rollout.logs.WithoutTokens"}},
        "formatters": {"json": JSON_FORMATTER},
        "handlers": {
            "json_stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "json"},
            "access_stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "json",
                              "filters": ["access_fields"]},
        },
        "root": {"level": level, "handlers": ["json_stderr"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": ["json_stderr"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["access_stderr"], "filters": ["without_tokens"],
                                "propagate": False},
        },
    }
