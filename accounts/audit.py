"""Recording the audit trail: one AuditEntry per changed field, singly or in bulk.

`audit_record` writes one entry for one record. `audit_record_queryset` writes one entry per row
of a queryset with a single INSERT … SELECT, so an action on 100,000 accounts records its trail in
one statement and no row passes through Python. Call either inside the writer's transaction and
before the UPDATE, so the old values read are the ones replaced. On PostgreSQL the bulk services use
`audit_update_queryset` (CM/ECF accounts, one field) or `audit_update_rows` (any model, several
fields) instead: lock, update and audit in one statement, so no concurrent change can slip in
between reading an old value and replacing it.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import (
    BigIntegerField, CharField, DateTimeField, Expression, F, Model, QuerySet, TextField, Value,
)
from django.db.models.functions import Cast, Coalesce, Concat, Substr
from django.utils import timezone

from accounts.models import AuditEntry, CmecfAccount, Filer, PacerAccount
from courts.models import Court

# The records staff edit field by field (accounts.services' record edits): each change of any of
# their editable fields is one entry named after the field.
AUDITED_RECORDS = (CmecfAccount, Filer, PacerAccount)
# The other names the trail's `field` column holds: a record created or deleted, a filer attached to
# a court's login by a roster, a CM/ECF name a roster changed, a filer's own reports and email change,
# a help request's handling, a notice delivery resent by staff (its state and last error), and a
# bounced address marked deliverable again by staff (its mark and soft bounce count).
AUDIT_FIELD_NAMES = (
    "created", "deleted", "court_attached", "cmecf_name", "filer_email", "pacer_upgrade_reported_at",
    "status", "assigned_to", "notes", "state", "last_error", "undeliverable_at", "soft_bounces",
)


def audit_field_names() -> list[str]:
    """Every name an entry's `field` can hold, sorted: a fixed list, not read from the trail."""
    edited = {f.name for model in AUDITED_RECORDS for f in model._meta.concrete_fields
              if f.editable and not f.primary_key}
    return sorted(edited | set(AUDIT_FIELD_NAMES))


def audit_who(by=None, source: str | None = None) -> tuple[int | None, str]:
    """(user id, source) for an entry: a user with the default source "admin", or a named source."""
    user_id = getattr(by, "pk", None)
    return user_id, (source or ("admin" if user_id else ""))[:120]


def audit_value(value: Any) -> str:
    """How a value reads in the trail: dates and times in ISO form, nothing as an empty string."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds") if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def audit_record(
    obj: Model, field: str, old: Any, new: Any, *, by=None, source: str | None = None,
    court_id: int | None = None, at: dt.datetime | None = None,
) -> AuditEntry | None:
    """One entry for one changed field of one record (nothing when old equals new)."""
    old_text, new_text = audit_value(old), audit_value(new)
    if old_text == new_text:
        return None
    user_id, source = audit_who(by, source)
    return AuditEntry.objects.create(
        at=at or timezone.now(), user_id=user_id, source=source,
        court_id=court_id if court_id is not None else getattr(obj, "court_id", None),
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True), object_id=obj.pk,
        object_repr=str(obj)[:200], field=field, old_value=old_text, new_value=new_text,
    )


def _cmecf_repr() -> Expression:
    return Substr(Concat(F("login"), Value(" @ "), F("court__court_id"), output_field=CharField()), 1, 200)


def _court_of(model) -> Expression:
    """The court an entry about a row of `model` is filed under: the row's court, if it has one."""
    fields = {f.name for f in model._meta.concrete_fields}
    return F("court_id") if "court" in fields else Value(None, output_field=BigIntegerField())


def _old_text(field: str) -> Expression:
    """A row's value of `field` as the trail reads it (nothing as an empty string)."""
    return Coalesce(Cast(F(field), output_field=TextField()), Value("", output_field=TextField()))


