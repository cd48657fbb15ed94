"""Streaming CSV responses that a spreadsheet opens safely: shared by the admin's and the dashboard's exports."""
from __future__ import annotations

import csv
from typing import Iterable, Iterator

from django.http import StreamingHttpResponse

# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """User-supplied text a spreadsheet would run as a formula is prefixed with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a streaming response."""

    def write(self, value: str) -> str:
        return value


def csv_response(filename: str, header: Iterable[str], rows: Iterable[Iterable]) -> StreamingHttpResponse:
    """Stream `rows` (an iterator read in chunks) as a UTF-8 CSV download; memory stays flat."""
    writer = csv.writer(_Echo())

    def generate() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(list(header))  # BOM: Excel then reads the file as UTF-8
        for row in rows:
            yield writer.writerow([safe_cell("" if v is None else v) for v in row])

    response = StreamingHttpResponse(generate(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
