"""Reading the PACER "Court CM/ECF Lookup" JSON feed into plain court records.

The feed is real-world data: some fields are missing on some entries, strings carry HTML entities
(`&amp;`, `&#039;`), and `go_live_date` is free text. This module only reads and normalises; writing
to the database is `courts.services.courts_import_feed`.
"""
from __future__ import annotations

import datetime as dt
import html
import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings

from courts.input_checks import (
    BAD_CHARACTERS, CIRCUIT_SHAPE, bad_character, byte_position, file_size_problem, is_circuit, is_court_id, megabytes,
    web_address_problem,
)
from courts.models import Court
from courts.names import display_name
from courts.timezones import CIRCUITS, state_and_time_zone

NOT_COURTS = {"00PCL": "the PACER Case Locator is a search service, not a court"}

TYPES = {"district": "district", "bankruptcy": "bankruptcy", "appeals": "appellate", "national": "national"}

# The name words a real court name carries; CITDC's court_name is "Live Database".
_COURT_NAME_WORDS = ("court", "district", "circuit", "panel", "claims", "bankruptcy", "trade", "columbia")


_ORDINALS = {
    "01": "First", "02": "Second", "03": "Third", "04": "Fourth", "05": "Fifth", "06": "Sixth",
    "07": "Seventh", "08": "Eighth", "09": "Ninth", "10": "Tenth", "11": "Eleventh",
}


class FeedError(Exception):
    """The feed cannot be read or does not have the feed's shape. The message says where and why."""


class _NotText(Exception):
    """A field the record reads as text holds a number, true/false, a list or an object."""

    expected, where = "text", ""

    def __init__(self, field_name: str, value):
        super().__init__(field_name)
        self.field_name, self.value = field_name, value

    def reason(self) -> str:
        value = self.value
        if value is None:
            return f"{self.where}null where {self.expected} is expected"
        kind = ("true/false" if isinstance(value, bool) else "a number" if isinstance(value, (int, float))
                else "a text" if isinstance(value, str) else "a list" if isinstance(value, list) else "an object")
        shown = json.dumps(value, ensure_ascii=False)
        shown = shown if len(shown) <= 60 else shown[:59] + "…"
        return f"{self.where}{kind} ({BAD_CHARACTERS.sub('?', shown)}) where {self.expected} is expected"


class _NotObjects(_NotText):
    """A field the record reads as a list of objects (help desks, offices) holds something else, or one
    of its items is not an object. Read as an empty list, it would empty what the court had."""

    def __init__(self, field_name: str, value, what: str, item: int | None = None):
        super().__init__(field_name, value)
        self.expected, self.where = what, ("" if item is None else f"item {item} is ")


@dataclass
class FeedCourt:
    court_id: str
    cmecf_code: str
    name: str
    title: str
    court_type: str
    circuit: str
    state: str
    time_zone: str
    login_url: str = ""
    web_url: str = ""
    rss_url: str = ""
    help_desk_phones: list[str] = field(default_factory=list)
    locations: list[dict] = field(default_factory=list)
    software_version: str = ""
    cmecf_start_text: str = ""
    cmecf_start_date: dt.date | None = None
    feed_name: str = ""  # the feed's own court_name, noise and all (`name` is the display name)


@dataclass
class FeedSkip:
    court_id: str
    reason: str


