"""Checks every importer applies to text from outside (uploaded files, the PACER feed, the catalog).

Each check returns a reason a person can act on (or None when all is well); the importer adds
where — line and column of a CSV file, entry and field of the feed — and refuses the input with
its own error, so nothing is written. Used here by the PACER feed and the built-in catalog, and by
the roster and link-report imports (`accounts.imports`).

- `bad_character`: no field may hold a control character (NUL, tab, CR, LF, …), a Unicode line
  or paragraph separator, an invisible direction control, zero-width character (not ZWNJ/ZWJ, which
  some scripts need), soft hyphen or byte-order mark, or an unpaired surrogate: they end up in
  emails (an extra line), in links and in PostgreSQL (which refuses NUL), or make two logins or
  names look the same while differing.
- `utf8_or_cp1252`: a file is read as UTF-8 when all of it is UTF-8, as Windows-1252 when none of
  its non-ASCII text is UTF-8; a file mixing both (typically rows pasted from two sources) is
  refused with the first line of each, never read silently as Windows-1252.
- `size_problem`: files over `IMPORT_MAX_UPLOAD_BYTES` (default 50 MB).
- `web_address_problem`: only http(s) addresses with a host, as Django's URL validator reads them
  (`javascript:`, `data:` and the like never become a link).
- `is_court_id`: the shape of a PACER court id (letters and digits, at most 16).
- `is_circuit`: the shape of a circuit ("09", "DC", "FC"): letters and digits, as the address of its
  public page and calendar (/status/circuits/<circuit>/) must be.
"""
from __future__ import annotations

import codecs
import re
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

# C0 and C1 control characters (tab, CR and LF included), Unicode line/paragraph separators, the
# invisible bidirectional controls (the marks LRM, RLM and ALM, embeddings, overrides, isolates), the
# invisible characters that make two texts look the same while differing (zero-width space, word
# joiner, the invisible mathematical operators, soft hyphen), a byte-order mark inside the text,
# and lone surrogates (which JSON's \\ud800 escapes can produce and no database can store).
# ZERO WIDTH NON-JOINER and JOINER (U+200C, U+200D) stay allowed: Persian, Arabic and Indic names
# (Devanagari conjuncts, …) need them to be spelled correctly.
BAD_CHARACTERS = re.compile(
    "[\x00-\x1f\x7f-\x9f\xad\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069"
    "\ufeff\ud800-\udfff]"
)
LINE_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
DIRECTION_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
ZERO_WIDTH = "\u200b\u2060\u2061\u2062\u2063\u2064"

COURT_ID = re.compile(r"[A-Za-z0-9]{1,16}\Z")
CIRCUIT = re.compile(r"[A-Za-z0-9]{1,8}\Z")
CIRCUIT_SHAPE = "a circuit is letters and digits only, e.g. 09, DC or FC"
URL_MAX_LENGTH = 200  # Court's URLFields
_URL = URLValidator(schemes=["http", "https"])


class InputProblem(ValueError):
    """A whole file cannot be read; the message says where (line, column) and why."""


def describe_character(character: str) -> str:
    if character == "\x00":
        what = "a NUL character"
    elif character in LINE_BREAKS:
        what = "a line break"
    elif character == "\t":
        what = "a tab"
    elif character in DIRECTION_CONTROLS:
        what = "an invisible text-direction control"
    elif character in ZERO_WIDTH:
        what = "an invisible zero-width character"
    elif character == "\xad":
        what = "an invisible soft hyphen"
    elif character == "\ufeff":
        what = "an invisible byte-order mark"
    elif "\ud800" <= character <= "\udfff":
        what = "an unpaired surrogate"
    else:
        what = "a control character"
    return f"{what} (U+{ord(character):04X})"


def bad_character(text: str) -> str | None:
    """The reason `text` may not be stored — the first character no field may hold and its position
    (1-based) — or None."""
    found = BAD_CHARACTERS.search(text)
    if found is None:
        return None
    return f"{describe_character(found.group())} at character {found.start() + 1}; no field may hold one"


def line_ends(text: str) -> int:
    """How many line ends (LF, CR or CRLF) `text` holds: a CSV row whose quoted cells hold some
    started that many lines before the line its reader is on."""
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def is_court_id(value: str) -> bool:
    return bool(COURT_ID.match(value))


