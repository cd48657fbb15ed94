"""Streaming CSV responses that a spreadsheet opens safely: shared by the admin's and the dashboard's exports."""
from __future__ import annotations

import csv
import unicodedata
from typing import Iterable, Iterator

from django.http import StreamingHttpResponse

# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Look-alikes some spreadsheet programs (and their input methods) read as the same leaders: the
# minus sign, and every character whose compatibility form is a leader (fullwidth ＝ ＋ － ＠, the
# small forms ﹦ ﹢ ﹣ ﹫), found by NFKC. Leading spaces do not hide a leader either.
_LOOK_ALIKES = {"\u2212": "-"}
_SPACES = " \u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"


def starts_like_formula(value: str) -> bool:
    if value.startswith(FORMULA_START):
        return True
    first = value.lstrip(_SPACES)[:1]
    first = _LOOK_ALIKES.get(first, unicodedata.normalize("NFKC", first)[:1])
    return first in FORMULA_START


def safe_cell(value):
    """User-supplied text a spreadsheet would run as a formula is prefixed with a quote."""
    if isinstance(value, str) and starts_like_formula(value):
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
