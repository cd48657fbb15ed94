"""CSV imports a court's staff run: the roster of registered filers and the CM/ECF link report.

Both stream the file, check every row (reporting each bad one by line number and reason), stage
the good rows in a temporary table, and then work set-based in SQL: a dry run counts what would be
created, updated and left alone; applying writes everything in one transaction, or nothing.
"""
from accounts.imports.reading import ImportError_, ImportReport, RowError  # noqa: F401
