"""A court's change form refuses, on the field, what the feed import refuses: pages, emails and
calendars are built from these values, so one bad value would break every page of the court."""
import json

import pytest
from django.urls import reverse

from courts.models import Court
from tests.factories import montana_court, superuser

pytestmark = pytest.mark.django_db


def post_court(client, court, **changes):
    client.force_login(superuser())
    url = reverse("admin:courts_court_change", args=[court.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, (list, dict))}
    data.update(help_desk_phones=json.dumps(court.help_desk_phones), locations=json.dumps(court.locations))
    data.update(changes)
    return client.post(url, data)


@pytest.mark.parametrize("field, value, says", [
    ("help_desk_phones", '["\\u0000"]', "NUL"),
    ("help_desk_phones", "[1e999]", "list of texts"),
    ("help_desk_phones", '{"a": 1}', "list of texts"),
    ("help_desk_phones", '"406-555-0100"', "list of texts"),
    ("locations", '[{"name": "x\\u0000"}]', "NUL"),
    ("locations", '[{"name": "Helena", "fax": "1"}]', "'fax'"),
    ("locations", '["Helena"]', "list of offices"),
    ("help_desk_phones", json.dumps(["406-555-0100 (" + "x" * 300 + ")"]), "longer than 200"),
    ("locations", json.dumps([{"name": "Helena", "hours": "x" * 501}]), "longer than 500"),
    ("name", "District\nBcc: evil@example.com", "line break"),
    ("name", "District \u202eof Montana", "text-direction"),
    ("circuit", "D.C.", "letters and digits"),
    ("circuit", "9", "not a circuit (01 to 11, DC or FC)"),
    ("circuit", "12", "not a circuit (01 to 11, DC or FC)"),
])
def test_a_value_the_feed_would_refuse_is_refused_on_its_field_and_nothing_changes(client, field, value, says):
    court = montana_court()
    before = Court.objects.filter(pk=court.pk).values().get()
    response = post_court(client, court, **{field: value})
    assert response.status_code == 200
    assert says in " ".join(response.context["adminform"].form.errors.get(field, []))
    assert Court.objects.filter(pk=court.pk).values().get() == before


def test_good_values_are_saved(client):
    court = montana_court()
    response = post_court(client, court, help_desk_phones='["406-555-0100"]',
                          locations='[{"name": "Helena", "phone": "406-555-0100"}]')
    assert response.status_code == 302
    court.refresh_from_db()
    assert court.help_desk_phones == ["406-555-0100"] and court.locations == [{"name": "Helena", "phone": "406-555-0100"}]


def test_the_form_says_which_fields_the_next_feed_import_writes_over(client):
    """A coordinator's correction of a help desk, an office or an address lasts only until the next
    PACER feed import, which writes the feed's value back: the form says so on each such field, and
    not on the name or time zone, which imports keep."""
    from courts.services import FEED_FIELDS

    client.force_login(superuser())
    form = client.get(reverse("admin:courts_court_change", args=[montana_court().pk])).context["adminform"].form
    feed_owned = [name for name in FEED_FIELDS if name in form.fields]
    assert {"help_desk_phones", "locations", "login_url", "web_url", "rss_url"} <= set(feed_owned)
    for name in feed_owned:
        assert "the next PACER feed import writes the feed's value over it" in form.fields[name].help_text, name
    for name in ("name", "time_zone"):
        assert "writes the feed's value over it" not in form.fields[name].help_text


def test_the_cmecf_codes_help_shows_the_address_it_reads_as_text(client):
    """The admin shows help texts as HTML: "ecf.<code>.uscourts.gov" opened a <code> element, and the
    form read "ecf..uscourts.gov", the rest of the help in another type."""
    client.force_login(superuser())
    page = client.get(reverse("admin:courts_court_change", args=[montana_court().pk])).content.decode()
    assert "(ecf.&lt;code&gt;.uscourts.gov)" in page


def test_a_saved_courts_id_cannot_be_changed(client):
    """The feed's key, and in every court-page link and calendar event sent: read-only once saved."""
    court = montana_court()
    response = post_court(client, court, court_id="MTXX")
    assert response.status_code == 302
    court.refresh_from_db()
    assert court.court_id == "MTDC"


def test_a_new_courts_id_is_checked_like_the_feeds(client):
    client.force_login(superuser())
    response = client.post(reverse("admin:courts_court_add"), {"court_id": "MT DC", "name": "District of Montana"})
    assert response.status_code == 200
    assert "letters and digits" in " ".join(response.context["adminform"].form.errors.get("court_id", []))


def test_a_saved_rollouts_slug_cannot_be_changed(client):
    from courts.selectors import rollout_current

    rollout = rollout_current()
    client.force_login(superuser())
    url = reverse("admin:courts_rollout_change", args=[rollout.pk])
    form = client.get(url).context["adminform"].form
    assert "slug" not in form.fields
    client.post(url, {**{k: v for k, v in form.initial.items() if v is not None}, "slug": "renamed"})
    rollout.refresh_from_db()
    assert rollout.slug != "renamed"