def is_circuit(value: str) -> bool:
    return bool(CIRCUIT.match(value))


def web_address_problem(value: str) -> str | None:
    """None for "" or an http(s) address with a host; otherwise why it is refused."""
    if not value:
        return None
    if len(value) > URL_MAX_LENGTH:
        return f"the address is longer than {URL_MAX_LENGTH} characters"
    try:
        _URL(value)
    except ValidationError:
        shown = value if len(value) <= 60 else value[:57] + "…"
        return f"{shown!r} is not an http(s) address"
    return None


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):,.1f} MB"


def size_problem(size: int, name: str) -> str | None:
    """Why a file of `size` bytes is refused (over IMPORT_MAX_UPLOAD_BYTES), or None."""
    limit = settings.IMPORT_MAX_UPLOAD_BYTES
    if size <= limit:
        return None
    return (f"{name} is {megabytes(size)}: files larger than {megabytes(limit)} are refused "
            "(setting IMPORT_MAX_UPLOAD_BYTES).")


def file_size_problem(path: Path, name: str) -> str | None:
    try:
        size = path.stat().st_size
    except OSError:
        return None  # the reader says the file is missing, in its own words
    return size_problem(size, name)


def byte_position(raw: bytes, offset: int) -> tuple[int, int]:
    """(line, column), both 1-based, of byte `offset` in `raw` (the column counts characters)."""
    line_start = raw.rfind(b"\n", 0, offset) + 1
    line = raw.count(b"\n", 0, offset) + 1
    column = len(raw[line_start:offset].decode("utf-8", errors="replace")) + 1
    return line, column


def _utf8_whole(path: Path) -> bool:
    """Is the whole file UTF-8? Decoded in 1 MB pieces, so memory stays flat."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    try:
        with open(path, "rb") as handle:
            while piece := handle.read(1 << 20):
                decoder.decode(piece)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


# One UTF-8 multi-byte character (RFC 3629's well-formed sequences). Windows-1252 text almost never
# holds one (it would take e.g. "Ã" followed by "©"), so a file with both this and bytes that are
# not UTF-8 was put together from two sources.
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)


def _column(line: bytes, offset: int) -> int:
    return len(line[:offset].decode("utf-8", errors="replace")) + 1


def utf8_or_cp1252(path: Path) -> str:
    """"utf-8-sig" when the file is UTF-8 (with or without BOM), "cp1252" when it is Windows-1252 and
    holds no UTF-8 character; InputProblem naming line and column otherwise.

    Steps: decode the whole file as UTF-8 (the usual case, in C); when that fails, look at each
    line that is not plain ASCII for its first byte that is not UTF-8 (it must then be
    Windows-1252) and its first UTF-8 character; one of each anywhere in the file means the file
    mixes the two encodings, and it is refused rather than read with one of them garbled."""
    if _utf8_whole(path):
        return "utf-8-sig"
    first_utf8 = first_other = None
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            if line.isascii():
                continue
            bom = 3 if number == 1 and line.startswith(codecs.BOM_UTF8) else 0
            utf8 = _UTF8_MULTIBYTE.search(line, bom)
            if first_utf8 is None and (utf8 is not None or bom):
                first_utf8 = (number, _column(line, utf8.start()) if utf8 else 1)
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                if first_other is None:
                    first_other = (number, _column(line, exc.start))
                if utf8 is None:
                    try:
                        line.decode("cp1252")
                    except UnicodeDecodeError as bad:
                        raise InputProblem(
                            f"line {number}, column {_column(line, bad.start)}: byte 0x{line[bad.start]:02X} is "
                            "neither UTF-8 nor Windows-1252 text; save the file as CSV UTF-8 and try again."
                        ) from None
            if first_utf8 and first_other:
                raise InputProblem(
                    f"line {first_other[0]}, column {first_other[1]}: this text is not UTF-8, but line "
                    f"{first_utf8[0]}, column {first_utf8[1]} is: the file mixes two encodings (UTF-8 and "
                    "Windows-1252). Save it again as CSV UTF-8 and check those lines."
                )
    return "cp1252"
