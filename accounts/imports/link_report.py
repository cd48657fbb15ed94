"""The link report import: CM/ECF logins of one court with the date each was linked to PACER.

Columns: cmecf_login, linked_on (YYYY-MM-DD). A login is recorded as linked at the start of that day
in the court's time zone.

Steps (`link_report_import`): detect the encoding; stream and check each row (login, date, not in
the future, not before the court's go-live); stage the good rows; in SQL find logins given twice,
logins the court does not have, and accounts whose readiness would have stopped the link (legacy,
shared, no PACER account, name mismatch), and accounts already linked on another day; count what
would change; applying writes the audit trail (INSERT … SELECT) and one UPDATE, or nothing. The
checks and the writes read one snapshot (`import_transaction`): a link another session commits
meanwhile refuses the import rather than leave an audit entry for a date that was not stored.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.audit import audit_value, audit_who
from accounts.counts import court_counts_touch
from accounts.imports.common import import_begin, import_source, import_transaction
from accounts.imports.reading import (
    ROWS_LISTED, CellError, ImportReport, ProgressFn, RowChange, csv_rows, parse_date, parse_login,
)
from accounts.imports.staging import Stage, db_now, execute, fetch, report_rows
from accounts.models import CmecfAccount
from accounts.readiness import Readiness
from accounts.selectors import cmecf_accounts_with_readiness
from courts.models import Court, GoLive, GoLiveStatus
from courts.selectors import rollout_current

REQUIRED = ("cmecf_login", "linked_on")
COLUMNS = (("line", "integer"), ("login", "text"), ("linked_on", "date"), ("linked_at", "timestamp with time zone"),
           ("linked_text", "text"))
CHUNK_SIZE = 10_000


def link_report_import(
    court: Court | str, path: Path | str, *, apply: bool = False, by=None, file_name: str | None = None,
    allowed_court_ids: Iterable[int] | None = None, progress: ProgressFn | None = None,
    today: dt.date | None = None, chunk_size: int = CHUNK_SIZE,
) -> ImportReport:
    """Dry-run (default) or apply a link report for one court. Raises ImportError_ for an unreadable file."""
    path, report, court = import_begin("link report", court, path, file_name=file_name, allowed_court_ids=allowed_court_ids)
    # "Not in the future" by the court's own calendar: Guam's today starts hours before the server's.
    today = today or court.local_today()
    golive = GoLive.objects.filter(court=court, rollout=rollout_current()).first()
    # A postponed go-live keeps the date it had, which no longer holds: nobody links before go-live.
    postponed = golive is not None and golive.status == GoLiveStatus.POSTPONED
    go_live_date = golive.go_live_date if golive else None
    with import_transaction():
        stage = Stage("link_stage", COLUMNS)
        try:
            with stage.writer(chunk_size) as write:
                for line, row in csv_rows(path, report.encoding, required=REQUIRED, report=report):
                    report.rows += 1
                    try:
                        login = parse_login(row.get("cmecf_login", ""))
                        day = parse_date(row.get("linked_on", ""), "linked_on", today=today, required=True)
                        if go_live_date is None:
                            raise CellError("linked_on", f"{court.court_id} has no go-live date: nothing can be linked yet")
                        if postponed:
                            raise CellError("linked_on", f"{court.court_id}'s go-live is postponed: nothing can be "
                                                         "linked until the court is live")
                        if day < go_live_date:
                            raise CellError("linked_on", f"link date {day} is before the court's go-live ({go_live_date})")
                    except CellError as exc:
                        report.add_error(line, str(exc), exc.field)
                        continue
                    linked_at = court.local_midnight(day)
                    write((line, login, day, linked_at, audit_value(linked_at)))
                    if progress and report.rows % chunk_size == 0:
                        progress("read", report.rows)
            stage.index("line", "login")
            _link_checks(stage, court, report, list_rows=not apply)
            report.errors.sort(key=lambda e: e.line)
            if apply and report.ok and progress:
                progress("writing", report.rows)
            if apply and report.ok and progress:
                # Runs after the commit: the job then knows the file was applied.
                transaction.on_commit(lambda: progress("recounting", report.rows), robust=True)
            if apply and report.ok and report.updated:
                _link_write(stage, court, by=by, source=import_source(report.file_name))
            if apply and report.ok:
                # Filers' own "I have linked" reports: this report confirms or clears each of them.
                from accounts.self_service import link_self_reports_settle

                report.reports_confirmed, report.reports_cleared = link_self_reports_settle(
                    court, by=by, source=import_source(report.file_name))
            elif report.ok:
                report.reports_confirmed, report.reports_cleared = _link_self_reports_would_settle(stage, court)
            report.applied = bool(apply and report.ok)
        finally:
            stage.drop()
    return report


def _link_checks(stage: Stage, court: Court, report: ImportReport, *, list_rows: bool) -> None:
    s = stage.name
    # A report for the wrong court is wrong on every line: only the listed rows are fetched.
    report_rows(
        report,
        f"SELECT s.line, d.first, s.login FROM {s} s JOIN (SELECT login, MIN(line) AS first FROM {s} "
        f"GROUP BY login HAVING COUNT(*) > 1) d ON d.login = s.login WHERE s.line > d.first ORDER BY s.line",
        [],
        lambda row: (row[0], f"duplicate login {row[2]!r}: already on line {row[1]}", "cmecf_login"),
    )
    report_rows(
        report,
        f"SELECT s.line, s.login FROM {s} s LEFT JOIN accounts_cmecfaccount c ON c.court_id = %s AND c.login = s.login "
        f"WHERE c.id IS NULL ORDER BY s.line",
        [court.pk],
        lambda row: (row[0], f"unknown login {row[1]!r}: {court.court_id} has no such CM/ECF account", "cmecf_login"),
    )
    # Readiness with the court counted live: the dates were checked against the go-live above.
    in_file = CmecfAccount.objects.filter(court=court, login__in=RawSQL(f"SELECT login FROM {s}", []))
    annotated = cmecf_accounts_with_readiness(in_file, live_court_ids=[court.pk]).annotate(
        line=RawSQL(f"SELECT MIN(line) FROM {s} WHERE {s}.login = accounts_cmecfaccount.login", []),
        linked_on=RawSQL(f"SELECT MIN(linked_on) FROM {s} WHERE {s}.login = accounts_cmecfaccount.login", []),
    )
    for line, login, readiness in (
        annotated.exclude(readiness__in=[Readiness.READY, Readiness.LINKED])
        .order_by().values_list("line", "login", "readiness").iterator(chunk_size=2000)
    ):
        report.add_error(line, f"{login!r} cannot have been linked: {Readiness.label_of(readiness)}", "cmecf_login")
    ready = annotated.filter(readiness=Readiness.READY)
    report.updated = ready.count()
    # The first rows that would be linked, in file order (one LIMIT query: the report stays small);
    # a dry run's, as an apply was seen dry first.
    if list_rows:
        for line, login, linked_on in ready.order_by("line").values_list("line", "login", "linked_on")[:ROWS_LISTED]:
            report.updated_rows.append(RowChange(line, login, f"linked to PACER on {linked_on}"))
    for line, login, linked_at, linked_on in (
        annotated.filter(readiness=Readiness.LINKED).order_by()
        .values_list("line", "login", "linked_at", "linked_on").iterator(chunk_size=2000)
    ):
        if isinstance(linked_on, str):
            linked_on = dt.date.fromisoformat(linked_on)
        if court.local_today(linked_at) == linked_on:
            report.unchanged += 1
        else:
            report.add_error(line, f"{login!r} is already linked, on {court.local_today(linked_at)}", "linked_on")


def _link_self_reports_would_settle(stage: Stage, court: Court) -> tuple[int, int]:
    """What applying would do to the filers' own "I have linked" reports (`link_self_reports_settle`):
    with no refused row, every login of the file ends linked, so a report is confirmed when its
    login is linked already or in the file, and cleared otherwise. One query."""
    from django.db.models import Count, Q

    in_file = RawSQL(f"SELECT login FROM {stage.name}", [])
    counts = CmecfAccount.objects.filter(court=court, link_reported_at__isnull=False).aggregate(
        confirmed=Count("pk", filter=Q(linked_at__isnull=False) | Q(login__in=in_file)), reported=Count("pk"))
    return counts["confirmed"], counts["reported"] - counts["confirmed"]


def _link_write(stage: Stage, court: Court, *, by, source: str) -> None:
    s = stage.name
    now = timezone.now()
    user_id, source = audit_who(by, source)
    content_type = ContentType.objects.get_for_model(CmecfAccount).pk
    execute(
        f"""
        INSERT INTO accounts_auditentry (at, user_id, source, court_id, content_type_id, object_id, object_repr,
                                         field, old_value, new_value)
        SELECT %s, %s, %s, c.court_id, %s, c.id, c.login || %s, 'linked_at', '', s.linked_text
        FROM {s} s JOIN accounts_cmecfaccount c ON c.court_id = %s AND c.login = s.login
        WHERE c.linked_at IS NULL
        """,
        [db_now(now), user_id, source, content_type, f" @ {court.court_id}", court.pk],
    )
    execute(
        f"""
        UPDATE accounts_cmecfaccount
        SET linked_at = (SELECT s.linked_at FROM {s} s WHERE s.login = accounts_cmecfaccount.login), updated_at = %s
        WHERE court_id = %s AND linked_at IS NULL AND login IN (SELECT login FROM {s})
        """,
        [db_now(now), court.pk],
    )
    court_counts_touch([court.pk])
