"""The project's built-in catalog of federal courts, so a machine with no internet still has every court.

`courts/data/court_catalog.csv` holds the facts (ids, names, types, circuits, CM/ECF codes, time
zones, CM/ECF sites, help desks); the PACER feed, when imported, updates them and adds the rest.
A catalog file is checked like the feed (`pacer_feed.feed_court_problem`: court ids, http(s)
addresses, characters no field may hold) and must be UTF-8: any fault refuses the whole file,
naming line and column.
"""
from __future__ import annotations

import csv
from pathlib import Path

from courts.input_checks import BAD_CHARACTERS, bad_character, byte_position, file_size_problem, line_ends
from django.core.exceptions import ValidationError

from courts.models import CourtType, validate_time_zone
from courts.names import display_name
from courts.pacer_feed import FeedCourt, FeedError, feed_court_problem

CATALOG_PATH = Path(__file__).resolve().parent / "data" / "court_catalog.csv"
COLUMNS = ("court_id", "cmecf_code", "name", "court_type", "circuit", "state", "time_zone", "login_url", "web_url",
           "help_desk_phone")
# The lengths of the Court fields the catalog fills that the feed record does not check itself.
MAX_LENGTHS = {"cmecf_code": 16, "name": 200, "circuit": 4, "state": 64, "time_zone": 64}


def catalog_courts(path: Path = CATALOG_PATH) -> list[FeedCourt]:
    """Every court of a catalog file; FeedError naming the line and column of the first fault."""
    path = Path(path)
    if not path.is_file():
        raise FeedError(f"No such file: {path.name}")
    too_big = file_size_problem(path, path.name)
    if too_big:
        raise FeedError(too_big)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column = byte_position(raw, exc.start)
        raise FeedError(f"{path.name} is not UTF-8 text: line {line}, column {column} (byte 0x{raw[exc.start]:02X}).") from None
    reader = csv.DictReader(text.splitlines(keepends=True))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise FeedError(f"{path.name}, line 1: the header lacks {', '.join(missing)}.")
    courts = []
    seen: set[str] = set()
    for row in reader:
        if None in row or any(value is None for value in row.values()):
            raise FeedError(f"{path.name}, line {reader.line_num}: expected {len(COLUMNS)} columns.")
        where = f"{path.name}, line {reader.line_num - line_ends(''.join(row.values()))}"  # where the row starts
        for column in COLUMNS:
            problem = bad_character(row[column])
            if problem:
                raise FeedError(f"{where}, {column}: {problem}.")
            if column in MAX_LENGTHS and len(row[column]) > MAX_LENGTHS[column]:
                raise FeedError(f"{where}, {column}: longer than {MAX_LENGTHS[column]} characters.")
        if row["court_type"] not in CourtType.values:
            raise FeedError(f"{where}, court_type: {BAD_CHARACTERS.sub('?', row['court_type'])[:40]!r} is not one of "
                            f"{', '.join(CourtType.values)}.")
        try:
            validate_time_zone(row["time_zone"])
        except ValidationError as exc:
            raise FeedError(f"{where}, time_zone: {exc.messages[0]}") from None
        if row["court_id"] in seen:
            raise FeedError(f"{where}, court_id: {row['court_id']} is on an earlier line too.")
        seen.add(row["court_id"])
        court = FeedCourt(
            court_id=row["court_id"],
            cmecf_code=row["cmecf_code"],
            name=display_name(court_id=row["court_id"], court_type=row["court_type"], circuit=row["circuit"],
                              name=row["name"]),
            feed_name=row["name"],
            title="",
            court_type=row["court_type"],
            circuit=row["circuit"],
            state=row["state"],
            time_zone=row["time_zone"],
            login_url=row["login_url"],
            web_url=row["web_url"],
            help_desk_phones=[p for p in row["help_desk_phone"].split("; ") if p],
        )
        problem = feed_court_problem(court)
        if problem:
            raise FeedError(f"{where}, {'help_desk_phone' if problem[0] == 'help_desk' else problem[0]}: {problem[1]}.")
        courts.append(court)
    return courts
