"""The court page's account search: a trigram index over filers' names and emails (PostgreSQL only).

The search (`rollout.dashboard.filters.AccountFilter`) asks "a filer whose name or email contains
the text" with Django's icontains, i.e. UPPER(col::text) LIKE UPPER('%text%'); the index is on those
same expressions, so that question is answered from the index instead of reading every filer. The
pg_trgm extension is enabled here; other databases get nothing (SQLite scans, which is fine there).
"""
from django.db import migrations

INDEX = "accounts_filer_search_trgm"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON accounts_filer "
        "USING gin (UPPER(name::text) gin_trgm_ops, UPPER(email::text) gin_trgm_ops)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_user_time_zone_preference")]

    operations = [migrations.RunPython(forwards, backwards)]
