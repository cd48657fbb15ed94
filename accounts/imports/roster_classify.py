"""What a roster would do, row by row: which staged rows create a CM/ECF account, which change
something (its filer, its CM/ECF name, the filer's name, the PACER account or its details), and which
are already as the file says.

Steps: `roster_classify` counts the rows that would be created and changed in one joined query;
`roster_list_rows` fetches the first ROWS_LISTED of each, by line, with a LIMIT, and says for each
what would change in plain words (a dry run only: an apply was seen dry first and keeps its speed). Rows whose shared facts stay as they are (`keep_filer`,
`keep_pacer`, see `shared_facts`) count only for what the importer may change.
"""
from __future__ import annotations

from accounts.imports.reading import ROWS_LISTED, ImportReport, RowChange
from accounts.imports.staging import Stage, fetch
from courts.models import Court

CMECF, FILER, PACER = "accounts_cmecfaccount", "accounts_filer", "accounts_paceraccount"

# The stage joined to what the database holds for each row, and the condition under which a row that
# finds its CM/ECF account changes something: shared by the counts and the listed rows.
_CLASSIFY_FROM = f"""
        FROM {{s}} s
        LEFT JOIN {CMECF} c ON c.court_id = %s AND c.login = s.login
        LEFT JOIN {FILER} f ON f.email = s.email
        LEFT JOIN {PACER} p ON p.username = s.pacer_username
"""
_FILER_CHANGES = "(f.id IS NULL OR c.filer_id <> f.id)"
_NAME_CHANGES = "(NOT s.keep_filer AND f.name <> s.name)"
_PACER_LINK_CHANGES = ("(s.pacer_username IS NOT NULL AND NOT s.keep_filer AND ("
                       "p.id IS NULL OR f.pacer_account_id IS DISTINCT FROM p.id))")
_PACER_DETAILS_CHANGE = (
    "(s.pacer_username IS NOT NULL AND NOT s.keep_filer AND NOT s.keep_pacer AND ("
    "p.account_type <> s.pacer_type OR p.created_on IS DISTINCT FROM s.pacer_created_on OR p.upgraded <> s.upgraded "
    "OR (s.pacer_type = 'individual' AND p.holder_name <> s.holder_name)))"
)
_UPDATED = (f"c.id IS NOT NULL AND ({_FILER_CHANGES} OR c.cmecf_name <> s.cmecf_name OR {_NAME_CHANGES} "
            f"OR {_PACER_LINK_CHANGES} OR {_PACER_DETAILS_CHANGE})")


def roster_classify(stage: Stage, court: Court) -> tuple[int, int]:
    """(created, updated) for the staged rows, in one joined query."""
    row = fetch(
        f"SELECT COALESCE(SUM(CASE WHEN c.id IS NULL THEN 1 ELSE 0 END), 0), "
        f"COALESCE(SUM(CASE WHEN {_UPDATED} THEN 1 ELSE 0 END), 0) " + _CLASSIFY_FROM.format(s=stage.name),
        [court.pk],
    )[0]
    return int(row[0]), int(row[1])


def _created_change(cmecf_name, email, name, filer_exists, username, pacer_exists, pacer_is_filers,
                    filer_kept) -> str:
    """What applying a created row does, in plain words. An existing filer or PACER account is said to
    be joined only once the identity rules (`identity`) let the row through; which court holds it is
    never said. A filer whose shared facts stay as recorded (`filer_kept`) keeps their PACER account
    whatever the row says, and the text is the same whatever it says: a text that changed with the
    PACER username would tell the importer whether a guess is the one another court holds."""
    if filer_exists:
        text = (f"new CM/ECF account for {cmecf_name} ({email}), joined to the existing filer record with this "
                f"email and name (recorded in this court's audit trail)")
    else:
        text = f"new CM/ECF account for {cmecf_name} ({email}), a new filer"
    if filer_kept:
        return text + "; the filer's PACER account stays as recorded"
    if username and not pacer_is_filers:
        text += (f"; uses the existing PACER account {username}" if pacer_exists
                 else f"; new PACER account {username}")
    return text


def roster_list_rows(stage: Stage, court: Court, report: ImportReport) -> None:
    """The first ROWS_LISTED rows that would be created and that would change something, in plain
    words: two queries with a LIMIT, so what is kept does not grow with the file."""
    joins = _CLASSIFY_FROM.format(s=stage.name)
    for line, login, cmecf_name, email, name, filer_exists, username, pacer_exists, pacer_is_filers, filer_kept in fetch(
        f"SELECT s.line, s.login, s.cmecf_name, s.email, s.name, f.id IS NOT NULL, s.pacer_username, p.id IS NOT NULL, "
        f"f.pacer_account_id IS NOT NULL AND f.pacer_account_id = p.id, s.keep_filer {joins} "
        f"WHERE c.id IS NULL ORDER BY s.line LIMIT %s",
        [court.pk, ROWS_LISTED],
    ):
        report.created_rows.append(RowChange(line, login, _created_change(
            cmecf_name, email, name, bool(filer_exists), username, bool(pacer_exists), bool(pacer_is_filers),
            bool(filer_kept))))
    for line, login, email, filer_moves, old_cmecf, new_cmecf, name_changes, old_name, new_name, pacer_link, \
            username, pacer_details in fetch(
        f"SELECT s.line, s.login, s.email, {_FILER_CHANGES}, c.cmecf_name, s.cmecf_name, {_NAME_CHANGES}, f.name, s.name, "
        f"{_PACER_LINK_CHANGES}, s.pacer_username, {_PACER_DETAILS_CHANGE} {joins} WHERE {_UPDATED} "
        f"ORDER BY s.line LIMIT %s",
        [court.pk, ROWS_LISTED],
    ):
        changes = []
        if filer_moves:
            changes.append(f"moves to the filer with email {email}")
        if old_cmecf != new_cmecf:
            changes.append(f"CM/ECF name “{old_cmecf}” becomes “{new_cmecf}”")
        if name_changes and not filer_moves:
            changes.append(f"filer's name “{old_name}” becomes “{new_name}”")
        if pacer_link:
            changes.append(f"PACER account becomes {username}")
        if pacer_details:
            changes.append(f"details of PACER account {username} change (type, created on, upgraded or holder)")
        report.updated_rows.append(RowChange(line, login, "; ".join(changes) or "changes"))