def audit_record_queryset(
    queryset: QuerySet, field: str, *, old: Expression, new: Any, by=None, source: str | None = None,
    at: dt.datetime | None = None, object_repr: Expression | None = None, skip_unchanged: bool = False,
) -> int:
    """One entry per row of `queryset` in one INSERT … SELECT. Returns rows written.

    `old` is an expression read from each row (e.g. F("name_review")); `new` is the one new value.
    `object_repr` is the record's name as `str(obj)` gives it, as an expression; CM/ECF accounts have
    theirs built in. `skip_unchanged`: no entry for a row whose old value reads as the new one (as
    `audit_record` does). The entry's court is the row's court when the model has one.
    """
    model = queryset.model
    if object_repr is None:
        if model is not CmecfAccount:
            raise ValueError(f"Bulk audit of {model._meta.label} needs its object_repr expression.")
        object_repr = _cmecf_repr()
    user_id, source = audit_who(by, source)
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=True)
    new_text = audit_value(new)
    rows = (
        model._default_manager.filter(pk__in=queryset.order_by().values("pk"))
        .order_by()
        .annotate(
            _at=Value(at or timezone.now(), output_field=DateTimeField()),
            _user=Value(user_id, output_field=BigIntegerField()),
            _source=Value(source, output_field=CharField()),
            _court=_court_of(model),
            _ct=Value(content_type.pk, output_field=BigIntegerField()),
            _repr=Substr(object_repr, 1, 200),
            _field=Value(field, output_field=CharField()),
            _old=Coalesce(Cast(old, output_field=TextField()), Value("", output_field=TextField())),
            _new=Value(new_text, output_field=TextField()),
        )
    )
    if skip_unchanged:
        rows = rows.exclude(_old=new_text)
    rows = rows.values_list("_at", "_user", "_source", "_court", "_ct", "pk", "_repr", "_field", "_old", "_new")
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {_audit_table()} ({_audit_columns()}) {sql}", params)
        return cursor.rowcount


def _audit_table() -> str:
    return connection.ops.quote_name(AuditEntry._meta.db_table)


def _audit_columns() -> str:
    return ", ".join(
        connection.ops.quote_name(c)
        for c in ("at", "user_id", "source", "court_id", "content_type_id", "object_id", "object_repr", "field",
                  "old_value", "new_value")
    )


