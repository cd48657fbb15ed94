"""Identity rules for records shared by courts: a roster row may attach an existing filer, or an
existing PACER account, only when the identity agrees.

- A filer is found by email. A row attaches it (a CM/ECF account of this court comes to point at
  a filer not yet at this court) only when the row's name agrees with the filer's
  (`accounts.models.identity_key`: case, spacing, punctuation, middle initials and suffixes do not count).
- A PACER account is found by username. A row attaches it (the row's filer does not use it yet) only
  when the filer agrees: no filer the importer cannot see uses it and, for an account both the row and
  the tracker call individual, its holder's name agrees with the row's (a firm's shared account is
  held by the firm, whose name a roster does not carry). The command line and superusers see every court.
- Otherwise the row is refused with one message that names neither another court nor which fact
  matched, and says what to do. The whole file is then refused (imports are all-or-nothing).

Steps (`roster_identity`): two queries over the stage, joined to the filers and PACER accounts, pick
the candidate rows (names that differ as written, accounts used elsewhere); only those few rows are
compared by `identity_key` in Python, as the query streams them; the refused lines leave the stage,
so the counts that follow see only the rows that would be applied.
"""
from __future__ import annotations

from accounts.imports.reading import ImportReport
from accounts.imports.staging import Stage, execute
from accounts.models import identity_agrees

CMECF, FILER, PACER = "accounts_cmecfaccount", "accounts_filer", "accounts_paceraccount"

IDENTITY_REFUSED = (
    "this row's email or PACER username is already registered to a filer whose name or PACER details do not "
    "agree with this row, so the row cannot be attached to that record. Check the name, email and PACER "
    "username with the filer; if they are right, ask the help desk to confirm the filer's identity"
)


def _stream(sql: str, params: list, size: int = 2000):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(size):
            yield from rows


def roster_identity(stage: Stage, court, report: ImportReport, allowed_court_ids: list[int] | None) -> int:
    """Refuse the staged rows whose filer or PACER account would be attached without an agreeing
    identity; returns how many rows left the stage."""
    s = stage.name
    refused: set[int] = set()
    # Filers found by email that are not at this court yet, under a name not written the same.
    for line, row_name, filer_name in _stream(
        f"SELECT s.line, s.name, f.name FROM {s} s JOIN {FILER} f ON f.email = s.email "
        f"WHERE f.name <> s.name AND NOT EXISTS (SELECT 1 FROM {CMECF} c WHERE c.filer_id = f.id AND c.court_id = %s)",
        [court.pk],
    ):
        if not identity_agrees(row_name, filer_name):
            refused.add(line)
    # PACER accounts found by username that the row's filer does not use yet.
    if allowed_court_ids is None:
        elsewhere, params = "FALSE", []
    else:
        allowed = list(allowed_court_ids) or [0]
        elsewhere = (
            f"EXISTS (SELECT 1 FROM {FILER} g JOIN {CMECF} gc ON gc.filer_id = g.id WHERE g.pacer_account_id = p.id "
            f"AND g.email <> s.email AND gc.court_id NOT IN ({', '.join(['%s'] * len(allowed))}))"
        )
        params = allowed
    for line, row_name, holder, both_individual, used_elsewhere in _stream(
        f"SELECT s.line, s.name, p.holder_name, s.pacer_type = 'individual' AND p.account_type = 'individual', "
        f"{elsewhere} FROM {s} s "
        f"JOIN {PACER} p ON p.username = s.pacer_username LEFT JOIN {FILER} f ON f.email = s.email "
        f"WHERE f.pacer_account_id IS DISTINCT FROM p.id AND ({elsewhere} OR "
        f"(s.pacer_type = 'individual' AND p.account_type = 'individual' AND p.holder_name <> '' AND p.holder_name <> s.name))",
        [*params, *params],
    ):
        if used_elsewhere or (both_individual and holder and not identity_agrees(row_name, holder)):
            refused.add(line)
    lines = sorted(refused)
    for line in lines:
        report.add_error(line, IDENTITY_REFUSED)
    for start in range(0, len(lines), 500):
        chunk = lines[start:start + 500]
        execute(f"DELETE FROM {s} WHERE line IN ({', '.join(['%s'] * len(chunk))})", chunk)
    return len(lines)
