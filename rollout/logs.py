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
"""
from __future__ import annotations

import datetime as dt
import logging
import logging.config
import re

from pythonjsonlogger.json import JsonEncoder, JsonFormatter

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
        return super().default(o)


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
        "filters": {"access_fields": {"()": "rollout.logs.GunicornAccessFields"}},
        "formatters": {"json": JSON_FORMATTER},
        "handlers": {
            "json_stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "json"},
            "access_stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "json",
                              "filters": ["access_fields"]},
        },
        "root": {"level": level, "handlers": ["json_stderr"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": ["json_stderr"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["access_stderr"], "propagate": False},
        },
    }
