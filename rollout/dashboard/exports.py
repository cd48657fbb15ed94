"""CSV (streamed) and XLSX (openpyxl write-only) exports of exactly what a filtered table shows.

Memory stays flat in the number of rows: CSV rows are generated while the response streams, from a
database iterator read in chunks; XLSX rows go through openpyxl's write-only workbook, which spools
them to a temporary file, and the finished file is streamed from disk.
"""
from __future__ import annotations

import datetime as dt
import tempfile
from typing import Iterable, Iterator

from django.http import FileResponse
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from accounts.readiness import Readiness
from accounts.spreadsheets import safe_cell
from courts.models import Court, CourtType, GoLiveStatus
from courts.timezones import format_in_zone

CHUNK = 10000  # rows per round trip of the server-side cursor
def _xlsx_cell(value):
    """`safe_cell`, less the control characters a workbook cannot hold (openpyxl refuses them; a name
    saved with one must not make the whole export fail): each reads as U+FFFD."""
    value = safe_cell(value)
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value) if isinstance(value, str) else value


def xlsx_response(filename: str, sheet: str, header: list[str], rows: Iterable[list]) -> FileResponse:
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet[:31])
    worksheet.append(header)
    for row in rows:
        worksheet.append([_xlsx_cell(v) for v in row])
    spool = tempfile.TemporaryFile()
    workbook.save(spool)
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


COURT_HEADER = ["Court id", "Court", "Type", "Circuit", "NextGen go-live", "Days since go-live (negative: until)",
                "Status", "Registered", "Linked", "% linked", "vs. peers (points)", "Need action", "Last announcement",
                "Last announcement sent (court time)"]


def court_rows(courts, *, now: dt.datetime, announcements: dict, peers: dict | None = None,
               peers_known: frozenset[int] = frozenset()) -> Iterator[list]:
    """One row per court; counts, percentages and days are numbers (empty when unknown), not text."""
    from rollout.dashboard.tables import vs_peers_of

    for court in courts:
        kind, sent_at = announcements.get(court.id, ("", None))
        peer = vs_peers_of(peers or {}, court, peers_known)
        yield [
            court.court_id, court.name, CourtType(court.court_type).label if court.court_type in CourtType.values else court.court_type,
            court.circuit, court.golive_date,
            (court.local_today(now) - court.golive_date).days if court.golive_date else None,
            GoLiveStatus(court.display_status).label, court.registered, court.linked, round(court.pct_linked, 1),
            None if peer is None else round(peer, 1),
            court.needs_action, kind, format_in_zone(sent_at, court.tzinfo) if sent_at else None,
        ]


ACCOUNT_HEADER = ["Filer", "Name in CM/ECF", "CM/ECF login", "Email", "Readiness", "Linked at (court time)"]


ACCOUNT_COLUMNS = ("filer__name", "cmecf_name", "login", "filer__email", "readiness", "linked_at")


def account_rows(accounts, court: Court) -> Iterator[list]:
    """Rows as plain tuples from a server-side cursor read in chunks (no model instances), labels from a
    dict and times in the court's zone: the export runs close to the database's own COPY speed."""
    tz = court.tzinfo
    labels = dict(Readiness.choices)
    for name, cmecf_name, login, email, readiness, linked_at in (
        accounts.values_list(*ACCOUNT_COLUMNS).iterator(chunk_size=CHUNK)
    ):
        yield [name, cmecf_name, login, email, labels.get(readiness, readiness),
               linked_at.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z") if linked_at else None]
