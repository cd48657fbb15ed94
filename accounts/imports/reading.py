"""Reading import files: the encoding, the CSV rows with their line numbers, and the cell parsers."""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Callable, Iterator

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, validate_email

from accounts.emails import email_address_problem
from courts.input_checks import BAD_CHARACTERS, InputProblem, bad_character, line_ends, utf8_or_cp1252

MAX_ERRORS_KEPT = 1000  # every bad row is counted; the first thousand are listed
ROWS_LISTED = 200  # the dry run lists this many rows it would create, change or refuse; the rest are counted
TRUE = {"yes", "y", "true", "t", "1", "x"}
FALSE = {"no", "n", "false", "f", "0", ""}
_BOOLS = {**{v: True for v in TRUE}, **{v: False for v in FALSE}}  # the usual spellings, looked up as they are


class ImportError_(Exception):
    """The whole file cannot be read (encoding, header, unknown court): nothing was imported."""


@dataclass
class RowError:
    line: int
    reason: str
    field: str = ""

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.field}" if self.field else "")
        return f"{where}: {self.reason}"


@dataclass
class RowChange:
    """One row an import would create or change, said in plain words (`change`)."""

    line: int
    login: str
    change: str


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    kind: str
    file_name: str
    court_id: str = ""
    encoding: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    applied: bool = False
    # Rows applied only in part: their shared facts belong to courts the user does not administer.
    conflicts: list[RowError] = field(default_factory=list)
    # The first ROWS_LISTED rows (by line) that would be created / changed; filled by one LIMIT query
    # on the stage, so the report's size does not grow with the file.
    created_rows: list[RowChange] = field(default_factory=list)
    updated_rows: list[RowChange] = field(default_factory=list)
    # Filers' own "I have linked" reports the file settles (would settle, in a dry run): confirmed
    # where the login is linked, cleared — reminders resume — where it is not.
    reports_confirmed: int = 0
    reports_cleared: int = 0

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def errors_listed(self) -> list[RowError]:
        return self.errors[:ROWS_LISTED]

    @property
    def errors_not_listed(self) -> int:
        return self.error_count - len(self.errors_listed)

    @property
    def created_not_listed(self) -> int:
        return self.created - len(self.created_rows)

    @property
    def updated_not_listed(self) -> int:
        return self.updated - len(self.updated_rows)

    @property
    def encoding_label(self) -> str:
        """The encoding in plain words ("UTF-8", "Windows-1252"), not Python's codec name."""
        return ENCODING_LABELS.get(self.encoding, self.encoding)

    def add_error(self, line: int, reason: str, field_name: str = "") -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(RowError(line, reason, field_name))

    def add_conflict(self, line: int, field_name: str, reason: str) -> None:
        if len(self.conflicts) < MAX_ERRORS_KEPT:
            self.conflicts.append(RowError(line, reason, field_name))

    def summary(self) -> str:
        verb = "Applied" if self.applied else ("Dry run" if self.ok else "Not applied")
        text = (
            f"{verb}: {self.rows:,} rows — {self.created:,} created, {self.updated:,} updated, "
            f"{self.unchanged:,} unchanged"
        )
        if self.error_count:
            text += f"; {self.error_count:,} bad rows, nothing applied"
        if self.conflicts:
            text += f"; {len(self.conflicts):,} rows with shared facts left as they are"
        if self.ok and (self.reports_confirmed or self.reports_cleared):
            text += (f"; filers' own reports: {self.reports_confirmed:,} confirmed, "
                     f"{self.reports_cleared:,} cleared")
        return text


ENCODING_LABELS = {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "cp1252": "Windows-1252"}


