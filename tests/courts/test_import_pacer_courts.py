import datetime as dt
import json
import re

import pytest
from django.core.management import CommandError, call_command

from courts.models import Court, SoftwareVersionChange
from courts.pacer_feed import parse_start_date


def run_import(source, capsys=None) -> str:
    call_command("import_pacer_courts", str(source))
    return capsys.readouterr().out if capsys else ""


@pytest.mark.django_db
def test_real_feed_creates_209_courts(feed_path, capsys):
    out = run_import(feed_path, capsys)
    assert Court.objects.count() == 209
    assert "209 created, 0 updated, 0 unchanged, 1 skipped" in out


@pytest.mark.django_db
def test_case_locator_is_skipped_with_its_reason(feed_path, capsys):
    out = run_import(feed_path, capsys)
    assert not Court.objects.filter(court_id="00PCL").exists()
    assert "skipped 00PCL: the PACER Case Locator is a search service" in out


@pytest.mark.django_db
def test_second_import_changes_nothing_and_says_so(feed_path, capsys):
    run_import(feed_path, capsys)
    before = {c.court_id: c.updated_at for c in Court.objects.all()}
    out = run_import(feed_path, capsys)
    assert "0 created, 0 updated, 209 unchanged, 1 skipped" in out
    assert "Nothing changed" in out
    assert {c.court_id: c.updated_at for c in Court.objects.all()} == before


@pytest.mark.django_db
def test_feed_facts_of_montana_are_read(feed_path):
    run_import(feed_path)
    court = Court.objects.get(court_id="MTDC")
    assert (court.cmecf_code, court.name, court.court_type, court.circuit) == ("mtd", "U.S. District Court for the District of Montana", "district", "09")
    assert court.login_url == "https://ecf.mtd.uscourts.gov"
    assert court.help_desk_phones == ["866-463-4052"]
    assert court.time_zone == "America/Denver"
    assert court.software_version == "NextGen CM/ECF Release 1.6 (Revision 1.6.3)"


@pytest.mark.django_db
def test_every_kind_of_court_is_imported(feed_path):
    run_import(feed_path)
    assert Court.objects.get(court_id="09BAP").court_type == "appellate"
    assert Court.objects.get(court_id="GUBK").cmecf_code == "gub"
    assert Court.objects.get(court_id="LAMDC").cmecf_code == "lamd"
    assert Court.objects.get(court_id="SCOTUS").court_type == "national"
    assert Court.objects.get(court_id="GUBK").time_zone == "Pacific/Guam"
    assert Court.objects.get(court_id="HIDC").time_zone == "Pacific/Honolulu"


@pytest.mark.django_db
def test_html_entities_in_the_feed_are_decoded(feed_path):
    run_import(feed_path)
    addresses = [loc.get("address", "") for loc in Court.objects.get(court_id="OHNDAD").locations]
    assert any("Building & Courthouse" in a for a in addresses)
    assert not any("&amp;" in a for a in addresses)


@pytest.mark.django_db
def test_changed_software_version_is_recorded_with_the_date_seen(feed_path, tmp_path):
    run_import(feed_path)
    payload = json.loads(feed_path.read_text())
    for entry in payload["data"]:
        if entry["court_id"] == "MTDC":
            entry["software_version"] = "NextGen CM/ECF Release 1.7 (Revision 1.7.0.2)"
    changed = tmp_path / "feed.json"
    changed.write_text(json.dumps(payload))
    run_import(changed)
    change = SoftwareVersionChange.objects.get(court__court_id="MTDC")
    assert change.old_version == "NextGen CM/ECF Release 1.6 (Revision 1.6.3)"
    assert change.new_version == "NextGen CM/ECF Release 1.7 (Revision 1.7.0.2)"
    assert change.seen_on == dt.date.today() or abs((change.seen_on - dt.date.today()).days) <= 1
    assert Court.objects.get(court_id="MTDC").software_version.endswith("(Revision 1.7.0.2)")
    assert SoftwareVersionChange.objects.count() == 1


@pytest.mark.django_db
def test_time_zone_override_survives_a_reimport(feed_path):
    from courts.services import court_set_time_zone

    run_import(feed_path)
    court_set_time_zone(Court.objects.get(court_id="IDDC"), "America/Los_Angeles")
    run_import(feed_path)
    assert Court.objects.get(court_id="IDDC").time_zone == "America/Los_Angeles"


@pytest.mark.parametrize(
    "content, message",
    [
        ("this is not json", "is not valid JSON"),
        ('{"meta": {}}', "no 'data' list"),
        ('{"data": {"court_id": "MTDC"}}', "is not a list"),
        ('{"data": [{"court_id": "MTDC", "type": "District", "title": "x"}, {"title": "No id", "type": "District"}]}',
         "Entry 2 of the feed (No id) has no court_id"),
    ],
    ids=["not-json", "no-data", "wrong-shape", "missing-court-id"],
)
@pytest.mark.django_db
def test_malformed_feed_fails_clearly_and_changes_nothing(feed_path, tmp_path, content, message):
    run_import(feed_path)
    before = list(Court.objects.order_by("court_id").values_list("court_id", "updated_at"))
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("import_pacer_courts", str(bad))
    assert list(Court.objects.order_by("court_id").values_list("court_id", "updated_at")) == before


@pytest.mark.django_db
def test_malformed_feed_into_an_empty_database_creates_nothing(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"data": [{"court_id": "MTDC", "type": "District"}, {"type": "District"}]}')
    with pytest.raises(CommandError):
        call_command("import_pacer_courts", str(bad))
    assert Court.objects.count() == 0


@pytest.mark.django_db
def test_unreachable_url_gives_a_clear_message_not_a_traceback():
    with pytest.raises(CommandError, match="Could not download the PACER court feed"):
        call_command("import_pacer_courts", "http://127.0.0.1:9/data.json")


