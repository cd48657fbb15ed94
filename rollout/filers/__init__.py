"""The filer's own pages, opened from the personal link in every notice (no login, no password).

- `tokens.py`: signed, purpose-bound, expiring tokens (status page, address confirmation).
- `selectors.py`: the page's rows — every login of the filer with its readiness (the one readiness
  expression), go-live, open help requests — in a fixed number of queries.
- `views.py`: the status page, self-reports, help requests, address change, "send me a new link".
Writes go through `accounts.self_service`.
"""