SAVE_AS_CSV = "in Excel choose File > Save As > “CSV UTF-8 (Comma delimited)” and upload that file."
# How a file that is not CSV text starts: a workbook (.xlsx is a zip file, .xls an OLE2 compound file).
_WORKBOOK_STARTS = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the whole file is UTF-8, Windows-1252 when none of it is;
    ImportError_ naming line and column for a file in neither, or one that mixes the two
    (`courts.input_checks.utf8_or_cp1252`). Memory stays flat.

    A workbook or a UTF-16 file is refused by what it is, before its bytes are judged as text:
    Excel's UTF-16 export ("Unicode Text") is tab-separated, so decoding it would only trade one
    puzzling message for another; saving as CSV UTF-8 is the one step that helps."""
    try:
        with open(path, "rb") as handle:
            start = handle.read(8)
    except OSError:
        start = b""
    if start.startswith(_WORKBOOK_STARTS):
        raise ImportError_(f"line 1: this file is an Excel workbook, not a CSV file; {SAVE_AS_CSV}")
    # UTF-16 with its byte-order mark, or without one: a header starts with a letter, which UTF-16
    # writes as that ASCII byte next to a NUL byte (no CSV text holds a NUL there).
    if start.startswith(_UTF16_BOMS) or (len(start) >= 2 and start[:2].count(0) == 1 and max(start[:2]) < 0x80):
        raise ImportError_(f"line 1: this file is saved as UTF-16 (Excel's “Unicode Text”), which the tracker "
                           f"does not read; {SAVE_AS_CSV}")
    try:
        return utf8_or_cp1252(path)
    except InputProblem as exc:
        raise ImportError_(str(exc)) from None


# Header words that mean a password, PIN or secret, as a whole column name or one of its parts
# separated by "_", "-" or spaces ("pacer_password", "PACER PIN"); "pinned" or "shipping" are not.
_PASSWORD_WORDS = frozenset({
    "password", "passwords", "passwd", "pwd", "pw", "pword", "pass", "passcode", "passcodes", "pin", "pins",
    "secret", "secrets",
})
# Written as one word with others ("PacerPassword", "cmecfpasswd", "PACER Pass Word" once its
# separators are gone): these are never part of a harmless word.
_PASSWORD_INSIDE = re.compile("password|passwrd|passwd|passcode|pword")
# A "pw" or "pass" suffix on the systems' own names ("PacerPW", "cmecfpass").
_SYSTEM_PASSWORD = re.compile(r"^(pacer|cmecf|ecf|nextgen)(pw|pwd|pass|pin)$")
_NAME_PARTS = re.compile(r"[_\-\s]+")


def _password_column(name: str) -> bool:
    joined = _NAME_PARTS.sub("", name)
    return (_PASSWORD_INSIDE.search(joined) is not None or _SYSTEM_PASSWORD.match(joined) is not None
            or not _PASSWORD_WORDS.isdisjoint(_NAME_PARTS.split(name)))


def _csv_problem(exc: csv.Error, line: int) -> str:
    """`exc` from the CSV reader in plain words, with the line it concerns ("line 3: …")."""
    text = str(exc)
    if text == "unexpected end of data":  # the file ended inside a quoted cell
        return (f"line {line}: a quote (\") opened in this row is never closed, so the rest of the file "
                "would be read as one cell; close the quote or remove it and upload again.")
    if text.endswith("expected after '\"'"):
        return (f"line {line}: a quoted cell has more text after its closing quote (\"); put the whole cell "
                "in quotes, writing each quote inside it twice (\"\"), and upload again.")
    return f"line {line}: unreadable CSV ({text})."


def _csv_open(handle, required: tuple[str, ...], optional: tuple[str, ...]):
    """The reader and the header's column names (stripped, lower case, spaces as underscores).

    The reader is strict, so a quote never closed is an error naming its row instead of a cell that
    swallows the rest of the file. The header is refused (ImportError_, line 1) when a column is
    named like a password (the tracker never takes one, so such a file is not read at all), when a
    column the import reads is named twice (which one was meant cannot be told), or when a column
    it needs is missing."""
    reader = csv.reader(handle, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportError_("The file is empty: line 1 must be the header row.") from None
    except csv.Error as exc:
        raise ImportError_(_csv_problem(exc, 1)) from None
    names = [h.strip().lower().replace(" ", "_") for h in header]
    passwords = [h.strip() for h, name in zip(header, names) if _password_column(name)]
    if passwords:
        shown = " and ".join(", ".join(map(repr, passwords)).rsplit(", ", 1))
        raise ImportError_(
            f"line 1: column{'s' if len(passwords) > 1 else ''} {shown}: this tracker never takes passwords, "
            f"PINs or secrets (PACER or CM/ECF); remove the column{'s' if len(passwords) > 1 else ''} and "
            "upload the file again."
        )
    for column in required + optional:
        places = [i + 1 for i, name in enumerate(names) if name == column]
        if len(places) > 1:
            times = "twice" if len(places) == 2 else f"{len(places)} times"
            where = " and ".join(", ".join(map(str, places)).rsplit(", ", 1))
            raise ImportError_(
                f"line 1: column {column!r} appears {times} (columns {where}); keep one and upload the file again."
            )
    missing = [c for c in required if c not in names]
    if missing:
        raise ImportError_(
            f"line 1: the header lacks {', '.join(missing)}; expected columns: {', '.join(required + optional)}."
        )
    return reader, names


def _csv_cells(reader, names: list[str], read: set[int], report: ImportReport | None) -> Iterator[list[str]]:
    """Every row's cells, blank rows skipped; ImportError_ for unreadable CSV.

    A row with a character no field may hold (`courts.input_checks.bad_character`: NUL and other
    control characters, a line break inside a quoted cell, …) in a column the import reads (`read`,
    positions) is not yielded: it is counted in `report` as a row and as a bad row naming its first
    line, the column and the reason (ImportError_ without a report)."""
    while True:
        start = reader.line_num + 1  # the line this row starts on
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # A quote never closed ran to the end of the file: its row's first line, not the last one.
            at_end = str(exc) == "unexpected end of data"
            raise ImportError_(_csv_problem(exc, start if at_end else reader.line_num)) from None
        # Blank: every cell is whitespace, i.e. the cells joined are (one C call instead of a loop).
        joined = "".join(cells)
        if not joined or joined.isspace():
            continue
        if BAD_CHARACTERS.search(joined) is not None:  # one C call per row; the rest only for a bad row
            problem = _bad_cell(cells, names, read)
            if problem is not None:
                line = reader.line_num - line_ends(joined)  # where the row starts
                if report is None:
                    raise ImportError_(f"line {line}, {problem[0]}: {problem[1]}.")
                report.rows += 1
                report.add_error(line, problem[1], problem[0])
                continue
        yield cells


def _bad_cell(cells: list[str], names: list[str], read: set[int]) -> tuple[str, str] | None:
    """(column name, reason) of the first cell the import reads that holds a bad character."""
    for i, cell in enumerate(cells):
        if i in read:
            reason = bad_character(cell)
            if reason is not None:
                return names[i], reason
    return None


def _read_positions(names: list[str], columns: tuple[str, ...]) -> set[int]:
    """The positions of `columns` in the header (`_csv_open` refused any of them named twice)."""
    position = {name: i for i, name in enumerate(names)}
    return {position[c] for c in columns if c in position}


def csv_rows(
    path: Path, encoding: str, *, required: tuple[str, ...], optional: tuple[str, ...] = (),
    report: ImportReport | None = None,
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, {column: stripped text}) for every data row; blank lines are skipped.
    A row with a bad character is reported in `report` instead (see `_csv_cells`)."""
    with open(path, encoding=encoding, newline="") as handle:
        reader, names = _csv_open(handle, required, optional)
        read = _read_positions(names, required + optional)
        for cells in _csv_cells(reader, names, read, report):
            row = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(names)}
            yield reader.line_num, row


