"""The one time format of the text log lines: UTC, ISO 8601 with milliseconds (as the JSON lines)."""
from __future__ import annotations

import datetime as dt
import logging


class UtcFormatter(logging.Formatter):
    def formatTime(self, record, datefmt=None):  # noqa: N802 (logging's name)
        moment = dt.datetime.fromtimestamp(record.created, dt.timezone.utc)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