def load_feed(source: str, *, timeout: float = 15.0) -> dict:
    """Read the feed's JSON from a file path or an http(s) URL.

    Refused with FeedError: more than IMPORT_MAX_UPLOAD_BYTES, text that is not UTF-8 (line and
    column of the first bad byte), JSON that does not parse (line and column)."""
    limit = settings.IMPORT_MAX_UPLOAD_BYTES
    if re.match(r"^https?://", source):
        try:
            request = urllib.request.Request(source, headers={"User-Agent": "rollout-tracker/1.0"})
            with urllib.request.urlopen(request, timeout=timeout) as response:
                raw = response.read(limit + 1)
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise FeedError(
                f"Could not download the PACER court feed from {source}: {reason}. "
                "Pass the path of a saved copy instead (python manage.py import_pacer_courts FILE)."
            ) from None
        too_big = (f"The feed is larger than {megabytes(limit)}: refused (setting IMPORT_MAX_UPLOAD_BYTES)."
                   if len(raw) > limit else None)
    else:
        path = Path(source)
        if not path.is_file():
            raise FeedError(f"No such file: {source}")
        too_big = file_size_problem(path, path.name)
        raw = b"" if too_big else path.read_bytes()
    if too_big:
        raise FeedError(too_big)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column = byte_position(raw, exc.start)
        raise FeedError(f"{source} is not UTF-8 text: line {line}, column {column} (byte 0x{raw[exc.start]:02X}).") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FeedError(f"{source} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.") from None
    except (ValueError, RecursionError) as exc:  # e.g. a number of thousands of digits, or arrays nested too deep
        raise FeedError(f"{source} is not a feed JSON can read: {str(exc)[:200] or 'nested too deeply'}.") from None