def csv_values(
    path: Path, encoding: str, *, required: tuple[str, ...], optional: tuple[str, ...] = (),
    report: ImportReport | None = None,
) -> Iterator[tuple[int, tuple[str, ...]]]:
    """Yield (line number, the stripped text of `required + optional` in that order) for every data row,
    as `csv_rows` reads it ("" for a cell the row or the header lacks), without a dict per row: the cells
    are picked and stripped by C calls when the row is full.
    A row with a bad character is reported in `report` instead (see `_csv_cells`)."""
    columns = required + optional
    with open(path, encoding=encoding, newline="") as handle:
        reader, names = _csv_open(handle, required, optional)
        position = {name: i for i, name in enumerate(names)}
        positions = [position.get(c) for c in columns]
        width = len(names)
        pick = itemgetter(*positions) if None not in positions and len(positions) > 1 else None
        strip = str.strip
        for cells in _csv_cells(reader, names, _read_positions(names, columns), report):
            if pick is not None and len(cells) >= width:
                yield reader.line_num, tuple(map(strip, pick(cells)))
            else:
                n = len(cells)
                yield reader.line_num, tuple(cells[i].strip() if i is not None and i < n else "" for i in positions)


class CellError(ValueError):
    def __init__(self, field_name: str, reason: str):
        self.field = field_name
        super().__init__(reason)


