"""The court page's account search: trigram indexes over filers' names and emails and CM/ECF accounts'
logins and CM/ECF names (PostgreSQL only).

The search (`rollout.dashboard.filters.AccountFilter`) asks "contains the text" with Django's
icontains, i.e. UPPER(col::text) LIKE UPPER('%text%'); the indexes are on those same expressions, so
the matches come from the indexes instead of reading every account of the court (whose rows lie on
as many pages as it has accounts). The pg_trgm extension is enabled here; other databases get
nothing (SQLite scans, which is fine at its sizes). Cost: two GIN indexes to keep up on writes of
those four columns (roster imports, new accounts); linking and flagging do not touch them.
"""
from django.db import migrations

INDEXES = {
    "accounts_filer_search_trgm": "accounts_filer USING gin (UPPER(name::text) gin_trgm_ops, UPPER(email::text) gin_trgm_ops)",
    "accounts_cmecf_search_trgm": "accounts_cmecfaccount USING gin "
                                  "(UPPER(login::text) gin_trgm_ops, UPPER(cmecf_name::text) gin_trgm_ops)",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, target in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0008_user_time_zone_preference")]

    operations = [migrations.RunPython(forwards, backwards)]
