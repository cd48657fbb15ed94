"""The rollout dashboard: the overview of every court, each court's page, upcoming go-lives, exports.

Layout: `selectors.py` reads (scoped to the courts a user administers), `filters.py` and `tables.py`
describe what the pages filter and show, `exports.py` streams CSV and writes XLSX, `views.py` ties
them together thinly.
"""
