"""Public NextGen go-live status (no login, no filer data, no counts): `/status/`, a page per court,
and the same facts as an iCalendar feed (`calendar.py`, built with the `icalendar` library) and as
JSON. Feeds answer conditional requests (ETag / Last-Modified → 304)."""
