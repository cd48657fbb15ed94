"""Which IANA time zone a court keeps, derived from its state or territory.

A go-live date is a calendar date in the court's own time zone, so this matters: Guam starts its day
14 hours before Hawaii does. States that span two zones get the zone of the court's seat; the few
courts whose seat differs from their state's main zone are listed in COURT_OVERRIDES. An
administrator can still override any court (Court.time_zone_overridden).
"""
from __future__ import annotations

# Two- or three-letter prefix of a PACER court_id → (state or territory, IANA time zone).
STATES: dict[str, tuple[str, str]] = {
    "AK": ("Alaska", "America/Anchorage"),
    "AL": ("Alabama", "America/Chicago"),
    "AR": ("Arkansas", "America/Chicago"),
    "AZ": ("Arizona", "America/Phoenix"),
    "CA": ("California", "America/Los_Angeles"),
    "CO": ("Colorado", "America/Denver"),
    "CT": ("Connecticut", "America/New_York"),
    "DC": ("District of Columbia", "America/New_York"),
    "DE": ("Delaware", "America/New_York"),
    "FL": ("Florida", "America/New_York"),
    "GA": ("Georgia", "America/New_York"),
    "GU": ("Guam", "Pacific/Guam"),
    "HI": ("Hawaii", "Pacific/Honolulu"),
    "IA": ("Iowa", "America/Chicago"),
    "ID": ("Idaho", "America/Boise"),
    "IL": ("Illinois", "America/Chicago"),
    "IN": ("Indiana", "America/Indiana/Indianapolis"),
    "KS": ("Kansas", "America/Chicago"),
    "KY": ("Kentucky", "America/New_York"),
    "LA": ("Louisiana", "America/Chicago"),
    "MA": ("Massachusetts", "America/New_York"),
    "MD": ("Maryland", "America/New_York"),
    "ME": ("Maine", "America/New_York"),
    "MI": ("Michigan", "America/Detroit"),
    "MN": ("Minnesota", "America/Chicago"),
    "MO": ("Missouri", "America/Chicago"),
    "MS": ("Mississippi", "America/Chicago"),
    "MT": ("Montana", "America/Denver"),
    "NC": ("North Carolina", "America/New_York"),
    "ND": ("North Dakota", "America/Chicago"),
    "NE": ("Nebraska", "America/Chicago"),
    "NH": ("New Hampshire", "America/New_York"),
    "NJ": ("New Jersey", "America/New_York"),
    "NM": ("New Mexico", "America/Denver"),
    "NMI": ("Northern Mariana Islands", "Pacific/Saipan"),
    "NV": ("Nevada", "America/Los_Angeles"),
    "NY": ("New York", "America/New_York"),
    "OH": ("Ohio", "America/New_York"),
    "OK": ("Oklahoma", "America/Chicago"),
    "OR": ("Oregon", "America/Los_Angeles"),
    "PA": ("Pennsylvania", "America/New_York"),
    "PR": ("Puerto Rico", "America/Puerto_Rico"),
    "RI": ("Rhode Island", "America/New_York"),
    "SC": ("South Carolina", "America/New_York"),
    "SD": ("South Dakota", "America/Chicago"),
    "TN": ("Tennessee", "America/Chicago"),
    "TX": ("Texas", "America/Chicago"),
    "UT": ("Utah", "America/Denver"),
    "VA": ("Virginia", "America/New_York"),
    "VI": ("U.S. Virgin Islands", "America/St_Thomas"),
    "VT": ("Vermont", "America/New_York"),
    "WA": ("Washington", "America/Los_Angeles"),
    "WI": ("Wisconsin", "America/Chicago"),
    "WV": ("West Virginia", "America/New_York"),
    "WY": ("Wyoming", "America/Denver"),
}

# Courts whose seat keeps another zone than their state's main one.
COURT_OVERRIDES: dict[str, str] = {
    "TNEBK": "America/New_York",  # Knoxville / Chattanooga
    "TNEDC": "America/New_York",
}

# Appellate courts and BAPs: the circuit's seat.
CIRCUITS: dict[str, tuple[str, str]] = {
    "01": ("Massachusetts", "America/New_York"),
    "02": ("New York", "America/New_York"),
    "03": ("Pennsylvania", "America/New_York"),
    "04": ("Virginia", "America/New_York"),
    "05": ("Louisiana", "America/Chicago"),
    "06": ("Ohio", "America/New_York"),
    "07": ("Illinois", "America/Chicago"),
    "08": ("Missouri", "America/Chicago"),
    "09": ("California", "America/Los_Angeles"),
    "10": ("Colorado", "America/Denver"),
    "11": ("Georgia", "America/New_York"),
    "DC": ("District of Columbia", "America/New_York"),
    "FC": ("District of Columbia", "America/New_York"),
}

DEFAULT = ("District of Columbia", "America/New_York")


def state_and_time_zone(court_id: str, court_type: str, circuit: str) -> tuple[str, str]:
    """Return (state or territory, IANA zone) for a court of the PACER feed.

    Steps: appellate and national courts take their circuit's seat; district and bankruptcy courts
    take the state named by the court_id's prefix (NMI before the two-letter prefixes), then a court
    override when its seat keeps another zone.
    """
    court_id = court_id.upper()
    if court_type in ("appellate", "national"):
        return CIRCUITS.get(circuit, DEFAULT)
    prefix = "NMI" if court_id.startswith("NMI") else court_id[:2]
    state, zone = STATES.get(prefix, CIRCUITS.get(circuit, DEFAULT))
    return state, COURT_OVERRIDES.get(court_id, zone)


def format_in_zone(value, tz, *, with_seconds: bool = False) -> str:
    """An instant as the court (or user) reads it, with its zone: "2026-11-30 13:31 MST"; "—" for None."""
    if value is None:
        return "—"
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %Z" if with_seconds else "%Y-%m-%d %H:%M %Z")


def zone_label(tz) -> str:
    """ "America/Denver (MST now)": what a form that takes a time in this zone says."""
    import datetime as dt

    return f"{tz.key} ({dt.datetime.now(tz).strftime('%Z')} now)"
