"""What a roster writes in the audit trail, in bulk: the entries the record edits
(`accounts.services`) write one by one, so a record's history reads the same whichever way it changed.

Steps, inside the import's transaction:
1. before the writes, while the records still hold their old values (`roster_audit_changes`):
   - a CM/ECF account's CM/ECF name, and the filer it belongs to (a login moved to another filer),
     under this court;
   - a filer's name and PACER account, and a PACER account's type, creation date, upgrade and
     holder, under every court the record belongs to and this court (the roster may change them
     only when the importer administers every one of those courts: `shared_facts`);
   - an existing filer newly attached to a login of this court (`court_attached`), in this court's
     trail only (the filer's other courts hold nothing of this court's);
2. after the writes, the records they created (`roster_audit_creations`: "created", under this
   court), found by their creation time, the import's own `now`.

Each kind of entry is one INSERT … SELECT (two for filers and PACER accounts: this court, then the
others), so no row passes through Python, whatever the file's size. The user's id is cast where the
SELECT is DISTINCT: PostgreSQL would read an untyped NULL there as text. The values read as
`accounts.audit.audit_value` writes them (dates in ISO form, True/False, a filer as "name <email>", a
PACER account as its username).
"""
from __future__ import annotations

from django.contrib.contenttypes.models import ContentType

from accounts.imports.staging import Stage, execute
from accounts.models import CmecfAccount, Filer, PacerAccount
from courts.models import Court

CMECF, FILER, PACER = "accounts_cmecfaccount", "accounts_filer", "accounts_paceraccount"
COLUMNS = "at, user_id, source, court_id, content_type_id, object_id, object_repr, field, old_value, new_value"


# What changes, as the writes decide it (`roster._roster_merges`). Each statement tests the whole
# change first, so the planner leaves unchanged rows out before the per-field and per-court joins.
_FILER_PACER_CHANGED = "(s.pacer_username IS NOT NULL AND op.username IS DISTINCT FROM s.pacer_username)"
_FILER_CHANGED = f"(f.name <> s.name OR {_FILER_PACER_CHANGED})"
_HOLDER_CHANGED = "(s.pacer_type = 'individual' AND p.holder_name <> s.holder_name)"
_PACER_CHANGED = (f"(p.account_type <> s.pacer_type OR p.created_on IS DISTINCT FROM s.pacer_created_on "
                  f"OR p.upgraded <> s.upgraded OR {_HOLDER_CHANGED})")


def _fields(*names: str) -> str:
    """A one-column table of field names, to audit several fields of a row in one statement."""
    return "(" + " UNION ALL ".join(f"SELECT '{name}' AS field" for name in names) + ")"


def _bool(column: str) -> str:
    return f"CASE WHEN {column} THEN 'True' ELSE 'False' END"


def _date(column: str) -> str:
    return f"COALESCE(CAST({column} AS TEXT), '')"


def _each_court(kind: str, court: Court) -> list[tuple[str, str, list, list]]:
    """(join, court column, its parameters, the join's parameters) for the courts a changed filer's or
    PACER account's entries go to: this court, where the roster puts the record, then every other court it belongs to (as
    `_record_update` audits under the courts before and after). The second joins only the changed
    rows to their CM/ECF accounts (by index), so an unchanged roster costs nothing here."""
    holders = "" if kind == "filer" else f"JOIN {FILER} g ON g.pacer_account_id = p.id "
    holder = "f" if kind == "filer" else "g"
    return [
        ("", "%s", [court.pk], []),
        (holders + f"JOIN {CMECF} k ON k.filer_id = {holder}.id AND k.court_id <> %s", "k.court_id", [], [court.pk]),
    ]


