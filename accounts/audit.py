"""Recording the audit trail: one AuditEntry per changed field, singly or in bulk.

`audit_record` writes one entry for one record. `audit_record_queryset` writes one entry per row
of a queryset with a single INSERT … SELECT, so an action on 100,000 accounts records its trail in
one statement and no row passes through Python. Call either inside the writer's transaction and
before the UPDATE, so the old values read are the ones replaced. On PostgreSQL the bulk services use
`audit_update_queryset` instead: lock, update and audit in one statement, so no concurrent change
can slip in between reading an old value and replacing it.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import (
    BigIntegerField, CharField, DateTimeField, Expression, F, Model, QuerySet, TextField, Value,
)
from django.db.models.functions import Cast, Coalesce, Concat, Substr
from django.utils import timezone

from accounts.models import AuditEntry, CmecfAccount
from courts.models import Court


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


def audit_record_queryset(
    queryset: QuerySet, field: str, *, old: Expression, new: Any, by=None, source: str | None = None,
    at: dt.datetime | None = None,
) -> int:
    """One entry per row of `queryset` (CM/ECF accounts) in one INSERT … SELECT. Returns rows written.

    `old` is an expression read from each row (e.g. F("name_review")); `new` is the one new value.
    """
    if queryset.model is not CmecfAccount:
        raise ValueError("Bulk audit is written for CM/ECF accounts only.")
    user_id, source = audit_who(by, source)
    content_type = ContentType.objects.get_for_model(CmecfAccount)
    rows = (
        CmecfAccount.objects.filter(pk__in=queryset.order_by().values("pk"))
        .order_by()
        .annotate(
            _at=Value(at or timezone.now(), output_field=DateTimeField()),
            _user=Value(user_id, output_field=BigIntegerField()),
            _source=Value(source, output_field=CharField()),
            _ct=Value(content_type.pk, output_field=BigIntegerField()),
            _repr=_cmecf_repr(),
            _field=Value(field, output_field=CharField()),
            _old=Coalesce(Cast(old, output_field=TextField()), Value("", output_field=TextField())),
            _new=Value(audit_value(new), output_field=TextField()),
        )
        .values_list("_at", "_user", "_source", "court_id", "_ct", "pk", "_repr", "_field", "_old", "_new")
    )
    sql, params = rows.query.sql_with_params()
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(c)
        for c in ("at", "user_id", "source", "court_id", "content_type_id", "object_id", "object_repr", "field",
                  "old_value", "new_value")
    )
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) {sql}", params)
        return cursor.rowcount


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


def audit_entries_for(obj: Model, limit: int = 20) -> QuerySet[AuditEntry]:
    """The latest entries about one record, newest first."""
    content_type = ContentType.objects.get_for_model(obj, for_concrete_model=True)
    return AuditEntry.objects.filter(content_type=content_type, object_id=obj.pk).select_related("user")[:limit]
