"""The "Court administrators" group: the Django model permissions a court's staff need in the admin.

What they may see and change is further limited to their own courts by the admin itself
(`courts.admin.scope`). Nothing here lets them delete records: nothing is lost.
Also: on PostgreSQL, prefix-search indexes for the admin's CM/ECF login, email and PACER username searches.
"""
from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Court administrators"
PERMISSIONS = {
    "courts": {
        "court": ("view",),
        "golive": ("view", "change"),
        "golivechange": ("view",),
        "softwareversionchange": ("view",),
        "rollout": ("view",),
    },
    "accounts": {
        "cmecfaccount": ("view", "change", "add"),
        "filer": ("view", "change", "add"),
        "paceraccount": ("view", "change", "add"),
        "courtadministrator": ("view",),
        "courtreadinesscount": ("view",),
        "auditentry": ("view",),
    },
}


def group_create(apps, schema_editor):
    # Permissions are normally made after every migration ran; make them now so the group can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for app_label, models in PERMISSIONS.items():
        for model, actions in models.items():
            codenames = [f"{action}_{model}" for action in actions]
            group.permissions.add(
                *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
            )


def group_delete(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


SEARCH_INDEXES = (
    ("cmecf_login_prefix", "accounts_cmecfaccount", "login"),
    ("filer_email_prefix", "accounts_filer", "email"),
    ("pacer_username_prefix", "accounts_paceraccount", "username"),
)


def search_indexes_create(apps, schema_editor):
    # The admin searches with istartswith (UPPER(col::text) LIKE 'X%'): a pattern-ops index on that
    # expression serves it on PostgreSQL. SQLite has no such index; its tables stay small.
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column in SEARCH_INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {name} ON {table} (UPPER("{column}"::text) text_pattern_ops)'
        )


def search_indexes_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in SEARCH_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_audit"),
        ("courts", "0002_nextgen_rollout"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(group_create, group_delete),
        migrations.RunPython(search_indexes_create, search_indexes_drop),
    ]
