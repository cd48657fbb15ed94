"""The notices' model permissions for the "Court administrators" group: the admin keeps Django's model
permissions and confines them to each administrator's courts (`accounts.admin.scope`)."""
from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Court administrators"
PERMISSIONS = {"noticetemplate": ("view", "add", "change", "delete"), "noticedelivery": ("view",)}


def permissions_grant(apps, schema_editor):
    app_config = apps.get_app_config("rollout")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    codenames = [f"{action}_{model}" for model, actions in PERMISSIONS.items() for action in actions]
    group.permissions.add(*Permission.objects.filter(content_type__app_label="rollout", codename__in=codenames))


def permissions_revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    codenames = [f"{action}_{model}" for model, actions in PERMISSIONS.items() for action in actions]
    for group in Group.objects.filter(name=GROUP):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="rollout", codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [
        ("rollout", "0003_notice_sent_log"),
        ("accounts", "0004_court_administrators_group"),
    ]

    operations = [migrations.RunPython(permissions_grant, permissions_revoke)]