def _text(value, field_name: str) -> str:
    """The field's text, HTML entities decoded; "" when missing or null; _NotText for any other JSON value
    (a number would otherwise become "123" or "inf", a list its Python spelling)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _NotText(field_name, value)
    return html.unescape(value).strip()


def cmecf_code_from_url(login_url: str) -> str:
    """`https://ecf.mtd.uscourts.gov` → `mtd`; `https://ecf.ohndad.ohnd.uscourts.gov` → `ohndad`."""
    host = urlparse(login_url).hostname or ""
    parts = host.split(".")
    if len(parts) >= 3 and parts[0] == "ecf" and host.endswith(".uscourts.gov"):
        return parts[1]
    return ""


_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DATE_PATTERNS = [
    # 11/07/2005, 6/1/07, 1-1-2005
    (re.compile(r"\b(\d{1,2})[/-](\d{1,2})[/-](\d{4}|\d{2})\b"), "mdy"),
    # June 1, 2009 / October 14. 2003 / March 17th, 2003 / Oct. 16, 2006
    (re.compile(rf"\b({_MONTHS})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?[,.]?\s+(\d{{4}})\b", re.I), "Mdy"),
    # 5 July 2005
    (re.compile(rf"\b(\d{{1,2}})\s+({_MONTHS})\.?,?\s+(\d{{4}})\b", re.I), "dMy"),
]


def _month_number(name: str) -> int:
    name = name.lower()[:3]
    return ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"].index(name) + 1


# CM/ECF came into use in the federal courts in the late 1990s (the feed's earliest go_live_date is
# November 1997), and a court gives the day it started, not one far ahead. A date before 1990 or more
# than a few years after today is a slip ("01/01/0001", "12/31/9999"), not a start date: the import
# refuses it rather than show it and sort courts by it.
START_DATE_EARLIEST = dt.date(1990, 1, 1)
START_DATE_MAX_YEARS_AHEAD = 5


def start_date_latest_year(today: dt.date | None = None) -> int:
    return (today or dt.date.today()).year + START_DATE_MAX_YEARS_AHEAD


def parse_start_date(text: str) -> dt.date | None:
    """Parse the feed's free-text go_live_date when it names one clear calendar date, else None.

    "11/07/2005", "May 17, 2004", "[08/02/04]", "Date the court started using CM/ECF June 16, 2003"
    parse; month-only ("October 1997"), several dates ("Civil: …; Criminal: …") and text with other
    numbers ("6.1 date 2/15/2014", "version 3.1.2 - Oct. 16, 2006") do not: guessing would be worse
    than keeping only the raw text. Only a two-digit year takes a century ("6/1/07" is 2007);
    "01/01/0001" is the year 1, which `feed_court_problem` refuses. Never raises.
    """
    if not text:
        return None
    found: list[tuple[dt.date, tuple[int, int]]] = []
    for pattern, order in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            try:
                if order == "mdy":
                    month, day, year = int(match[1]), int(match[2]), int(match[3])
                    if len(match[3]) == 2:
                        year += 2000 if year < 70 else 1900
                elif order == "Mdy":
                    month, day, year = _month_number(match[1]), int(match[2]), int(match[3])
                else:
                    day, month, year = int(match[1]), _month_number(match[2]), int(match[3])
                found.append((dt.date(year, month, day), match.span()))
            except ValueError:
                continue
    if len(found) != 1:
        return None
    day, (start, end) = found[0]
    rest = text[:start] + text[end:]
    if re.search(r"\d", rest):
        return None
    return day


def _objects(value, field_name: str, what: str) -> list[dict]:
    """The objects of a list field: [] when missing or null. The feed writes a list, or — for a list
    with gaps in its numbering, as PHP encodes one (five courts' offices in the real feed) — an object
    keyed "0", "1", "4": its values in key order. _NotObjects for any other value or item."""
    if value is None:
        return []
    if isinstance(value, dict) and all(isinstance(k, str) and k.isdigit() for k in value):
        value = [value[k] for k in sorted(value, key=int)]
    if not isinstance(value, list):
        raise _NotObjects(field_name, value, f"a list of {what}s")
    for number, item in enumerate(value, start=1):
        if not isinstance(item, dict):
            raise _NotObjects(field_name, item, f"an object ({what})", item=number)
    return value


def _help_desk_phones(value) -> list[str]:
    phones: list[str] = []
    for entry in _objects(value, "help_desk", "help desk"):
        phone = _text(entry.get("phone"), "help_desk.phone")
        if not phone:
            continue
        # The feed gives the help desk's extension apart ("phoneExt"): the number alone reaches the
        # court's switchboard, not its CM/ECF desk.
        extension = _text(entry.get("phoneExt"), "help_desk.phoneExt")
        if extension:
            phone = f"{phone} Ext. {extension}"
        division = _text(entry.get("division"), "help_desk.division")
        label = f"{phone} ({division})" if division and "@" not in division and "http" not in division else phone
        if label not in phones:
            phones.append(label)
    return phones


def _locations(value) -> list[dict]:
    """The court's offices (`_objects`)."""
    keys = ("name", "address", "email", "hours", "phone")
    offices = _objects(value, "locations", "office")
    return [{k: _text(loc.get(k), f"locations.{k}") for k in keys if loc.get(k)} for loc in offices]


def _shown(value, length: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= length else text[: length - 1] + "…"


# (Court field, the feed's name for it): texts a court record stores, checked against the column's
# length instead of being cut to it. The display name last: it is built from the others.
_LENGTH_CHECKED = (("feed_name", "court_name"), ("title", "title"), ("circuit", "circuit"),
                   ("software_version", "software_version"), ("cmecf_start_text", "go_live_date"), ("name", "name"))
# A help desk (phone, extension, division) goes out in every notice to the court's filers and an office's
# texts on its page; JSON fields have no column length to stop one of thousands of characters. The real
# feed's longest are about 130 and 300.
HELP_DESK_MAX_LENGTH = 200
OFFICE_TEXT_MAX_LENGTH = 500


def circuit_problem(circuit: str) -> str | None:
    """Why `circuit` is not one of CIRCUITS, or None; no circuit passes (only an appeals court needs one)."""
    if circuit and circuit not in CIRCUITS:
        return f"{_shown(circuit)} is not a circuit (01 to 11, DC or FC)"
    return None


def feed_court_problem(court: FeedCourt) -> tuple[str, str] | None:
    """(field, reason) of the first fact of a court record that cannot be stored as it is, or None:
    a court id that is not letters and digits, an address that is not http(s) (`javascript:`,
    `data:`, …), a CM/ECF code longer than 16, a character no field may hold
    (`courts.input_checks.bad_character`), a circuit that is not letters and digits (it is in the
    address of its public page and calendar) or not one of `CIRCUITS` (or none for an appeals court),
    a text longer than its column or, for a help desk or an office, than HELP_DESK_MAX_LENGTH or
    OFFICE_TEXT_MAX_LENGTH (never cut), a start date outside START_DATE_EARLIEST …
    START_DATE_MAX_YEARS_AHEAD years from today. The feed and the catalog refuse the whole import on one."""
    if not is_court_id(court.court_id):
        return "court_id", f"{_shown(court.court_id)} is not a court id (letters and digits, at most 16)"
    for name in ("login_url", "web_url", "rss_url"):
        problem = web_address_problem(getattr(court, name))
        if problem:
            return name, problem
    if len(court.cmecf_code) > 16:
        return "login_url", f"the CM/ECF code {_shown(court.cmecf_code)} in the address is longer than 16 characters"
    texts = [("name", court.name), ("court_name", court.feed_name), ("title", court.title), ("circuit", court.circuit),
             ("software_version", court.software_version), ("go_live_date", court.cmecf_start_text),
             *(("help_desk", phone) for phone in court.help_desk_phones),
             *((f"locations.{key}", value) for location in court.locations for key, value in location.items())]
    for name, text in texts:
        problem = bad_character(text)
        if problem:
            return name, problem
    if court.circuit and not is_circuit(court.circuit):
        return "circuit", f"{_shown(court.circuit)}: {CIRCUIT_SHAPE}"
    for column, name in _LENGTH_CHECKED:
        text, limit = getattr(court, column), Court._meta.get_field(column).max_length
        if len(text) > limit:
            return name, f"{_shown(text)} is longer than {limit} characters"
    texts = [*(("help_desk", phone, HELP_DESK_MAX_LENGTH) for phone in court.help_desk_phones),
             *((f"locations.{key}", value, OFFICE_TEXT_MAX_LENGTH)
               for location in court.locations for key, value in location.items())]
    for name, text, limit in texts:
        if len(text) > limit:
            return name, f"{_shown(text)} is longer than {limit} characters"
    # An appeals court's time zone and name come from its circuit (courts.timezones): read without a
    # known one, it would silently take Washington's zone.
    if problem := circuit_problem(court.circuit):
        return "circuit", problem
    if not court.circuit and court.court_type == "appellate":
        return "circuit", "missing: an appeals court's time zone and name follow its circuit (01 to 11, DC or FC)"
    day, latest = court.cmecf_start_date, start_date_latest_year()
    if day is not None and not (START_DATE_EARLIEST <= day and day.year <= latest):
        return "go_live_date", (f"{_shown(court.cmecf_start_text)} reads as {day.isoformat()}, which is not a "
                                f"plausible CM/ECF start date ({START_DATE_EARLIEST.year} to {latest})")
    return None


def parse_feed(payload) -> tuple[list[FeedCourt], list[FeedSkip]]:
    """Turn the feed's JSON into court records and skipped entries, or raise FeedError naming the entry;
    a feed with no court (none listed, or only entries that are not courts) is refused as broken."""
    if isinstance(payload, dict):
        if "data" not in payload:
            raise FeedError("The feed has no 'data' list: this is not the PACER Court CM/ECF Lookup feed.")
        entries = payload["data"]
    else:
        entries = payload
    if not isinstance(entries, list):
        raise FeedError("The feed's 'data' is not a list of courts.")
    courts: list[FeedCourt] = []
    skipped: list[FeedSkip] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise FeedError(f"Entry {index} of the feed is not an object.")
        try:
            written = _text(entry.get("court_id"), "court_id")
        except _NotText as exc:
            raise FeedError(f"Entry {index} of the feed, court_id: {exc.reason()}.") from None
        court_id = written.upper()  # court ids are compared ignoring case: "mtdc" is MTDC
        if not court_id:
            title = entry.get("title") if isinstance(entry.get("title"), str) else ""
            title = html.unescape(title).strip() or "no title"
            raise FeedError(f"Entry {index} of the feed ({BAD_CHARACTERS.sub('?', title)[:60]}) has no court_id.")
        if not is_court_id(court_id):
            raise FeedError(f"Entry {index} of the feed, court_id: {_shown(court_id)} is not a court id "
                            "(letters and digits, at most 16).")
        if court_id in seen:
            spelling = f" (written {written})" if written != court_id else ""
            raise FeedError(f"Entry {index} of the feed repeats court_id {court_id}{spelling}.")
        seen.add(court_id)
        if court_id in NOT_COURTS:
            skipped.append(FeedSkip(court_id, NOT_COURTS[court_id]))
            continue
        try:
            court = _feed_court(entry, court_id)
        except _NotText as exc:
            raise FeedError(f"Entry {index} of the feed ({court_id}), {exc.field_name}: {exc.reason()}.") from None
        if court is None:
            raise FeedError(f"Entry {index} of the feed ({court_id}) has an unknown type {_shown(entry.get('type'))}.")
        courts.append(court)
        problem = feed_court_problem(court)
        if problem:
            field_name = {"name": "court_name or title"}.get(problem[0], problem[0])
            raise FeedError(f"Entry {index} of the feed ({court_id}), {field_name}: {problem[1]}.")
    if not courts:
        # Imported, it would name every stored court as no longer in the feed and report success.
        only = f" (only {', '.join(skip.court_id for skip in skipped)}, which is not one)" if skipped else ""
        raise FeedError(f"The feed lists no courts{only}: it is broken or cut short, as the real feed lists every "
                        "federal court.")
    return courts, skipped


def _feed_court(entry: dict, court_id: str) -> FeedCourt | None:
    """The court record of one feed entry, None when its type is not one of TYPES; _NotText for a
    field that is not text. Nothing is cut to its column: `feed_court_problem` refuses what is too long."""
    raw_type = _text(entry.get("type"), "type").lower()
    if raw_type not in TYPES:
        return None
    court_type = TYPES[raw_type]
    circuit = _text(entry.get("circuit"), "circuit").upper()
    title = _text(entry.get("title"), "title")
    feed_name = _text(entry.get("court_name"), "court_name")
    name = feed_name
    if not name or not any(word in name.lower() for word in _COURT_NAME_WORDS):
        name = title or court_id
    if court_type == "bankruptcy" and "bankruptcy" not in name.lower() and title:
        # A bankruptcy court's court_name is its district's ("District of Montana"): use its title.
        name = title
    if court_id.endswith("BAP") and circuit in _ORDINALS:
        # The feed gives a BAP its circuit's appeals-court name; keep the two apart.
        name = f"Bankruptcy Appellate Panel for the {_ORDINALS[circuit]} Circuit"
    login_url = _text(entry.get("login_url"), "login_url")
    state, zone = state_and_time_zone(court_id, court_type, circuit)
    start_text = _text(entry.get("go_live_date"), "go_live_date")
    return FeedCourt(
        court_id=court_id,
        cmecf_code=cmecf_code_from_url(login_url),
        name=display_name(court_id=court_id, court_type=court_type, circuit=circuit, name=name, title=title),
        feed_name=feed_name,
        title=title,
        court_type=court_type,
        circuit=circuit,
        state=state,
        time_zone=zone,
        login_url=login_url.rstrip("/"),
        web_url=_text(entry.get("web_url"), "web_url"),
        rss_url=_text(entry.get("rss_url"), "rss_url"),
        help_desk_phones=_help_desk_phones(entry.get("help_desk")),
        locations=_locations(entry.get("locations")),
        software_version=_text(entry.get("software_version"), "software_version"),
        cmecf_start_text=start_text,
        cmecf_start_date=parse_start_date(start_text),
    )
