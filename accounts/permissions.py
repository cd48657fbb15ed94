"""The "Court administrators" group: the Django model permissions a court's staff hold in the admin,
which the admin confines to their own courts (`courts.admin.scope`). Nothing here lets them delete
records or assign courts.

Each app names the permissions its models give the group, and the group is brought up to date after
every `migrate` (and every test database flush), so a new model's permissions reach existing
installations without a data migration.
"""
from __future__ import annotations

from django.db.models.signals import post_migrate

GROUP = "Court administrators"

# Per app label: {model name: actions}.
ACCOUNTS_AND_COURTS = {
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
        "helprequest": ("view", "change"),
    },
}


def court_administrators_grant(permissions: dict[str, dict[str, tuple[str, ...]]]):
    """Make sure the group exists and holds `permissions` (permissions it holds besides are kept)."""
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    group, _ = Group.objects.get_or_create(name=GROUP)
    wanted = Q(pk__in=[])
    for app_label, models in permissions.items():
        codenames = [f"{action}_{model}" for model, actions in models.items() for action in actions]
        wanted |= Q(content_type__app_label=app_label, codename__in=codenames)
    group.permissions.add(*Permission.objects.filter(wanted))
    return group


def grant_after_migrate(app_config, permissions) -> None:
    """Connect: after `migrate` of `app_config`, grant `permissions` to the group."""

    def handler(sender, using="default", **kwargs):
        court_administrators_grant(permissions)

    post_migrate.connect(handler, sender=app_config, weak=False, dispatch_uid=f"court_administrators_{app_config.label}")
