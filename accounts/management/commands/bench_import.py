"""Benchmark the roster import against a plain PostgreSQL COPY of the same rows into the same tables."""
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

from accounts.imports.roster import roster_import
from accounts.models import normalize_name
from courts.models import Court


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Command(BaseCommand):
    help = ("Generate a roster of N rows, import it (apply), print rows/s and peak memory, then time a plain "
            "PostgreSQL COPY of the same rows into the same tables and print the ratio.")

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
        rss_before = maxrss_mb()
        started = time.monotonic()
        last = [0.0]

        def progress(phase, n):
            now = time.monotonic()
            if now - last[0] > 2 or phase == "writing":
                last[0] = now
                self.stdout.write(f"  {phase}: {n:,} rows ({now - started:.1f} s)")

        report = roster_import(court, path, apply=True, progress=progress)
        elapsed = time.monotonic() - started
        self.stdout.write(report.summary())
        self.stdout.write(f"Import: {rows:,} rows in {elapsed:.1f} s = {rows / elapsed:,.0f} rows/s; "
                          f"peak RSS {maxrss_mb():.0f} MB (grew {maxrss_mb() - rss_before:.0f} MB during the import)")
        if connection.vendor != "postgresql":
            self.stdout.write("COPY comparison: PostgreSQL only (this database is SQLite).")
        else:
            copy_s, checks_s = self.time_copy(path, court, tag)
            self.stdout.write(f"Plain COPY of the same rows into the same three tables: {copy_s:.1f} s "
                              f"(import / COPY = {elapsed / copy_s:.2f}x), plus {checks_s:.1f} s for the foreign-key "
                              f"checks a committed COPY must pass (the import pays them at its commit): "
                              f"{copy_s + checks_s:.1f} s; import / (COPY + checks) = {elapsed / (copy_s + checks_s):.2f}x")
        if not keep:
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM accounts_cmecfaccount WHERE court_id = %s", [court.pk])
                cursor.execute("DELETE FROM accounts_filer WHERE email LIKE %s", [f"b{tag}.%"])
                cursor.execute("DELETE FROM accounts_paceraccount WHERE username LIKE %s", [f"pb{tag}%"])
                if connection.vendor == "postgresql":
                    # The deleted rows stay in the tables and their indexes until vacuumed (and autovacuum
                    # may be off): without this every run starts from bigger tables than the last.
                    self.stdout.write("Vacuuming the three tables (not timed) …")
                    cursor.execute("VACUUM (ANALYZE) accounts_paceraccount, accounts_filer, accounts_cmecfaccount")
        path.unlink(missing_ok=True)

    def time_copy(self, path: Path, court: Court, tag: str) -> float:
        """COPY the file's rows (keys prefixed so they do not collide) into PACER accounts, filers and CM/ECF
        accounts with the same indexes, in a transaction rolled back afterwards.

        Returns (COPY seconds, seconds of the deferred foreign-key checks run after it)."""
        now = dt.datetime.now(dt.timezone.utc)
        started = time.monotonic()
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT COALESCE(MAX(id), 0) + 10000000 FROM accounts_filer")
                    filer_base = cursor.fetchone()[0]
                    cursor.execute("SELECT COALESCE(MAX(id), 0) + 10000000 FROM accounts_paceraccount")
                    pacer_base = cursor.fetchone()[0]
                    raw = cursor.cursor
                    tables = (
                        ("accounts_paceraccount", "id, username, account_type, holder_name, name_key, created_on, upgraded, created_at, updated_at",
                         lambda i, r: (pacer_base + i, "x" + r[3], "individual", r[0], normalize_name(r[0]), r[4], r[5] == "yes", now, now)),
                        ("accounts_filer", "id, name, email, pacer_account_id, created_at, updated_at",
                         lambda i, r: (filer_base + i, r[0], "x" + r[1], pacer_base + i, now, now)),
                        ("accounts_cmecfaccount", "filer_id, court_id, login, cmecf_name, name_key, name_review, created_at, updated_at",
                         lambda i, r: (filer_base + i, court.pk, "x" + r[2], r[0], normalize_name(r[0]), "", now, now)),
                    )
                    for table, columns, make in tables:
                        with open(path, newline="", encoding="utf-8") as handle:
                            reader = csv.reader(handle)
                            next(reader)
                            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                                for i, row in enumerate(reader):
                                    copy.write_row(make(i, row))
                    elapsed = time.monotonic() - started
                    # The foreign keys are deferred: a COPY that commits runs their checks at COMMIT, as
                    # the import does. Run them now, timed apart, before rolling back.
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    checks = time.monotonic() - started - elapsed
                raise _Rollback(elapsed, checks)
        except _Rollback as done:
            return done.elapsed, done.checks


class _Rollback(Exception):
    def __init__(self, elapsed: float, checks: float):
        self.elapsed, self.checks = elapsed, checks
