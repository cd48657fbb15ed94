"""The roster import: a court's registered filers, one CM/ECF login per row.

Columns: name, email, cmecf_login, pacer_username, pacer_created_on, upgraded, shared_account and,
optionally, cmecf_name (the name CM/ECF holds; the name when empty). A blank pacer_username leaves
the filer's PACER account as the tracker knows it.

Steps (`roster_import`): detect the encoding; stream the rows, checking each cell (bad rows are
reported with their line and reason); stage the good rows in a temporary table (on PostgreSQL one
binary COPY, open while the file is read); find which keys repeat in the file and, for those only,
the conflicts across the whole file in SQL (a login twice, one email with two names or PACER
accounts, one PACER username with two descriptions) — so memory stays flat whatever the size; count
what would be created / updated / unchanged with one joined query; and, when applying a file with
no bad row, record every change in the audit trail (`roster_audit`), write PACER accounts, filers
and CM/ECF accounts (`_roster_upsert`: three MERGE statements on PostgreSQL, INSERT … ON CONFLICT on
SQLite), record what they created, and recount the touched courts. All of it is one transaction reading one snapshot
(`import_transaction`): a record another session commits meanwhile refuses the import, never slips
past the checks.

MERGE rather than INSERT … ON CONFLICT: MERGE inserts the rows it finds no match for as plain inserts,
cheaper per row than ON CONFLICT's speculative insertion.
Where the time goes, against a plain COPY of the same rows: docs/performance.md (`bench_import`).
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Iterable

from django.db import connection, transaction
from django.utils import timezone

from accounts.audit import audit_who
from accounts.counts import court_counts_touch
from accounts.imports.common import import_begin, import_source, import_transaction
from accounts.imports.reading import (
    CellError, ImportReport, ProgressFn, csv_values, parse_bool, parse_date, parse_email, parse_login,
    parse_required,
)
from accounts.imports.identity import roster_identity
from accounts.imports.roster_audit import roster_audit_changes, roster_audit_creations
from accounts.imports.roster_classify import roster_classify, roster_list_rows
from accounts.imports.shared_facts import roster_shared_facts
from accounts.imports.staging import Stage, db_now, execute, fetch, report_rows
from accounts.models import NAME_KEY_LENGTH, PacerAccountType, normalize_name
from courts.models import Court

REQUIRED = ("name", "email", "cmecf_login", "pacer_username", "pacer_created_on", "upgraded", "shared_account")
OPTIONAL = ("cmecf_name",)
COLUMNS = (
    ("line", "integer"), ("login", "text"), ("cmecf_name", "text"), ("name_key", "text"), ("name", "text"),
    ("email", "text"), ("pacer_username", "text"), ("pacer_type", "text"), ("holder_name", "text"),
    ("holder_key", "text"), ("pacer_created_on", "date"), ("upgraded", "boolean"),
)
CHUNK_SIZE = 10_000

_SHARED, _INDIVIDUAL = str(PacerAccountType.SHARED), str(PacerAccountType.INDIVIDUAL)
CMECF, FILER, PACER = "accounts_cmecfaccount", "accounts_filer", "accounts_paceraccount"


_NOT_WORD = re.compile(r"[^\w\s]")
# What `_NOT_WORD` blanks out in ASCII text, as a bytes.translate table (a third of the time of the
# pattern): every ASCII character that is neither a word character nor whitespace, decided by the
# same pattern, becomes a space.
_ASCII_NOT_WORD = bytes(32 if c < 128 and _NOT_WORD.match(chr(c)) else c for c in range(256))


def name_key(name: str) -> str:
    """`normalize_name`, with a shortcut for plain-ASCII names (NFKD leaves them as they are and they
    carry no combining marks), which is nearly every name on a roster. Cut to NAME_KEY_LENGTH as
    `normalize_name` cuts it (the key is only compared, so cutting is safe; an ASCII key never grows,
    but it must equal `normalize_name`'s in every case)."""
    if name.isascii():
        key = " ".join(name.upper().encode("ascii").translate(_ASCII_NOT_WORD).decode("ascii").split())
        return key[:NAME_KEY_LENGTH]
    return normalize_name(name)


def roster_row(line: int, values: tuple[str, ...], today: dt.date) -> tuple:
    """One staged row from one CSV row's values (in `REQUIRED + OPTIONAL` order); raises CellError
    naming the field."""
    name, email, login, username, created_on, upgraded, shared, cmecf_name = values
    name = parse_required(name, "name", 200)
    email = parse_email(email)
    login = parse_login(login)
    cmecf_name = parse_required(cmecf_name or name, "cmecf_name", 200)
    if len(username) > 80:
        raise CellError("pacer_username", "pacer_username is longer than 80 characters")
    created_on = parse_date(created_on, "pacer_created_on", today=today)
    upgraded = parse_bool(upgraded, "upgraded")
    shared = parse_bool(shared, "shared_account")
    if not username:
        if shared or upgraded or created_on:
            raise CellError("pacer_username", "missing pacer_username for the PACER details given")
        return (line, login, cmecf_name, name_key(cmecf_name), name, email, None, None, None, None, None, False)
    cmecf_key = name_key(cmecf_name)
    if shared:
        pacer_type, holder, holder_key = _SHARED, "", ""
    else:
        pacer_type, holder = _INDIVIDUAL, name
        holder_key = cmecf_key if holder == cmecf_name else name_key(holder)
    return (line, login, cmecf_name, cmecf_key, name, email, username, pacer_type, holder, holder_key, created_on,
            upgraded)


def roster_import(
    court: Court | str, path: Path | str, *, apply: bool = False, by=None, file_name: str | None = None,
    allowed_court_ids: Iterable[int] | None = None, progress: ProgressFn | None = None,
    today: dt.date | None = None, chunk_size: int = CHUNK_SIZE,
) -> ImportReport:
    """Dry-run (default) or apply a roster file for one court. Raises ImportError_ for an unreadable file."""
    path, report, court = import_begin("roster", court, path, file_name=file_name, allowed_court_ids=allowed_court_ids)
    # "Not in the future" by the court's own calendar, as the link report reads it.
    today = today or court.local_today()
    with import_transaction():
        postgres = connection.vendor == "postgresql"
        if postgres:
            # The conflict checks and the writes group and hash-join every staged row; with the default
            # 4 MB they spill to disk at a million rows. This transaction only, on the server.
            execute("SET LOCAL work_mem = '64MB'")
        stage = Stage("roster_stage", COLUMNS)
        try:
            _roster_stage(stage, path, report, today, chunk_size, progress)
            if progress:
                progress("checking", report.rows)
            if postgres:
                # PostgreSQL answers every query below with one hash (aggregate or join) per pass over
                # the stage: indexes on it would cost more to build than they save.
                stage.analyze()
            else:
                stage.index("line", "login", "email", "pacer_username")
            repeated = {c for c in ("login", "email", "pacer_username") if _repeats(stage, c)}
            # Every row with a bad cell was reported once and not staged; the conflicting ones leave the stage.
            staged = report.rows - report.error_count
            staged -= _roster_conflicts(stage, report, repeated)
            allowed = None if allowed_court_ids is None else list(allowed_court_ids)
            staged -= roster_identity(stage, court, report, allowed)
            report.errors.sort(key=lambda e: e.line)
            roster_shared_facts(stage, report, None if allowed_court_ids is None else list(allowed_court_ids))
            report.created, report.updated = roster_classify(stage, court)
            if not apply:  # the dry run shows the rows; an apply (already seen dry) keeps its speed
                roster_list_rows(stage, court, report)
            report.unchanged = staged - report.created - report.updated
            if apply and report.ok:
                if progress:
                    progress("writing", report.rows)
                    # Runs after the commit, before the recount `_roster_write` asks for.
                    # Robust: a progress note that cannot be written must not stop the recount after it.
                    transaction.on_commit(lambda: progress("recounting", report.rows), robust=True)
                _roster_write(stage, court, repeated, by=by, source=import_source(report.file_name))
                _roster_settle_upgrade_reports(stage, court, by=by, source=import_source(report.file_name))
                report.applied = True
                if progress:
                    progress("committing", report.rows)
        finally:
            stage.drop()
    return report


def _roster_settle_upgrade_reports(stage: Stage, court: Court, *, by, source: str) -> None:
    """Filers' own "I upgraded my PACER account" reports: this roster confirms or clears each one
    whose PACER account it lists and may change (`accounts.self_service.pacer_upgrade_reports_settle`).

    A report is a shared fact like the account's other details: the rows kept because their PACER
    account or filer is also at a court the importer does not administer (`KEEP_PACER`, as in the
    writes) leave it as it is, for that court's staff or roster to settle."""
    from django.db.models.expressions import RawSQL

    from accounts.models import PacerAccount
    from accounts.self_service import pacer_upgrade_reports_settle

    listed = PacerAccount.objects.filter(username__in=RawSQL(
        f"SELECT pacer_username FROM {stage.name} WHERE pacer_username IS NOT NULL AND NOT ({KEEP_PACER})", []))
    pacer_upgrade_reports_settle(court, listed, source=source, by=by)


def _roster_stage(stage: Stage, path: Path, report: ImportReport, today, chunk_size, progress) -> None:
    with stage.writer(chunk_size) as write:
        for line, values in csv_values(path, report.encoding, required=REQUIRED, optional=OPTIONAL, report=report):
            report.rows += 1
            try:
                write(roster_row(line, values, today))
            except CellError as exc:
                report.add_error(line, str(exc), exc.field)
            if progress and report.rows % chunk_size == 0:
                progress("read", report.rows)
    if progress:
        progress("read", report.rows)


def _repeats(stage: Stage, column: str) -> bool:
    """Does any value of `column` stand on more than one line? One pass over the column's index."""
    return bool(fetch(
        f"SELECT 1 FROM {stage.name} WHERE {column} IS NOT NULL GROUP BY {column} HAVING COUNT(*) > 1 LIMIT 1"
    ))


def _roster_conflicts(stage: Stage, report: ImportReport, repeated: set[str]) -> int:
    """Rows that contradict an earlier row of the same file (each reported on the later line), then
    taken out of the stage so the counts that follow see each row once; returns how many left.

    Only a column whose values repeat (`repeated`) can hold a conflict, so the others are skipped.
    Only the rows the report lists are fetched (`report_rows`); one DELETE takes every conflicting
    line out, whatever their number."""
    s = stage.name
    checks = (
        ("cmecf_login", "login", "duplicate login {value!r}: already on line {first}", "1 = 1"),
        ("email", "email", "email {value!r} is on line {first} with a different name or PACER username",
         "(s.name <> f.name OR s.pacer_username IS DISTINCT FROM f.pacer_username)"),
        ("pacer_username", "pacer_username",
         "PACER username {value!r} is on line {first} with different details (only a shared account has several filers)",
         "(s.pacer_type <> f.pacer_type OR s.pacer_created_on IS DISTINCT FROM f.pacer_created_on "
         "OR s.upgraded <> f.upgraded OR (s.pacer_type = 'individual' AND s.email <> f.email))"),
    )
    conflicting = []
    for field_name, column, reason, differs in checks:
        if column not in repeated:
            continue
        rows = (
            f"FROM {s} s "
            f"JOIN (SELECT {column} AS k, MIN(line) AS first FROM {s} WHERE {column} IS NOT NULL "
            f"      GROUP BY {column} HAVING COUNT(*) > 1) d ON d.k = s.{column} "
            f"JOIN {s} f ON f.line = d.first "
            f"WHERE s.line > d.first AND {differs}"
        )
        report_rows(
            report, f"SELECT s.line, f.line, s.{column} {rows} ORDER BY s.line", [],
            lambda row, reason=reason, field_name=field_name: (
                row[0], reason.format(value=row[2], first=row[1]), field_name),
        )
        conflicting.append(f"SELECT s.line {rows}")
    if not conflicting:
        return 0
    # A file is refused as a whole on any bad row: these lines are only counted from here on. The
    # subqueries read the stage as it was before the DELETE, so a line that conflicts with a line
    # that conflicts itself is still found.
    return execute(f"DELETE FROM {s} WHERE line IN ({' UNION '.join(conflicting)})")


def _first_per(stage: Stage, column: str, repeated: set[str], keep: str) -> str:
    """The staged rows with the first row of each `column` value only, as a FROM item, less the rows
    whose shared facts stay as they are (`keep`, a condition on the stage's flags).

    A shared PACER account or a filer with logins on several lines repeats its key; the conflict
    checks made sure the repeats agree, so the first row speaks for all. When no key repeats — the
    usual roster — the table is read as it is, sparing a sort of every row."""
    if column not in repeated:
        return f"(SELECT * FROM {stage.name} WHERE NOT ({keep}))"
    if connection.vendor == "postgresql":
        return (f"(SELECT DISTINCT ON ({column}) * FROM {stage.name} WHERE {column} IS NOT NULL AND NOT ({keep}) "
                f"ORDER BY {column}, line)")
    return (f"(SELECT * FROM {stage.name} WHERE line IN (SELECT MIN(line) FROM {stage.name} "
            f"WHERE {column} IS NOT NULL AND NOT ({keep}) GROUP BY {column}))")


KEEP_PACER = "keep_pacer OR keep_filer"  # a kept filer's row says nothing about any PACER account
KEEP_FILER = "keep_filer"


def _roster_write(stage: Stage, court: Court, repeated: set[str], *, by, source: str) -> None:
    """The trail of what changes (while the old values are still there), the writes, the trail of what
    they created (`roster_audit`), then the recount of every court the changes reach."""
    now = db_now(timezone.now())
    user_id, source = audit_who(by, source)
    roster_audit_changes(
        stage, court, first_pacer=_first_per(stage, "pacer_username", repeated, KEEP_PACER),
        first_filer=_first_per(stage, "email", repeated, KEEP_FILER), now=now, user_id=user_id, source=source)
    _roster_upsert(stage, court, repeated, now)
    roster_audit_creations(stage, court, now=now, user_id=user_id, source=source)
    # PACER details reach every court the file's filers file at, and every court of any other filer
    # using a PACER account this import changed (a firm's shared account; updated_at = now).
    # Filers this import created (created_at = now) have accounts at this court only, so only the
    # filers that were there before are followed to their other courts.
    s = stage.name
    touched = fetch(
        f"SELECT DISTINCT c.court_id FROM {CMECF} c JOIN {FILER} f ON f.id = c.filer_id "
        f"WHERE c.court_id <> %s AND f.created_at <> %s AND (f.email IN (SELECT email FROM {s}) "
        f"OR f.pacer_account_id IN (SELECT id FROM {PACER} WHERE updated_at = %s AND created_at <> %s))",
        [court.pk, now, now, now],
    )
    court_counts_touch([court.pk, *(r[0] for r in touched)])


def _roster_upsert(stage: Stage, court: Court, repeated: set[str], now) -> None:
    """Create or update the PACER accounts, filers and CM/ECF accounts of the staged rows.

    On PostgreSQL, three MERGE statements: each joins the rows to the table once and inserts the
    unmatched ones as plain inserts, about a third cheaper per row than INSERT … ON CONFLICT (whose
    every row is a speculative insertion: probe, insert, confirm). A key another session commits
    after the import's snapshot ends the MERGE in a unique violation, and the import is refused
    (`import_transaction`): that record was never checked. SQLite has no MERGE and uses INSERT … ON
    CONFLICT; it has one writer at a time."""
    statements = _roster_merges if connection.vendor == "postgresql" else _roster_upserts
    for sql, params in statements(stage, court, repeated, now):
        execute(sql, params)


def _roster_merges(stage: Stage, court: Court, repeated: set[str], now) -> list[tuple[str, list]]:
    """The PostgreSQL statements of `_roster_upsert`: the same changes as `_roster_upserts`."""
    return [
        (f"""
        MERGE INTO {PACER} p
        USING {_first_per(stage, "pacer_username", repeated, KEEP_PACER)} s ON p.username = s.pacer_username
        WHEN MATCHED AND (p.account_type <> s.pacer_type OR p.created_on IS DISTINCT FROM s.pacer_created_on
                          OR p.upgraded <> s.upgraded OR (s.pacer_type = 'individual' AND p.holder_name <> s.holder_name)) THEN
          UPDATE SET account_type = s.pacer_type, created_on = s.pacer_created_on, upgraded = s.upgraded,
            holder_name = CASE WHEN s.pacer_type = 'individual' THEN s.holder_name ELSE p.holder_name END,
            name_key = CASE WHEN s.pacer_type = 'individual' THEN s.holder_key ELSE p.name_key END,
            updated_at = %s
        WHEN NOT MATCHED AND s.pacer_username IS NOT NULL THEN
          INSERT (username, account_type, holder_name, name_key, created_on, upgraded, created_at, updated_at)
          VALUES (s.pacer_username, s.pacer_type, s.holder_name, s.holder_key, s.pacer_created_on, s.upgraded, %s, %s)
        """, [now, now, now]),
        (f"""
        MERGE INTO {FILER} f
        USING (SELECT s.name, s.email, p.id AS pacer_id
               FROM {_first_per(stage, "email", repeated, KEEP_FILER)} s LEFT JOIN {PACER} p ON p.username = s.pacer_username) s
        ON f.email = s.email
        WHEN MATCHED AND (f.name <> s.name OR (s.pacer_id IS NOT NULL AND f.pacer_account_id IS DISTINCT FROM s.pacer_id)) THEN
          UPDATE SET name = s.name, pacer_account_id = COALESCE(s.pacer_id, f.pacer_account_id), updated_at = %s
        WHEN NOT MATCHED THEN
          INSERT (name, email, pacer_account_id, created_at, updated_at) VALUES (s.name, s.email, s.pacer_id, %s, %s)
        """, [now, now, now]),
        (f"""
        MERGE INTO {CMECF} c
        USING (SELECT s.login, s.cmecf_name, s.name_key, f.id AS filer_id
               FROM {stage.name} s JOIN {FILER} f ON f.email = s.email) s
        ON c.court_id = %s AND c.login = s.login
        WHEN MATCHED AND (c.filer_id <> s.filer_id OR c.cmecf_name <> s.cmecf_name) THEN
          UPDATE SET filer_id = s.filer_id, cmecf_name = s.cmecf_name, name_key = s.name_key, updated_at = %s
        WHEN NOT MATCHED THEN
          INSERT (filer_id, court_id, login, cmecf_name, name_key, name_review, linked_at, created_at, updated_at)
          VALUES (s.filer_id, %s, s.login, s.cmecf_name, s.name_key, '', NULL, %s, %s)
        """, [court.pk, now, court.pk, now, now]),
    ]


def _roster_upserts(stage: Stage, court: Court, repeated: set[str], now) -> list[tuple[str, list]]:
    """INSERT … ON CONFLICT for PACER accounts, filers and CM/ECF accounts (SQLite, which has no MERGE)."""
    s = stage.name
    return [
        (f"""
        INSERT INTO {PACER} (username, account_type, holder_name, name_key, created_on, upgraded, created_at, updated_at)
        SELECT s.pacer_username, s.pacer_type, s.holder_name, s.holder_key, s.pacer_created_on, s.upgraded, %s, %s
        FROM {_first_per(stage, "pacer_username", repeated, KEEP_PACER)} s
        WHERE s.pacer_username IS NOT NULL
        ON CONFLICT (username) DO UPDATE SET
          account_type = excluded.account_type, created_on = excluded.created_on, upgraded = excluded.upgraded,
          holder_name = CASE WHEN excluded.account_type = 'individual' THEN excluded.holder_name ELSE {PACER}.holder_name END,
          name_key = CASE WHEN excluded.account_type = 'individual' THEN excluded.name_key ELSE {PACER}.name_key END,
          updated_at = excluded.updated_at
        WHERE {PACER}.account_type <> excluded.account_type OR {PACER}.created_on IS DISTINCT FROM excluded.created_on
           OR {PACER}.upgraded <> excluded.upgraded
           OR (excluded.account_type = 'individual' AND {PACER}.holder_name <> excluded.holder_name)
        """, [now, now]),
        (f"""
        INSERT INTO {FILER} (name, email, pacer_account_id, created_at, updated_at)
        SELECT s.name, s.email, p.id, %s, %s
        FROM {_first_per(stage, "email", repeated, KEEP_FILER)} s LEFT JOIN {PACER} p ON p.username = s.pacer_username
        WHERE 1 = 1
        ON CONFLICT (email) DO UPDATE SET
          name = excluded.name,
          pacer_account_id = COALESCE(excluded.pacer_account_id, {FILER}.pacer_account_id),
          updated_at = excluded.updated_at
        WHERE {FILER}.name <> excluded.name
           OR (excluded.pacer_account_id IS NOT NULL AND {FILER}.pacer_account_id IS DISTINCT FROM excluded.pacer_account_id)
        """, [now, now]),
        (f"""
        INSERT INTO {CMECF} (filer_id, court_id, login, cmecf_name, name_key, name_review, linked_at, created_at, updated_at)
        SELECT f.id, %s, s.login, s.cmecf_name, s.name_key, '', NULL, %s, %s
        FROM {s} s JOIN {FILER} f ON f.email = s.email
        WHERE 1 = 1  -- SQLite reads "ON CONFLICT" straight after a join as the join's condition
        ON CONFLICT (court_id, login) DO UPDATE SET
          filer_id = excluded.filer_id, cmecf_name = excluded.cmecf_name, name_key = excluded.name_key,
          updated_at = excluded.updated_at
        WHERE {CMECF}.filer_id <> excluded.filer_id OR {CMECF}.cmecf_name <> excluded.cmecf_name
        """, [court.pk, now, now]),
    ]
