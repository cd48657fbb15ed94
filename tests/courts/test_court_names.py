"""Display names over every entry of the real PACER feed: no feed noise, and type and state agree with the name."""
import json
import re

import pytest
from django.core.management import call_command

from courts.models import Court
from courts.names import clean_text, display_name
from courts.pacer_feed import parse_feed

NOISE = re.compile(r"[\[\]()]|\blive\b|nextgen|release|revision|\d+\.\d+|www\.|main office", re.I)
TYPE_WORDS = {
    "district": r"^(U\.S\. District Court for the|District Court (of|for) )",
    "bankruptcy": r"Bankruptcy (Court|Division)",
    "appellate": r"(Court of Appeals|Bankruptcy Appellate Panel) for the .* Circuit$",
}


@pytest.fixture
def feed_courts(feed_path):
    courts, skipped = parse_feed(json.loads(feed_path.read_text()))
    assert len(courts) == 209 and [s.court_id for s in skipped] == ["00PCL"]
    return courts


def test_no_display_name_carries_status_release_or_office_noise(feed_courts):
    noisy = [(c.court_id, c.name) for c in feed_courts if NOISE.search(c.name)]
    assert noisy == []


def test_display_names_are_unique(feed_courts):
    names = [c.name for c in feed_courts]
    assert len(set(names)) == len(names)


def test_every_court_type_agrees_with_its_display_name(feed_courts):
    wrong = [(c.court_id, c.court_type, c.name) for c in feed_courts
             if c.court_type in TYPE_WORDS and not re.search(TYPE_WORDS[c.court_type], c.name)]
    wrong += [(c.court_id, c.court_type, c.name) for c in feed_courts
              if c.court_type != "bankruptcy" and "Bankruptcy Court" in c.name]
    assert wrong == []


def test_every_district_and_bankruptcy_court_names_its_state(feed_courts):
    """The state (from the court id) is in the display name and starts the feed's own title."""
    wrong = []
    for c in feed_courts:
        if c.court_type not in ("district", "bankruptcy"):
            continue
        place = c.state.removeprefix("U.S. ")
        if place not in c.name or not c.title.startswith(place):
            wrong.append((c.court_id, c.state, c.name, c.title))
    assert wrong == []


def test_every_appeals_court_names_its_circuit(feed_courts):
    ordinals = {"01": "First", "02": "Second", "09": "Ninth", "10": "Tenth", "DC": "District of Columbia", "FC": "Federal"}
    wrong = [(c.court_id, c.name) for c in feed_courts
             if c.court_type == "appellate" and c.circuit in ordinals and f"{ordinals[c.circuit]} Circuit" not in c.name]
    assert wrong == []


@pytest.mark.parametrize("court_id, court_type, circuit, expected", [
    ("NYNDC", "district", "02", "U.S. District Court for the Northern District of New York"),
    ("TXEDC", "district", "05", "U.S. District Court for the Eastern District of Texas"),
    ("IDDC", "district", "09", "U.S. District Court for the District of Idaho"),
    ("ALMBK", "bankruptcy", "11", "U.S. Bankruptcy Court for the Middle District of Alabama"),
    ("OHNDAD", "district", "06", "U.S. District Court for the Northern District of Ohio, asbestos cases"),
    ("GUBK", "bankruptcy", "09", "District Court of Guam, Bankruptcy Division"),
    ("09BAP", "appellate", "09", "Bankruptcy Appellate Panel for the Ninth Circuit"),
    ("1DCCA", "appellate", "DC", "U.S. Court of Appeals for the District of Columbia Circuit"),
    ("JPMLDC", "national", "DC", "Judicial Panel on Multidistrict Litigation"),
])
def test_known_display_names(court_id, court_type, circuit, expected):
    assert display_name(court_id=court_id, court_type=court_type, circuit=circuit) == expected


@pytest.mark.parametrize("text, expected", [
    ("Northern District of New York - Main Office (syracuse)  [nextgen Cm/ecf Release 1.7 (revision 1.7.1.1)]",
     "Northern District of New York"),
    ("Eastern District of Texas  [live]", "Eastern District of Texas"),
    ("District of Idaho (live) Nextgen 1.6", "District of Idaho"),
    ("Western District of Wisconsin Www.wiwb.uscourts.gov", "Western District of Wisconsin"),
    ("Live Database", ""),
])
def test_clean_text_removes_noise_from_an_irregular_entry(text, expected):
    assert clean_text(text) == expected


@pytest.mark.django_db
def test_an_administrators_name_is_kept_across_imports(feed_path):
    call_command("import_pacer_courts", str(feed_path))
    Court.objects.filter(court_id="MTDC").update(name="Montana (Missoula office)", name_overridden=True)
    call_command("import_pacer_courts", str(feed_path))
    court = Court.objects.get(court_id="MTDC")
    assert court.name == "Montana (Missoula office)"
    assert court.feed_name == "District of Montana"


@pytest.mark.django_db
def test_help_desk_name_reads_as_the_courts_own(feed_path):
    call_command("import_pacer_courts", str(feed_path))
    assert Court.objects.get(court_id="ALMDC").help_desk_name == (
        "CM/ECF help desk of the U.S. District Court for the Middle District of Alabama")


def test_the_built_in_catalog_has_the_same_display_names(feed_courts):
    from courts.catalog import catalog_courts

    from_feed = {c.court_id: c.name for c in feed_courts}
    assert {c.court_id: c.name for c in catalog_courts()} == from_feed


@pytest.mark.django_db
def test_a_name_changed_in_the_admin_is_marked_overridden_and_kept(feed_path, client):
    from django.urls import reverse

    from tests.factories import superuser

    call_command("import_pacer_courts", str(feed_path))
    client.force_login(superuser())
    court = Court.objects.get(court_id="IDDC")
    url = reverse("admin:courts_court_change", args=[court.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, (list, dict))}
    data.update(name="District of Idaho (Boise)", help_desk_phones="[]", locations="[]")
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    call_command("import_pacer_courts", str(feed_path))
    court.refresh_from_db()
    assert (court.name, court.name_overridden) == ("District of Idaho (Boise)", True)
