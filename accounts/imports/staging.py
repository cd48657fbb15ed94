"""A temporary table per import run, filled fast: binary COPY on PostgreSQL, executemany elsewhere."""
from __future__ import annotations

import datetime as dt
import uuid
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

from django.db import connection
from psycopg.pq import TransactionStatus


# Stage column types as psycopg names them for a binary COPY.
_BINARY_TYPES = {"integer": "int4", "boolean": "bool", "timestamp with time zone": "timestamptz"}


class Stage:
    """A temporary table `columns` = [(name, sql type)], dropped by `drop()` (or at session end)."""

    def __init__(self, prefix: str, columns: Sequence[tuple[str, str]]):
        self.name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        self.columns = [c for c, _ in columns]
        self.types = dict(columns)
        with connection.cursor() as cursor:
            cols = ", ".join(f"{c} {t}" for c, t in columns)
            cursor.execute(f"CREATE TEMPORARY TABLE {self.name} ({cols})")

    def _adapt(self, row: Sequence[Any]) -> list[Any]:
        """A row as SQLite's driver takes it (psycopg's COPY adapts dates and times itself)."""
        out = []
        for value, column in zip(row, self.columns):
            if isinstance(value, dt.datetime):
                value = connection.ops.adapt_datetimefield_value(value)
            elif isinstance(value, dt.date):
                value = connection.ops.adapt_datefield_value(value)
            out.append(value)
        return out

    def write(self, rows: list[Sequence[Any]]) -> None:
        with self.writer() as write:
            for row in rows:
                write(row)

    @contextmanager
    def writer(self, batch: int = 10_000) -> Iterator[Callable[[Sequence[Any]], None]]:
        """A function that writes one row into the stage, for the length of the block.

        On PostgreSQL every row goes into one binary COPY, open until the block ends: the server
        stores the rows while Python reads the next ones, where a COPY per batch would wait for the
        server at the end of each. Binary, with the column types given once: psycopg dumps each value
        without looking up its adapter and the server has no text to parse (a third of the time of a
        text COPY). No other statement may run on the connection inside the block. Elsewhere rows
        are kept and inserted `batch` at a time."""
        if connection.vendor != "postgresql":
            pending: list[Sequence[Any]] = []

            def add(row: Sequence[Any]) -> None:
                pending.append(row)
                if len(pending) >= batch:
                    self._insert(pending)
                    pending.clear()

            yield add
            self._insert(pending)
            return
        cols = ", ".join(self.columns)
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {self.name} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types([_BINARY_TYPES.get(self.types[c], self.types[c]) for c in self.columns])
            yield copy.write_row

    def _insert(self, rows: list[Sequence[Any]]) -> None:
        if not rows:
            return
        cols = ", ".join(self.columns)
        marks = ", ".join(["%s"] * len(self.columns))
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {self.name} ({cols}) VALUES ({marks})", [self._adapt(r) for r in rows])

    def index(self, *columns: str) -> None:
        with connection.cursor() as cursor:
            for column in columns:
                cursor.execute(f"CREATE INDEX {self.name}_{column} ON {self.name} ({column})")
        self.analyze()

    def analyze(self) -> None:
        """Statistics for the planner (autovacuum never analyzes a temporary table): row counts and
        distinct values size its hashes and choose its joins."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {self.name}")

    def drop(self) -> None:
        if connection.vendor == "postgresql" and connection.connection.info.transaction_status == TransactionStatus.INERROR:
            # A failed statement (e.g. a COPY cut short by an unreadable line) aborted the transaction;
            # its rollback, which follows, takes the table away with it.
            return
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.name}")


def fetch(sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def report_rows(report, sql: str, params: Sequence[Any], error: Callable[[tuple], tuple]) -> int:
    """Report each row `sql` returns as a bad row (`error(row)` gives `add_error`'s arguments) and
    return how many there are. Only the rows the report still lists are fetched (a LIMIT); the rest
    are counted in SQL, so a file that is wrong on every line costs no memory for it."""
    from accounts.imports.reading import MAX_ERRORS_KEPT

    room = max(MAX_ERRORS_KEPT - len(report.errors), 0)
    rows = fetch(f"{sql} LIMIT %s", [*params, room]) if room else []
    for row in rows:
        report.add_error(*error(row))
    if len(rows) < room:
        return len(rows)
    total = fetch(f"SELECT COUNT(*) FROM ({sql}) q", params)[0][0]
    report.error_count += total - len(rows)
    return total


def execute(sql: str, params: Sequence[Any] = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def db_now(value: dt.datetime) -> Any:
    """A datetime as a raw-SQL parameter for this database."""
    return value if connection.vendor == "postgresql" else connection.ops.adapt_datetimefield_value(value)
