"""Shared facts in a roster: a filer's name and PACER account, and a PACER account's facts, belong to
every court where the filer has a CM/ECF account (for a firm's shared PACER account, every court of
every filer using it). An import by an administrator who does not administer all those courts may
not change them: such a row is reported as a conflict (line, field; never which other courts) and applied for
the importing court's own CM/ECF account only. The command line and superusers are not limited.

Steps (`roster_shared_facts`): add two flags to the stage; mark the rows whose filer (`keep_filer`)
or PACER account (`keep_pacer`) is also at a court outside `allowed_court_ids` — two UPDATEs that
touch only those rows; give one conflict to each marked row whose filer and PACER account are at none
of the importer's courts, whatever it says; list, for the other marked rows that would change
something, the line and the field (one query over the few marked rows). The writes then leave marked rows'
filers and PACER accounts as they are (`roster._roster_upsert`).
"""
from __future__ import annotations

from accounts.imports.reading import ImportReport
from accounts.imports.staging import Stage, execute, fetch

CMECF, FILER, PACER = "accounts_cmecfaccount", "accounts_filer", "accounts_paceraccount"


def roster_shared_facts(stage: Stage, report: ImportReport, allowed_court_ids: list[int] | None) -> None:
    """Mark and report the rows whose shared facts the importing user may not change."""
    execute(f"ALTER TABLE {stage.name} ADD COLUMN keep_filer boolean NOT NULL DEFAULT FALSE")
    execute(f"ALTER TABLE {stage.name} ADD COLUMN keep_pacer boolean NOT NULL DEFAULT FALSE")
    if allowed_court_ids is None:
        return
    allowed = list(allowed_court_ids) or [0]
    outside = f"c.court_id NOT IN ({', '.join(['%s'] * len(allowed))})"
    s = stage.name
    execute(
        f"UPDATE {s} SET keep_filer = TRUE WHERE email IN ("
        f" SELECT f.email FROM {FILER} f JOIN {CMECF} c ON c.filer_id = f.id"
        f" WHERE {outside} AND f.email IN (SELECT email FROM {s}))",
        allowed,
    )
    execute(
        f"UPDATE {s} SET keep_pacer = TRUE WHERE pacer_username IN ("
        f" SELECT p.username FROM {PACER} p JOIN {FILER} f ON f.pacer_account_id = p.id"
        f" JOIN {CMECF} c ON c.filer_id = f.id"
        f" WHERE {outside} AND p.username IN (SELECT pacer_username FROM {s} WHERE pacer_username IS NOT NULL))",
        allowed,
    )
    # A marked row whose filer and PACER account are at none of the importer's courts (a filer this
    # row would attach) gets one conflict whatever it says: a conflict per differing field would let
    # the importer guess, field by field, what another court holds. Filers the importer already
    # sees are reported field by field (they can read those facts on the filer's page).
    unseen_filer = (f"s.keep_filer AND NOT EXISTS (SELECT 1 FROM {FILER} f JOIN {CMECF} c ON c.filer_id = f.id"
                    f" WHERE f.email = s.email AND NOT ({outside}))")
    unseen_pacer = (f"s.keep_pacer AND NOT EXISTS (SELECT 1 FROM {PACER} p JOIN {FILER} f ON f.pacer_account_id = p.id"
                    f" JOIN {CMECF} c ON c.filer_id = f.id WHERE p.username = s.pacer_username AND NOT ({outside}))")
    unseen_lines = {}
    for line, by_email in fetch(f"SELECT s.line, {unseen_filer} FROM {s} s WHERE ({unseen_filer}) OR ({unseen_pacer})",
                                [*allowed, *allowed, *allowed]):
        unseen_lines[line] = "email" if by_email else "pacer_username"  # the column that found the record
    for line, column in sorted(unseen_lines.items()):
        report.add_conflict(line, column, (
            "this filer's name and PACER details are shared with courts you do not administer: they stay as "
            "recorded, and only this court's CM/ECF account is imported; ask the help desk to change them"
        ))
    # (line, field) for each other marked row that would change a shared fact: which courts share it
    # is not said (one court's staff never learn what another court holds).
    rows = fetch(
        f"""
        SELECT s.line, CASE WHEN f.name <> s.name THEN 'name' ELSE 'pacer_username' END
        FROM {s} s JOIN {FILER} f ON f.email = s.email
        WHERE s.keep_filer
          AND (f.name <> s.name OR (s.pacer_username IS NOT NULL AND f.pacer_account_id IS DISTINCT FROM
               (SELECT p.id FROM {PACER} p WHERE p.username = s.pacer_username)))
        UNION
        SELECT s.line, CASE WHEN p.account_type <> s.pacer_type THEN 'shared_account'
                            WHEN p.created_on IS DISTINCT FROM s.pacer_created_on THEN 'pacer_created_on'
                            WHEN p.upgraded <> s.upgraded THEN 'upgraded' ELSE 'name' END
        FROM {s} s JOIN {PACER} p ON p.username = s.pacer_username
        WHERE s.keep_pacer
          AND (p.account_type <> s.pacer_type OR p.created_on IS DISTINCT FROM s.pacer_created_on
               OR p.upgraded <> s.upgraded OR (s.pacer_type = 'individual' AND p.name_key <> s.holder_key))
        """
    )
    for line, field_name in sorted(set(rows)):
        if line in unseen_lines:
            continue
        what, them = ("the filer's name is", "it") if field_name == "name" else ("the PACER details are", "them")
        report.add_conflict(line, field_name, (
            f"{what} shared with courts you do not administer: left unchanged, and only this court's CM/ECF account "
            f"is imported; ask the help desk to change {them}"
        ))
