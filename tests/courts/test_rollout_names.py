"""A rollout's name is in every public page, calendar feed and notice attachment: it is refused, on its
field, with a character no field may hold, as a court's name is."""
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from courts.models import Rollout
from courts.selectors import rollout_current
from courts.services import rollout_save
from tests.factories import superuser

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name, says", [
    ("NextGen CM/ECF\nrelease 2", "line break"),
    ("NextGen\x0bCM/ECF", "line break"),
    ("NextGen\tCM/ECF", "tab"),
    ("NextGen \u202eCM/ECF", "text-direction"),
])
def test_the_admin_refuses_a_rollout_name_with_a_bad_character_on_its_field(client, name, says):
    rollout = rollout_current()
    before = Rollout.objects.filter(pk=rollout.pk).values().get()
    client.force_login(superuser())
    response = client.post(reverse("admin:courts_rollout_change", args=[rollout.pk]),
                           {"name": name, "is_current": "on"})
    assert response.status_code == 200
    assert says in " ".join(response.context["adminform"].form.errors.get("name", []))
    assert Rollout.objects.filter(pk=rollout.pk).values().get() == before


def test_the_service_refuses_a_rollout_name_with_a_line_break_and_stores_nothing():
    rollout = rollout_current()
    before = Rollout.objects.filter(pk=rollout.pk).values().get()
    rollout.name = "NextGen CM/ECF\r\nrelease 2"
    with pytest.raises(ValidationError) as refused:
        rollout_save(rollout)
    assert "line break" in " ".join(refused.value.message_dict["name"])
    assert Rollout.objects.filter(pk=rollout.pk).values().get() == before


def test_the_admin_saves_a_good_rollout_name(client):
    rollout = rollout_current()
    client.force_login(superuser())
    response = client.post(reverse("admin:courts_rollout_change", args=[rollout.pk]),
                           {"name": "NextGen CM/ECF, release 2", "is_current": "on"})
    assert response.status_code == 302
    rollout.refresh_from_db()
    assert rollout.name == "NextGen CM/ECF, release 2"