@pytest.mark.django_db
def test_builtin_catalog_gives_every_court_without_the_internet(capsys):
    call_command("load_court_catalog")
    assert Court.objects.count() == 209
    assert Court.objects.get(court_id="GUDC").time_zone == "Pacific/Guam"


@pytest.mark.django_db
def test_raw_cmecf_start_text_is_kept_and_parsed_when_clear(feed_path):
    run_import(feed_path)
    montana = Court.objects.get(court_id="MTDC")
    assert (montana.cmecf_start_text, montana.cmecf_start_date) == ("11/07/2005", dt.date(2005, 11, 7))
    messy = Court.objects.get(cmecf_start_text="E-Filing of Criminal January 1, 2007; Civil: January 1, 2008.")
    assert messy.cmecf_start_date is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("11/07/2005", dt.date(2005, 11, 7)),
        ("May 17, 2004", dt.date(2004, 5, 17)),
        ("[08/02/04]", dt.date(2004, 8, 2)),
        ("October 14. 2003", dt.date(2003, 10, 14)),
        ("March 17th, 2003", dt.date(2003, 3, 17)),
        ("5 July 2005", dt.date(2005, 7, 5)),
        ("1-1-2005", dt.date(2005, 1, 1)),
        ("Date the court started using CM/ECF June 16, 2003", dt.date(2003, 6, 16)),
        ("October 1997", None),
        ("6.1 date 2/15/2014", None),
        ("E-Filing of Criminal January 1, 2007; Civil: January 1, 2008.", None),
        ("CM/ECF version 3.1.2 - Oct. 16, 2006", None),
        ("13/45/2001", None),
        ("", None),
    ],
)
def test_start_date_parsing_never_guesses(text, expected):
    assert parse_start_date(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("01/01/0001", dt.date(1, 1, 1)),
    ("1/1/0099", dt.date(99, 1, 1)),
    ("6/1/07", dt.date(2007, 6, 1)),
    ("6/1/97", dt.date(1997, 6, 1)),
])
def test_only_a_two_digit_year_takes_a_century(text, expected):
    assert parse_start_date(text) == expected


@pytest.mark.django_db
def test_a_court_stored_in_another_case_is_updated_not_created_again(feed_path):
    Court.objects.create(court_id="mtdc", name="District of Montana", court_type="district", time_zone="America/Denver")
    run_import(feed_path)
    assert list(Court.objects.filter(court_id__iexact="MTDC").values_list("court_id", "cmecf_code")) == [("mtdc", "mtd")]
    assert Court.objects.count() == 209


@pytest.mark.django_db
def test_of_two_courts_differing_only_in_case_the_one_spelled_like_the_feed_is_updated(feed_path):
    for court_id in ("mtdc", "MTDC"):
        Court.objects.create(court_id=court_id, name="District of Montana", court_type="district",
                             time_zone="America/Denver")
    run_import(feed_path)
    assert dict(Court.objects.filter(court_id__iexact="MTDC").values_list("court_id", "cmecf_code")) == {
        "MTDC": "mtd", "mtdc": ""}


@pytest.mark.django_db
def test_offices_the_feed_writes_as_a_numbered_object_are_kept_in_order(feed_path):
    """Five courts of the real feed give their offices as {"0": …, "1": …, "4": …} (a list with gaps,
    as PHP writes one), not a list: their offices are shown like every other court's."""
    run_import(feed_path)
    offices = Court.objects.get(court_id="CAEBK").locations
    assert [office.get("name") for office in offices[:3]] == [
        "Eastern District of California", "Sacramento Division", "Modesto Division"]
    assert not Court.objects.filter(court_id__in=["AZBK", "CAEBK", "CTBK", "SCDC", "SDDC"], locations=[]).exists()


@pytest.mark.django_db
def test_a_help_desk_extension_the_feed_gives_is_kept_with_its_phone(feed_path):
    """Eight courts of the real feed give the help desk's extension apart from its number
    ("phone": "515-284-6230", "phoneExt": "6220"): a filer who dials the number alone reaches the
    court's switchboard, not its CM/ECF help desk."""
    run_import(feed_path)
    assert Court.objects.get(court_id="IASBK").help_desk_phones == ["515-284-6230 Ext. 6220"]
    assert Court.objects.get(court_id="PAEBK").help_desk_phones == [
        "215-408-2800 Ext. 2817 (For login/pswd assistance)", "215-408-2800 Ext. 2368 (Philadelphia)",
        "610-208-5060 Ext. 225 (Reading)"]


@pytest.mark.django_db
def test_a_court_the_feed_no_longer_lists_is_kept_and_named(feed_path, tmp_path, capsys):
    """A court dropped from the feed, or listed under a new court_id, keeps its record, go-live and
    history; whoever runs the import is told which, never that the database matches the feed."""
    from courts.models import GoLiveStatus
    from tests.factories import GoLiveFactory

    run_import(feed_path)
    GoLiveFactory(court=Court.objects.get(court_id="MTDC"), go_live_date=dt.date(2021, 9, 27),
                  status=GoLiveStatus.LIVE)
    payload = json.loads(feed_path.read_text())
    payload["data"] = [entry for entry in payload["data"] if entry["court_id"] != "MTDC"]
    dropped = tmp_path / "feed.json"
    dropped.write_text(json.dumps(payload))
    out = run_import(dropped, capsys)
    assert "MTDC: not in the feed; kept as it is, with its go-live and history" in out
    assert "208 unchanged, 1 skipped, 1 not in the feed" in out
    assert "the database already matches the feed" not in out
    assert Court.objects.get(court_id="MTDC").golives.get().go_live_date == dt.date(2021, 9, 27)
