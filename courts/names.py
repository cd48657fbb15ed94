"""A court's display name, derived once from the feed's structured fields instead of its free text.

The feed's `court_name` is typed by each court and carries noise: status ("[live]", "(live)", "Live
Database"), releases ("Nextgen 1.6", "[nextgen Cm/ecf Release 1.7 (revision 1.7.1.1)]"), offices
("- Main Office (syracuse)") and web addresses. Its `court_id` (state prefix, district letter, type
suffix), `type` and `circuit` are regular, so the display name is built from those:

- district:    "U.S. District Court for the Middle District of Alabama"
- bankruptcy:  "U.S. Bankruptcy Court for the District of Montana"
- territories: "District Court of Guam", "District Court of Guam, Bankruptcy Division"
- appeals:     "U.S. Court of Appeals for the Ninth Circuit"; BAPs: "Bankruptcy Appellate Panel for the Ninth Circuit"
- national:    a known court's official name, else the title with the noise removed.

An entry whose id does not follow the pattern falls back to `clean_text` of its title or name. An
administrator's name (Court.name_overridden) is kept by every import (`courts.services`).
"""
from __future__ import annotations

import re

from courts.timezones import STATES

DIRECTIONS = {"N": "Northern", "S": "Southern", "E": "Eastern", "W": "Western", "M": "Middle", "C": "Central"}
TYPE_SUFFIXES = {"district": ("DC", "AD"), "bankruptcy": ("BK",)}
# Suffixes that are a second database of a district court, not another court.
SUFFIX_QUALIFIERS = {"AD": "asbestos cases"}
ORDINALS = {
    "01": "First", "02": "Second", "03": "Third", "04": "Fourth", "05": "Fifth", "06": "Sixth",
    "07": "Seventh", "08": "Eighth", "09": "Ninth", "10": "Tenth", "11": "Eleventh",
    "DC": "District of Columbia", "FC": "Federal",
}
NATIONAL = {
    "CITDC": "U.S. Court of International Trade",
    "SCOTUS": "Supreme Court of the United States",
    "USFCC": "U.S. Court of Federal Claims",
    "JPMLDC": "Judicial Panel on Multidistrict Litigation",
}
# Territorial courts: (district court's name, what follows "District of").
TERRITORIES = {
    "GU": ("District Court of Guam", "Guam"),
    "NMI": ("District Court for the Northern Mariana Islands", "the Northern Mariana Islands"),
    "VI": ("District Court of the Virgin Islands", "the Virgin Islands"),
}

_NOISE = [
    re.compile(r"\[[^\]]*\]?"),                                   # [live], [nextgen … ]
    re.compile(r"\((?:live|test|train(?:ing)?)\)", re.I),          # (live)
    re.compile(r"\blive\s+(?:database|system)\b", re.I),          # Live Database, Live System
    re.compile(r"\b(?:cm/ecf\s+)?nextgen\b.*$", re.I),            # Nextgen 1.6 …, Cm/ecf Nextgen 1.6.3
    re.compile(r"\brelease\s+[\d.]+.*$", re.I),
    re.compile(r"\s-\s*main office.*$", re.I),                    # - Main Office (syracuse)
    re.compile(r"\b(?:https?://)?www\.\S+", re.I),                 # Www.wiwb.uscourts.gov
    re.compile(r"\blive\b", re.I),
]
_SMALL_WORDS = {"of", "for", "the", "on", "and"}


def clean_text(text: str) -> str:
    """Remove status, release, office and web-address noise from a free-text court name."""
    for pattern in _NOISE:
        text = pattern.sub(" ", text)
    text = re.sub(r"\s+", " ", text).strip(" -–,")
    words = text.split(" ")
    # Lower-case joining words the feed capitalises ("Panel On Multidistrict").
    return " ".join(w.lower() if i and w.lower() in _SMALL_WORDS else w for i, w in enumerate(words))


def _split_court_id(court_id: str, court_type: str) -> tuple[str, str, str] | None:
    """MTDC → ("MT", "", "DC"); ALMBK → ("AL", "M", "BK"); NMIDC → ("NMI", "", "DC"); None when irregular."""
    court_id = court_id.upper()
    for suffix in TYPE_SUFFIXES.get(court_type, ()):
        if not court_id.endswith(suffix):
            continue
        stem = court_id[: -len(suffix)]
        # A district letter after OHND: "OHNDAD" is OH, N, with the district court's "D" before "AD".
        if suffix == "AD" and stem.endswith("D"):
            stem = stem[:-1]
        for prefix in ("NMI", stem[:2]):
            rest = stem[len(prefix):]
            if stem.startswith(prefix) and prefix in STATES and (rest == "" or rest in DIRECTIONS):
                return prefix, rest, suffix
    return None


def district_phrase(prefix: str, direction: str) -> str:
    """("AL", "M") → "Middle District of Alabama"; ("VI", "") → "District of the Virgin Islands"."""
    place = TERRITORIES[prefix][1] if prefix in TERRITORIES else STATES[prefix][0]
    return f"{DIRECTIONS[direction]} District of {place}" if direction else f"District of {place}"


def display_name(*, court_id: str, court_type: str, circuit: str = "", name: str = "", title: str = "") -> str:
    """The court's display name (see the module docstring); never empty."""
    court_id = court_id.upper()
    if court_type in TYPE_SUFFIXES:
        parts = _split_court_id(court_id, court_type)
        if parts:
            prefix, direction, suffix = parts
            qualifier = f", {SUFFIX_QUALIFIERS[suffix]}" if suffix in SUFFIX_QUALIFIERS else ""
            if prefix in TERRITORIES and not direction:
                court = TERRITORIES[prefix][0]
                return court + (", Bankruptcy Division" if court_type == "bankruptcy" else qualifier)
            kind = "Bankruptcy" if court_type == "bankruptcy" else "District"
            return f"U.S. {kind} Court for the {district_phrase(prefix, direction)}{qualifier}"
    if court_type == "appellate" and circuit.upper() in ORDINALS:
        circuit_name = f"{ORDINALS[circuit.upper()]} Circuit"
        if court_id.endswith("BAP"):
            return f"Bankruptcy Appellate Panel for the {circuit_name}"
        return f"U.S. Court of Appeals for the {circuit_name}"
    if court_id in NATIONAL:
        return NATIONAL[court_id]
    return clean_text(title) or clean_text(name) or court_id


def help_desk_name(display: str) -> str:
    """"CM/ECF help desk of the U.S. District Court for the District of Montana" — the court's own desk."""
    return f"CM/ECF help desk of the {display}"