# Django's own email patterns, compiled once: matching them directly skips the lazy-regex proxy on
# every call, which was a third of the roster's per-row time at a million rows.
_EMAIL_USER = re.compile(EmailValidator.user_regex.pattern, EmailValidator.user_regex.flags)
_EMAIL_DOMAIN = re.compile(EmailValidator.domain_regex.pattern, EmailValidator.domain_regex.flags)
# The usual address, cheaper still: a lower-case dot-atom user part (a strict subset of what
# `_EMAIL_USER` accepts, without its slow case-insensitive matching) and a domain already accepted
# by `_EMAIL_DOMAIN` in this process (a roster has few domains; the set is capped, so memory stays flat).
_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{}|~-]+"
_EMAIL_USUAL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@([^@]+)\Z", re.ASCII)
_DOMAINS_SEEN: set[str] = set()
_DOMAINS_SEEN_MAX = 10_000


def parse_email(value: str, field_name: str = "email") -> str:
    """A lower-case email Django's `validate_email` accepts.

    The common case is settled by Django's two patterns (the same first checks `validate_email`
    makes), or by a stricter pattern for the user part and the domains they accepted before;
    anything they do not accept — an IP literal, an allow-listed host, or a bad address — goes
    through `validate_email` itself, so what is accepted is exactly what Django accepts."""
    if not value:
        raise CellError(field_name, "missing email")
    value = value.strip().lower()
    if not _email_syntax_ok(value):
        raise CellError(field_name, f"malformed email {value!r}")
    # Valid but not deliverable (too long, non-ASCII local part): refused here, not at the send.
    problem = email_address_problem(value, check_syntax=False)
    if problem:
        raise CellError(field_name, f"undeliverable email: {problem}")
    return value


def _email_syntax_ok(value: str) -> bool:
    if len(value) <= 320:
        usual = _EMAIL_USUAL.match(value)
        if usual is not None and usual[1] in _DOMAINS_SEEN:
            return True
        if "@" in value:
            user_part, domain_part = value.rsplit("@", 1)
            if _EMAIL_USER.match(user_part) and _EMAIL_DOMAIN.match(domain_part):
                if len(_DOMAINS_SEEN) < _DOMAINS_SEEN_MAX:
                    _DOMAINS_SEEN.add(domain_part)
                return True
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def parse_required(value: str, field_name: str, max_length: int) -> str:
    if not value:
        raise CellError(field_name, f"missing {field_name}")
    if len(value) > max_length:
        raise CellError(field_name, f"{field_name} is longer than {max_length} characters")
    return value


def parse_login(value: str, field_name: str = "cmecf_login") -> str:
    value = parse_required(value, field_name, 80)
    # The value is stripped, so it holds whitespace exactly when splitting on whitespace cuts it.
    if len(value.split()) != 1:
        raise CellError(field_name, f"login {value!r} contains a space")
    return value


# The earliest date an import takes. PACER began in 1988 as a dial-up pilot, so an account created
# before 1990 exists only in theory, and CM/ECF links came long after; an earlier date is a
# placeholder (0001-01-01, a spreadsheet's 1900-01-01) or a slip of the keyboard, never a fact.
EARLIEST_DATE = dt.date(1990, 1, 1)


def parse_date(value: str, field_name: str, *, today: dt.date, required: bool = False) -> dt.date | None:
    """YYYY-MM-DD (or MM/DD/YYYY); never after `today`, never before EARLIEST_DATE."""
    if not value:
        if required:
            raise CellError(field_name, f"missing {field_name}")
        return None
    day = _iso_day(value) or _strptime_day(value)
    if day is None:
        raise CellError(field_name, f"unreadable date {value!r} (use YYYY-MM-DD)")
    if day > today:
        raise CellError(field_name, f"date {day.isoformat()} is in the future")
    if day < EARLIEST_DATE:
        raise CellError(field_name, f"date {day.isoformat()} is before {EARLIEST_DATE.isoformat()}, earlier than "
                                    "any PACER account; check the date")
    return day


@lru_cache(maxsize=4096)
def _iso_day(value: str) -> dt.date | None:
    """The date of a plain "YYYY-MM-DD" (what strptime would read), cheaply; None for anything else.
    Cached: a roster repeats the same few thousand dates."""
    if len(value) == 10 and value[4] == "-" and value[7] == "-" and value[:4].isdigit() and value[5:7].isdigit() \
            and value[8:].isdigit() and value.isascii():
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _strptime_day(value: str) -> dt.date | None:
    for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def parse_bool(value: str, field_name: str) -> bool:
    known = _BOOLS.get(value)
    if known is not None:
        return known
    text = value.strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise CellError(field_name, f"unreadable yes/no value {value!r} (use yes or no)")


ProgressFn = Callable[[str, int], None]
