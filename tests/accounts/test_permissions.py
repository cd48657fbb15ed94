"""The "Court administrators" group holds what each app grants it, and never delete or court assignment."""
import pytest
from django.contrib.auth.models import Group

from accounts.permissions import GROUP

pytestmark = pytest.mark.django_db


def codenames():
    return set(Group.objects.get(name=GROUP).permissions.values_list("codename", flat=True))


def test_the_group_holds_the_notice_permissions_rollout_grants():
    assert {"view_noticetemplate", "change_noticetemplate", "view_noticedelivery"} <= codenames()


def test_the_group_cannot_delete_records_or_assign_courts():
    held = codenames()
    assert not {c for c in held if c.startswith("delete_") and not c.endswith("noticetemplate")}
    assert not {"add_courtadministrator", "change_courtadministrator"} & held