def roster_audit_changes(stage: Stage, court: Court, *, first_pacer: str, first_filer: str, now, user_id,
                         source: str) -> None:
    """Step 1. `first_pacer` and `first_filer` are the rows that write PACER accounts and filers (the
    first row per key, less the rows whose shared facts stay as recorded), as the writes read them."""
    s = stage.name
    who = [now, user_id, source]
    types = {model: ContentType.objects.get_for_model(model).pk for model in (CmecfAccount, Filer, PacerAccount)}
    at_court = f" @ {court.court_id}"
    # A CM/ECF account's name, and the filer it belongs to (a new filer's name is the row's).
    execute(
        f"""INSERT INTO accounts_auditentry ({COLUMNS})
        SELECT %s, %s, %s, c.court_id, %s, c.id, c.login || %s, v.field,
               CASE v.field WHEN 'cmecf_name' THEN c.cmecf_name ELSE o.name || ' <' || o.email || '>' END,
               CASE v.field WHEN 'cmecf_name' THEN s.cmecf_name
                            ELSE COALESCE(n.name, s.name) || ' <' || s.email || '>' END
        FROM {s} s JOIN {CMECF} c ON c.court_id = %s AND c.login = s.login
        JOIN {FILER} o ON o.id = c.filer_id LEFT JOIN {FILER} n ON n.email = s.email
        CROSS JOIN {_fields('cmecf_name', 'filer')} v
        WHERE (c.cmecf_name <> s.cmecf_name OR o.email <> s.email)
          AND CASE v.field WHEN 'cmecf_name' THEN c.cmecf_name <> s.cmecf_name ELSE o.email <> s.email END
        """,
        [*who, types[CmecfAccount], at_court, court.pk],
    )
    # A filer's name and PACER account.
    for join, court_column, court_params, join_params in _each_court("filer", court):
        execute(
            f"""INSERT INTO accounts_auditentry ({COLUMNS})
            SELECT DISTINCT %s, CAST(%s AS INTEGER), %s, {court_column}, %s, f.id, SUBSTR(f.name || ' <' || f.email || '>', 1, 200),
                   v.field, CASE v.field WHEN 'name' THEN f.name ELSE COALESCE(op.username, '') END,
                   CASE v.field WHEN 'name' THEN s.name ELSE s.pacer_username END
            FROM {first_filer} s JOIN {FILER} f ON f.email = s.email
            LEFT JOIN {PACER} op ON op.id = f.pacer_account_id
            {join}
            CROSS JOIN {_fields('name', 'pacer_account')} v
            WHERE {_FILER_CHANGED}
              AND CASE v.field WHEN 'name' THEN f.name <> s.name ELSE {_FILER_PACER_CHANGED} END
            """,
            [*who, *court_params, types[Filer], *join_params],
        )
    # A PACER account's details (its holder only where the row describes an individual account).
    for join, court_column, court_params, join_params in _each_court("pacer", court):
        execute(
            f"""INSERT INTO accounts_auditentry ({COLUMNS})
            SELECT DISTINCT %s, CAST(%s AS INTEGER), %s, {court_column}, %s, p.id, SUBSTR(p.username, 1, 200), v.field,
                   CASE v.field WHEN 'account_type' THEN p.account_type WHEN 'created_on' THEN {_date('p.created_on')}
                                WHEN 'upgraded' THEN {_bool('p.upgraded')} ELSE p.holder_name END,
                   CASE v.field WHEN 'account_type' THEN s.pacer_type WHEN 'created_on' THEN {_date('s.pacer_created_on')}
                                WHEN 'upgraded' THEN {_bool('s.upgraded')} ELSE s.holder_name END
            FROM {first_pacer} s JOIN {PACER} p ON p.username = s.pacer_username
            {join}
            CROSS JOIN {_fields('account_type', 'created_on', 'upgraded', 'holder_name')} v
            WHERE {_PACER_CHANGED}
              AND CASE v.field WHEN 'account_type' THEN p.account_type <> s.pacer_type
                               WHEN 'created_on' THEN p.created_on IS DISTINCT FROM s.pacer_created_on
                               WHEN 'upgraded' THEN p.upgraded <> s.upgraded
                               ELSE {_HOLDER_CHANGED} END
            """,
            [*who, *court_params, types[PacerAccount], *join_params],
        )
    # An existing filer attached to a login of this court (a new login, or one that moves to them).
    execute(
        f"""INSERT INTO accounts_auditentry ({COLUMNS})
        SELECT %s, %s, %s, %s, %s, f.id, SUBSTR(f.name || ' <' || f.email || '>', 1, 200), 'court_attached', '',
               s.login || %s
        FROM {s} s JOIN {FILER} f ON f.email = s.email
        LEFT JOIN {CMECF} c ON c.court_id = %s AND c.login = s.login
        WHERE c.id IS NULL OR c.filer_id <> f.id
        """,
        [*who, court.pk, types[Filer], at_court, court.pk],
    )


def roster_audit_creations(stage: Stage, court: Court, *, now, user_id, source: str) -> None:
    """Step 2: one "created" entry per CM/ECF account, filer and PACER account the writes created."""
    s = stage.name
    who = [now, user_id, source, court.pk]
    types = {model: ContentType.objects.get_for_model(model).pk for model in (CmecfAccount, Filer, PacerAccount)}
    execute(
        f"INSERT INTO accounts_auditentry ({COLUMNS}) SELECT %s, %s, %s, %s, %s, c.id, c.login || %s, 'created', '', c.login || %s "
                 f"FROM {CMECF} c WHERE c.court_id = %s AND c.created_at = %s",
        [*who, types[CmecfAccount], f" @ {court.court_id}", f" @ {court.court_id}", court.pk, now],
    )
    execute(
        f"INSERT INTO accounts_auditentry ({COLUMNS}) SELECT %s, %s, %s, %s, %s, f.id, SUBSTR(f.name || ' <' || f.email || '>', 1, 200), 'created', '', "
                 f"SUBSTR(f.name || ' <' || f.email || '>', 1, 200) "
                 f"FROM {FILER} f WHERE f.created_at = %s AND f.email IN (SELECT email FROM {s})",
        [*who, types[Filer], now],
    )
    execute(
        f"INSERT INTO accounts_auditentry ({COLUMNS}) SELECT %s, %s, %s, %s, %s, p.id, SUBSTR(p.username, 1, 200), 'created', '', p.username "
                 f"FROM {PACER} p WHERE p.created_at = %s AND p.username IN "
                 f"(SELECT pacer_username FROM {s} WHERE pacer_username IS NOT NULL)",
        [*who, types[PacerAccount], now],
    )