def audit_update_rows(
    queryset: QuerySet, values: dict[str, Any], *, audited: Sequence[str], object_repr: Expression, by=None,
    source: str | None = None, at: dt.datetime | None = None,
) -> int:
    """Set `values` on every row of `queryset` (any model) and record, per row, one entry for each
    field of `audited` whose old value reads differently from its new one. Returns the rows updated.

    `audited` names fields of `values`; `object_repr` is the record's name (as `str(obj)` gives it
    before the change) as an expression over the row. The queryset stays a subquery: no row passes
    through Python, whatever the selection's size.

    On PostgreSQL, one statement, as `audit_update_queryset`: the rows are locked and re-checked
    against the queryset's conditions (SELECT … FOR UPDATE; a sliced, DISTINCT or grouped queryset
    becomes `pk IN (…)`, whose conditions are not re-checked), updated, and their old values written
    to the trail, so no row can change, or join the selection, between the trail and the update.
    Elsewhere (SQLite, which locks the whole database for a write anyway): one INSERT … SELECT per
    audited field, then one UPDATE.
    """
    model = queryset.model
    now = at or timezone.now()
    query = queryset.query
    if query.is_sliced or query.distinct or query.combinator or query.group_by is not None:
        rows = model._default_manager.filter(pk__in=queryset.order_by().values("pk"))
    else:
        # As given: its conditions are re-checked on each row once it is locked.
        rows = queryset.order_by()
    if connection.vendor != "postgresql":
        for field in audited:
            audit_record_queryset(rows, field, old=F(field), new=values[field], by=by, source=source, at=now,
                                  object_repr=object_repr, skip_unchanged=True)
        return rows.update(**values)

    user_id, source = audit_who(by, source)
    qn = connection.ops.quote_name
    olds = {f"_old{i}": _old_text(field) for i, field in enumerate(audited)}
    target = (
        rows.order_by().select_for_update(of=("self",))
        .annotate(_court=_court_of(model), _repr=Substr(object_repr, 1, 200), **olds)
        .values_list("pk", "_court", "_repr", *olds)
    )
    target_sql, target_params = target.query.sql_with_params()
    sets, set_params = [], []
    for name, value in values.items():
        model_field = model._meta.get_field(name)
        sets.append(f"{qn(model_field.column)} = %s")
        set_params.append(model_field.get_db_prep_save(value, connection))
    old_columns = ", ".join(f"old{i}" for i in range(len(audited)))
    entries = ", ".join(f"(%s, changed.old{i}, %s)" for i in range(len(audited)))
    entry_params = [p for field in audited for p in (field, audit_value(values[field]))]
    sql = f"""
        WITH target (id, court_id, repr, {old_columns}) AS ({target_sql}),
        changed AS (
            UPDATE {qn(model._meta.db_table)} AS t SET {", ".join(sets)}
            FROM target WHERE t.{qn(model._meta.pk.column)} = target.id
            RETURNING target.*
        ),
        entries AS (
            INSERT INTO {_audit_table()} ({_audit_columns()})
            SELECT %s, %s, %s, changed.court_id, %s, changed.id, changed.repr, e.field, e.old, e.new
            FROM changed CROSS JOIN LATERAL (VALUES {entries}) AS e (field, old, new)
            WHERE e.old <> e.new
        )
        SELECT COUNT(*) FROM changed
    """
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=True)
    params = (*target_params, *set_params, now, user_id, source, content_type.pk, *entry_params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def audit_update_queryset(
    queryset: QuerySet, field: str, value: Any, *, by=None, source: str | None = None, at: dt.datetime | None = None,
) -> dict[int, int]:
    """Set `field` to `value` on every row of `queryset` (CM/ECF accounts) and record one entry per
    row, in ONE statement (PostgreSQL). Returns {court id: rows changed}.

    Steps, as one data-modifying CTE:
    1. `target`: the queryset's rows, SELECT … FOR UPDATE OF the account rows. A row changed by a
       concurrent transaction is waited for, re-read and re-checked against the queryset's
       conditions, so the old value kept is the one this statement replaces;
    2. `changed`: UPDATE those rows (and `updated_at`), RETURNING id, court, login and the old value;
    3. `entries`: INSERT the audit entries from `changed` (the court's code for the record's name);
    4. the result: rows changed per court, for the message and the after-commit recount.
    The queryset is used as given: no `pk IN (…)` second pass over the table.
    """
    if queryset.model is not CmecfAccount:
        raise ValueError("Bulk audit is written for CM/ECF accounts only.")
    user_id, source = audit_who(by, source)
    now = at or timezone.now()
    target = queryset.order_by().select_for_update(of=("self",)).values_list("pk", field)
    target_sql, target_params = target.query.sql_with_params()
    qn = connection.ops.quote_name
    accounts, courts, audit = (qn(m._meta.db_table) for m in (CmecfAccount, Court, AuditEntry))
    column = qn(CmecfAccount._meta.get_field(field).column)
    value_sql = CmecfAccount._meta.get_field(field).get_db_prep_save(value, connection)
    columns = ", ".join(qn(c) for c in (
        "at", "user_id", "source", "court_id", "content_type_id", "object_id", "object_repr", "field", "old_value",
        "new_value",
    ))
    sql = f"""
        WITH target (id, old) AS ({target_sql}),
        changed AS (
            UPDATE {accounts} AS a SET {column} = %s, {qn("updated_at")} = %s
            FROM target WHERE a.{qn("id")} = target.id
            RETURNING a.{qn("id")} AS id, a.{qn("court_id")} AS court_id, a.{qn("login")} AS login, target.old AS old
        ),
        entries AS (
            INSERT INTO {audit} ({columns})
            SELECT %s, %s, %s, changed.court_id, %s, changed.id,
                   SUBSTRING(changed.login || ' @ ' || c.{qn("court_id")} FROM 1 FOR 200), %s,
                   COALESCE(changed.old::text, ''), %s
            FROM changed JOIN {courts} AS c ON c.{qn("id")} = changed.court_id
            RETURNING {qn("court_id")}
        )
        SELECT court_id, COUNT(*) FROM entries GROUP BY court_id
    """
    params = (
        *target_params, value_sql, now,
        now, user_id, source, ContentType.objects.get_for_model(CmecfAccount).pk, field, audit_value(value),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {court_id: n for court_id, n in cursor.fetchall()}


def audit_entries_for(obj: Model, court_id: int, limit: int = 20) -> QuerySet[AuditEntry]:
    """The latest entries about one record written at `court_id` (the court the record is at now),
    newest first. Entries from while it was at another court stay with that court: a record moved
    between courts must not show the new court's staff who did what at the old one."""
    content_type = ContentType.objects.get_for_model(obj, for_concrete_model=True)
    return AuditEntry.objects.filter(content_type=content_type, object_id=obj.pk,
                                     court_id=court_id).select_related("user")[:limit]
