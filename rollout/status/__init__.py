"""Public NextGen go-live status (no login, no filer data, no counts): `/status/`, a page per court and
per circuit, and the same facts (courts.selectors.golive_facts) as an iCalendar feed (`courts/calendar.py`,
built with the `icalendar` library) and as JSON. Feeds answer conditional requests (ETag / Last-Modified → 304)."""
