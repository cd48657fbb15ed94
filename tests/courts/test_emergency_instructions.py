"""Emergency filing instructions are on the court's public page, in every notice of the pause and in
every calendar event: several lines are fine, a character no field may hold is refused on the field."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from courts.models import GoLive, GoLiveChange, GoLiveStatus
from courts.services import golive_set
from tests.courts.test_admin_golive import change_form
from tests.factories import GoLiveFactory, montana_court, superuser

pytestmark = pytest.mark.django_db


@pytest.fixture
def golive():
    return GoLiveFactory(court=montana_court(), go_live_date=dt.date(2031, 3, 3), status=GoLiveStatus.SCHEDULED)


@pytest.mark.parametrize("character, says", [
    ("\x0b", "U+000B"),  # Word's line break within a paragraph, pasted
    ("\u202e", "text-direction"),
    ("\u200b", "zero-width"),
    ("\x1b", "control character"),
])
def test_instructions_with_a_character_no_field_may_hold_are_refused_naming_the_field(golive, character, says):
    text = f"Call 406-555-0100{character}or email intake@mtd.uscourts.gov."
    with pytest.raises(ValidationError) as refused:
        golive_set(golive, golive.go_live_date, golive.status, emergency=text)
    assert says in " ".join(refused.value.message_dict["emergency_filing_instructions"])
    assert GoLive.objects.get(pk=golive.pk).emergency_filing_instructions == ""
    assert not GoLiveChange.objects.exists()


def test_instructions_of_several_lines_are_kept(golive):
    text = "Email emergency filings to intake@mtd.uscourts.gov.\r\n\tOr call 406-555-0100."
    golive_set(golive, golive.go_live_date, golive.status, emergency=text)
    assert GoLive.objects.get(pk=golive.pk).emergency_filing_instructions == text


def test_the_change_form_refuses_them_on_the_field(client, golive):
    client.force_login(superuser())
    response = client.post(reverse("admin:courts_golive_change", args=[golive.pk]), change_form(
        golive, emergency_filing_instructions="Email intake@mtd.uscourts.gov\u202e today."))
    assert response.status_code == 200
    assert "text-direction" in " ".join(response.context["adminform"].form.errors["emergency_filing_instructions"])
    assert GoLive.objects.get(pk=golive.pk).emergency_filing_instructions == ""
