"""Benchmark the roster import against a plain PostgreSQL COPY of the same rows into the same tables.

What the COPY baseline measures (PostgreSQL only), so the ratio means what it says:
- the same N rows, already in their stored form (PACER accounts, filers, CM/ECF accounts with the
  name keys the import computes), rendered as COPY text into three files *before* the timing starts:
  reading and checking the CSV, which the import must do, is not in the baseline;
- streamed with COPY FROM STDIN into the same three tables, with all their indexes, starting from
  the same state as the import (the COPY runs first, is rolled back and the tables vacuumed);
- plus its deferred foreign-key checks (SET CONSTRAINTS ALL IMMEDIATE, timed apart), which its
  COMMIT would run: a plain COPY into these tables is not done until they pass, and the import's
  time includes the same checks at its own commit. import / (COPY + checks) is the like-for-like
  ratio, printed first. import / COPY statements alone is printed too; it charges the import for
  checks the baseline skips, so it grows whenever both get faster (dropping an index nobody reads
  shortens the COPY and the import by the same seconds, and raises that ratio).
"""
from __future__ import annotations

import csv
import datetime as dt
import resource
import tempfile
import time
import uuid
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from accounts.imports.roster import name_key, roster_import
from courts.models import Court

COPY_BLOCK = 1 << 20
# The three tables in the order their foreign keys need, with the columns the import writes.
COPY_TABLES = (
    ("accounts_paceraccount", "id, username, account_type, holder_name, name_key, created_on, upgraded, created_at, updated_at"),
    ("accounts_filer", "id, name, email, pacer_account_id, created_at, updated_at"),
    ("accounts_cmecfaccount", "filer_id, court_id, login, cmecf_name, name_key, name_review, created_at, updated_at"),
)


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def copy_text(value) -> str:
    """One value in COPY's text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text = value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class Command(BaseCommand):
    help = ("Generate a roster of N rows, time a plain PostgreSQL COPY of the same rows into the same tables "
            "(rolled back), then import the roster (apply) and print rows/s, peak memory, where the time went "
            "and the ratio to the COPY.")

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=100_000)
        parser.add_argument("--keep", action="store_true", help="Keep the imported rows (deleted by default).")

    def handle(self, *args, rows: int, keep: bool, **options):
        court, _ = Court.objects.get_or_create(
            court_id="BENCHDC", defaults={"name": "Benchmark District", "court_type": "district", "cmecf_code": "benchd"}
        )
        tag = uuid.uuid4().hex[:6]
        path = Path(tempfile.gettempdir()) / f"bench-roster-{tag}.csv"
        self.stdout.write(f"Writing {rows:,} rows to {path} …")
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["name", "email", "cmecf_login", "pacer_username", "pacer_created_on", "upgraded", "shared_account"])
            for i in range(rows):
                writer.writerow([f"Bench Filer {i}", f"b{tag}.{i}@example.com", f"b{tag}{i}", f"pb{tag}{i}",
                                 (dt.date(2005, 1, 1) + dt.timedelta(days=i % 7000)).isoformat(), "yes" if i % 3 else "no", "no"])
        copy = None
        if connection.vendor == "postgresql":
            copy = self.time_copy(path, court)
        else:
            self.stdout.write("COPY comparison: PostgreSQL only (this database is SQLite).")

        rss_before = maxrss_mb()
        started = time.monotonic()
        marks: list[tuple[str, float]] = []
        last = [0.0]

        def progress(phase, n):
            now = time.monotonic()
            if phase != "read":
                marks.append((phase, now - started))
            if now - last[0] > 2 or phase != "read":
                last[0] = now
                self.stdout.write(f"  {phase}: {n:,} rows ({now - started:.1f} s)")

        report = roster_import(court, path, apply=True, progress=progress)
        elapsed = time.monotonic() - started
        marks.append(("done", elapsed))
        self.stdout.write(report.summary())
        self.stdout.write(f"Import: {rows:,} rows in {elapsed:.1f} s = {rows / elapsed:,.0f} rows/s; "
                          f"peak RSS {maxrss_mb():.0f} MB (grew {maxrss_mb() - rss_before:.0f} MB during the import)")
        split, before = [], 0.0
        for phase, at in marks:
            split.append(f"{phase} {at - before:.1f} s")
            before = at
        self.stdout.write("  time until each step (from the previous one): " + ", ".join(split))
        if copy is not None:
            copy_s, checks_s = copy
            landed = copy_s + checks_s
            self.stdout.write(
                f"Plain COPY of the same {rows:,} rows into the same three tables (rows pre-rendered as COPY text "
                f"before timing, all indexes, same starting state, rolled back): COPY statements {copy_s:.1f} s + "
                f"the deferred foreign-key checks its commit runs {checks_s:.1f} s = {landed:.1f} s")
            self.stdout.write(f"  import / COPY = {elapsed / landed:.2f}x (like for like: both include the foreign-key checks)")
            self.stdout.write(f"  import / COPY statements alone = {elapsed / copy_s:.2f}x (the import's time still includes its checks)")
        if not keep:
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM accounts_auditentry WHERE court_id = %s", [court.pk])
                cursor.execute("DELETE FROM accounts_cmecfaccount WHERE court_id = %s", [court.pk])
                cursor.execute("DELETE FROM accounts_filer WHERE email LIKE %s", [f"b{tag}.%"])
                cursor.execute("DELETE FROM accounts_paceraccount WHERE username LIKE %s", [f"pb{tag}%"])
            self.vacuum()
        path.unlink(missing_ok=True)

    def vacuum(self) -> None:
        if connection.vendor == "postgresql":
            # Deleted or rolled-back rows stay in the tables and their indexes until vacuumed (and autovacuum
            # may be off): without this every run, and the import after the COPY, starts from bigger tables.
            self.stdout.write("Vacuuming the three tables (not timed) …")
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE) accounts_paceraccount, accounts_filer, accounts_cmecfaccount")

    def time_copy(self, path: Path, court: Court) -> tuple[float, float]:
        """COPY the file's rows, in the form the import stores them, into PACER accounts, filers and CM/ECF
        accounts, in a transaction rolled back afterwards; then vacuum, so the import starts from the same state.

        Steps: (1) untimed: one pass over the CSV renders each table's rows as COPY text into a temporary
        file (ids from just above the current ones, so the filers point at their PACER accounts);
        (2) timed: stream the three files with COPY FROM STDIN; (3) timed apart: the deferred foreign-key
        checks; (4) roll back and vacuum. Returns (COPY seconds, foreign-key check seconds)."""
        now = dt.datetime.now(dt.timezone.utc)
        with connection.cursor() as cursor:
            cursor.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM accounts_paceraccount")
            pacer_base = cursor.fetchone()[0]
            cursor.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM accounts_filer")
            filer_base = cursor.fetchone()[0]
        self.stdout.write("Rendering the rows as COPY text for the baseline (not timed) …")
        files = [tempfile.TemporaryFile("w+b") for _ in COPY_TABLES]
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            next(reader)
            for i, (name, email, login, username, created_on, upgraded, _shared) in enumerate(reader):
                key = name_key(name)
                rows = (
                    (pacer_base + i, username, "individual", name, key, created_on, upgraded == "yes", now, now),
                    (filer_base + i, name, email.lower(), pacer_base + i, now, now),
                    (filer_base + i, court.pk, login, name, key, "", now, now),
                )
                for out, row in zip(files, rows):
                    out.write(("\t".join(copy_text(v) for v in row) + "\n").encode())
        try:
            with transaction.atomic():
                raw = connection.cursor().cursor
                started = time.monotonic()
                for (table, columns), data in zip(COPY_TABLES, files):
                    data.seek(0)
                    with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        while block := data.read(COPY_BLOCK):
                            copy.write(block)
                elapsed = time.monotonic() - started
                # The foreign keys are deferred: a COPY that commits runs their checks at COMMIT, as
                # the import does. Run them now, timed apart, before rolling back.
                raw.execute("SET CONSTRAINTS ALL IMMEDIATE")
                checks = time.monotonic() - started - elapsed
                raise _Rollback(elapsed, checks)
        except _Rollback as done:
            result = (done.elapsed, done.checks)
        finally:
            for data in files:
                data.close()
        self.stdout.write(f"  COPY {result[0]:.1f} s, foreign-key checks {result[1]:.1f} s")
        self.vacuum()
        return result


class _Rollback(Exception):
    def __init__(self, elapsed: float, checks: float):
        self.elapsed, self.checks = elapsed, checks
