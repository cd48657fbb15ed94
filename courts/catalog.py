"""The project's built-in catalog of federal courts, so a machine with no internet still has every court.

`courts/data/court_catalog.csv` holds the facts (ids, names, types, circuits, CM/ECF codes, time
zones, CM/ECF sites, help desks); the PACER feed, when imported, updates them and adds the rest.
"""
from __future__ import annotations

import csv
from pathlib import Path

from courts.names import display_name
from courts.pacer_feed import FeedCourt

CATALOG_PATH = Path(__file__).resolve().parent / "data" / "court_catalog.csv"


def catalog_courts(path: Path = CATALOG_PATH) -> list[FeedCourt]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            FeedCourt(
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
            for row in csv.DictReader(handle)
        ]
