"""A temporary table per import run, filled fast: COPY on PostgreSQL, executemany elsewhere."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Sequence

from django.db import connection


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
        if connection.vendor == "postgresql":
            return list(row)  # psycopg adapts dates, datetimes and booleans itself
        out = []
        for value, column in zip(row, self.columns):
            if isinstance(value, dt.datetime):
                value = connection.ops.adapt_datetimefield_value(value)
            elif isinstance(value, dt.date):
                value = connection.ops.adapt_datefield_value(value)
            out.append(value)
        return out

    def write(self, rows: list[Sequence[Any]]) -> None:
        if not rows:
            return
        cols = ", ".join(self.columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {self.name} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(f"INSERT INTO {self.name} ({cols}) VALUES ({marks})", [self._adapt(r) for r in rows])

    def index(self, *columns: str) -> None:
        with connection.cursor() as cursor:
            for column in columns:
                cursor.execute(f"CREATE INDEX {self.name}_{column} ON {self.name} ({column})")
            if connection.vendor == "postgresql":
                cursor.execute(f"ANALYZE {self.name}")

    def drop(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.name}")


def fetch(sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def execute(sql: str, params: Sequence[Any] = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def db_now(value: dt.datetime) -> Any:
    """A datetime as a raw-SQL parameter for this database."""
    return value if connection.vendor == "postgresql" else connection.ops.adapt_datetimefield_value(value)
