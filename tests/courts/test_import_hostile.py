"""Hostile input to the PACER feed import and the court catalog, through their commands.

A feed (or a catalog file) with an address that is not http(s), a character no field may hold,
text that is not UTF-8, a court id of the wrong shape or too many bytes is refused as a whole:
the message names the entry (or line) and field, nothing changes, no traceback.
"""
from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from courts.catalog import CATALOG_PATH
from courts.models import Court

pytestmark = pytest.mark.django_db

# A small feed of two courts, in the real feed's shape.
FEED = {"data": [
    {"court_id": "MTDC", "type": "District", "circuit": "09", "title": "Montana District Court",
     "court_name": "District of Montana", "login_url": "https://ecf.mtd.uscourts.gov",
     "web_url": "https://www.mtd.uscourts.gov", "rss_url": "https://ecf.mtd.uscourts.gov/cgi-bin/rss_outside.pl",
     "help_desk": [{"phone": "866-463-4052", "division": "CM/ECF"}],
     "locations": [{"name": "Billings", "address": "2601 2nd Ave N", "phone": "406-247-7000"}],
     "software_version": "NextGen CM/ECF Release 1.6", "go_live_date": "11/07/2005"},
    {"court_id": "UTDC", "type": "District", "circuit": "10", "title": "Utah District Court",
     "court_name": "District of Utah", "login_url": "https://ecf.utd.uscourts.gov"},
]}

BAD_ADDRESSES = ["javascript:alert(document.cookie)", "JavaScript:alert(1)", " javascript:alert(1)",
                 "javascript&#58;alert(1)", "data:text/html;base64,PHNjcmlwdD4=", "vbscript:msgbox(1)",
                 "file:///etc/passwd", "//evil.example.com", "http://", "https://ecf.mtd.uscourts.gov/\nx",
                 "ftp://ecf.mtd.uscourts.gov", "https://" + "a" * 200 + ".gov"]


def feed_file(tmp_path, payload=None, *, raw: bytes | None = None):
    path = tmp_path / "feed.json"
    path.write_bytes(raw if raw is not None else json.dumps(payload or FEED).encode())
    return path


def with_field(field: str, value, entry: int = 0) -> dict:
    payload = json.loads(json.dumps(FEED))
    payload["data"][entry][field] = value
    return payload


def courts_now():
    return list(Court.objects.order_by("court_id").values())


@pytest.fixture
def imported(tmp_path):
    call_command("import_pacer_courts", str(feed_file(tmp_path)))
    return courts_now()


def refused(tmp_path, payload=None, *, raw=None) -> str:
    with pytest.raises(CommandError) as error:
        call_command("import_pacer_courts", str(feed_file(tmp_path, payload, raw=raw)))
    assert "Nothing was changed" in str(error.value)
    return str(error.value)


@pytest.mark.parametrize("field", ["login_url", "web_url", "rss_url"])
@pytest.mark.parametrize("address", BAD_ADDRESSES)
def test_an_address_that_is_not_http_is_refused_naming_entry_and_field(imported, tmp_path, field, address):
    message = refused(tmp_path, with_field(field, address))
    assert message.startswith(f"Entry 1 of the feed (MTDC), {field}: ")
    assert courts_now() == imported


@pytest.mark.parametrize("field, value, reason", [
    ("court_name", "District\x00 of Montana", "NUL character"),
    ("title", "Montana\r\nBcc: x@example.com", "line break"),
    ("software_version", "Release\x1b[31m 1.6", "control character"),
    ("go_live_date", "11/07\u2028/2005", "line break"),
    ("court_name", "District of \u202eanatnoM", "text-direction control"),
    ("court_name", "District of Montana&#10;Second line", "line break"),  # an HTML entity, decoded first
    ("court_name", "District of \u200fMontana", "text-direction control"),
])
def test_a_character_no_field_may_hold_is_refused(imported, tmp_path, field, value, reason):
    message = refused(tmp_path, with_field(field, value))
    assert message.startswith("Entry 1 of the feed (MTDC), ") and reason in message
    assert courts_now() == imported


@pytest.mark.parametrize("character", ["\u200b", "\u200e", "\u200f", "\u2060", "\u2061", "\u2062", "\u2063",
                                       "\u2064", "\u061c", "\u00ad", "\ufeff"])
def test_an_invisible_character_is_refused(imported, tmp_path, character):
    message = refused(tmp_path, with_field("title", f"Mon{character}tana District Court"))
    assert message.startswith("Entry 1 of the feed (MTDC), title: an invisible ")
    assert f"(U+{ord(character):04X}) at character 4" in message
    assert courts_now() == imported


def test_the_zero_width_joiners_some_scripts_need_are_kept(tmp_path):
    # ZWNJ in Persian "می\u200cخواهم", ZWJ in Devanagari "क्\u200dष"
    title = "Court \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \u0915\u094d\u200d\u0937"
    call_command("import_pacer_courts", str(feed_file(tmp_path, with_field("title", title))))
    assert Court.objects.get(court_id="MTDC").title == title


def test_a_bad_character_in_a_location_or_help_desk_is_refused(imported, tmp_path):
    message = refused(tmp_path, with_field("locations", [{"name": "Billings", "address": "2601\x00 2nd Ave"}]))
    assert "locations.address: a NUL character" in message
    message = refused(tmp_path, with_field("help_desk", [{"phone": "866\n463"}]))
    assert "help_desk: a line break" in message
    assert courts_now() == imported


def test_a_lone_surrogate_from_a_json_escape_is_refused(imported, tmp_path):
    message = refused(tmp_path, raw=json.dumps(FEED).replace("District of Montana", "District \\ud800 of Montana").encode())
    assert "unpaired surrogate" in message
    assert courts_now() == imported


@pytest.mark.parametrize("court_id", ["MT DC", "MTDC\x00UTDC", "M" * 17, "<b>MT</b>"])
def test_a_court_id_of_the_wrong_shape_is_refused(imported, tmp_path, court_id):
    message = refused(tmp_path, with_field("court_id", court_id))
    assert message.startswith("Entry 1 of the feed, court_id: ")
    assert courts_now() == imported


@pytest.mark.parametrize("circuit", ["D.C.", "1 ST", "9/"])
def test_a_circuit_of_the_wrong_shape_is_refused(imported, tmp_path, circuit):
    """A circuit names its public page and calendar (/status/circuits/<circuit>/): one that cannot be
    in that address would break the status page whenever it is chosen."""
    message = refused(tmp_path, with_field("circuit", circuit))
    assert message.startswith("Entry 1 of the feed (MTDC), circuit: ") and "letters and digits" in message
    assert courts_now() == imported


@pytest.mark.parametrize("court_id", [123, 1e400, True, ["MTDC"]], ids=["int", "huge-float", "bool", "list"])
def test_a_court_id_that_is_not_text_is_refused(imported, tmp_path, court_id):
    raw = json.dumps(with_field("court_id", "PLACEHOLDER")).replace('"PLACEHOLDER"', json.dumps(court_id))
    if court_id == 1e400:
        raw = raw.replace("Infinity", "1e400")
    message = refused(tmp_path, raw=raw.encode())
    assert message.startswith("Entry 1 of the feed, court_id: ") and "where text is expected" in message
    assert courts_now() == imported


@pytest.mark.parametrize("field, value", [
    ("title", 123), ("court_name", ["District of Montana"]), ("circuit", 9), ("type", ["district"]),
    ("login_url", {"href": "https://ecf.mtd.uscourts.gov"}), ("software_version", 1.6), ("go_live_date", 20051107),
    ("web_url", False),
])
def test_a_text_field_that_is_not_text_is_refused(imported, tmp_path, field, value):
    message = refused(tmp_path, with_field(field, value))
    assert message.startswith(f"Entry 1 of the feed (MTDC), {field}: ") and "where text is expected" in message
    assert courts_now() == imported


@pytest.mark.parametrize("field, value, named", [
    ("help_desk", [{"phone": 8664634052}], "help_desk.phone"),
    ("help_desk", [{"phone": "866-463-4052", "division": ["CM/ECF"]}], "help_desk.division"),
    ("locations", [{"name": ["Billings", "Helena"]}], "locations.name"),
    ("locations", [{"name": "Billings", "phone": {"main": "406-247-7000"}}], "locations.phone"),
])
def test_a_location_or_help_desk_value_that_is_not_text_is_refused(imported, tmp_path, field, value, named):
    message = refused(tmp_path, with_field(field, value))
    assert message.startswith(f"Entry 1 of the feed (MTDC), {named}: ") and "where text is expected" in message
    assert courts_now() == imported


@pytest.mark.parametrize("field, value, expected", [
    ("help_desk", "866-463-4052", "a text"),
    ("help_desk", {"phone": "866-463-4052", "division": "CM/ECF"}, "an object"),
    ("help_desk", ["866-463-4052"], "item 1 is a text"),
    ("locations", {"name": "Billings", "phone": "406-247-7000"}, "an object"),
    ("locations", ["Billings"], "item 1 is a text"),
    ("locations", [{"name": "Billings"}, None], "item 2 is null"),
])
def test_help_desks_or_offices_of_another_shape_are_refused_not_dropped(imported, tmp_path, field, value, expected):
    """Read as "no help desk" or "no offices", the court's phones and offices stored before would be
    emptied by the import, and its pages would stop giving them, without a word."""
    message = refused(tmp_path, with_field(field, value))
    assert message.startswith(f"Entry 1 of the feed (MTDC), {field}: {expected}")
    assert courts_now() == imported


def test_help_desks_the_feed_writes_as_a_numbered_object_are_kept_in_order(tmp_path):
    help_desk = {"0": {"phone": "866-463-4052", "division": "Billings"}, "3": {"phone": "406-542-7260",
                                                                              "division": "Missoula"}}
    call_command("import_pacer_courts", str(feed_file(tmp_path, with_field("help_desk", help_desk))))
    assert Court.objects.get(court_id="MTDC").help_desk_phones == ["866-463-4052 (Billings)",
                                                                   "406-542-7260 (Missoula)"]


NINTH_CIRCUIT = {"court_id": "09CA", "type": "Appeals", "circuit": "09", "title": "Ninth Circuit Court of Appeals",
                 "court_name": "U.S. Court of Appeals, Ninth Circuit", "login_url": "https://ecf.ca9.uscourts.gov"}


@pytest.mark.parametrize("circuit", [None, "", "9", "12"])
def test_an_appeals_court_without_a_known_circuit_is_refused_not_moved_to_another_zone(tmp_path, circuit):
    """An appeals court's time zone is its circuit's seat: read without one, the Ninth Circuit would
    keep New York's time, and its go-live day would start three hours early."""
    payload = json.loads(json.dumps(FEED))
    payload["data"].append(dict(NINTH_CIRCUIT))
    call_command("import_pacer_courts", str(feed_file(tmp_path, payload)))
    before = courts_now()
    payload["data"][2]["circuit"] = circuit
    message = refused(tmp_path, payload)
    assert message.startswith("Entry 3 of the feed (09CA), circuit: ")
    assert courts_now() == before
    assert Court.objects.get(court_id="09CA").time_zone == "America/Los_Angeles"


def test_a_circuit_that_is_no_circuit_is_refused(imported, tmp_path):
    message = refused(tmp_path, with_field("circuit", "9"))
    assert message.startswith("Entry 1 of the feed (MTDC), circuit: '9' is not a circuit (01 to 11, DC or FC)")
    assert courts_now() == imported


@pytest.mark.parametrize("entries", [[], [{"court_id": "00PCL", "type": "National", "title": "PACER Case Locator"}]],
                         ids=["empty", "only-skipped"])
def test_a_feed_that_lists_no_court_is_refused_as_broken(imported, tmp_path, entries):
    """A feed cut short or emptied by a fault upstream would otherwise report every stored court as
    no longer in the feed, and say the import went well."""
    message = refused(tmp_path, {"data": entries})
    assert message.startswith("The feed lists no courts")
    assert "broken or cut short" in message
    assert courts_now() == imported


def test_a_missing_or_null_text_field_is_read_as_empty(tmp_path):
    call_command("import_pacer_courts", str(feed_file(tmp_path, with_field("software_version", None))))
    assert Court.objects.get(court_id="MTDC").software_version == ""


@pytest.mark.parametrize("field, value, limit", [
    ("title", "T" * 201, 200), ("court_name", "District of Montana " + "x" * 181, 200), ("circuit", "0999999", 4),
    ("software_version", "NextGen CM/ECF Release " + "1" * 98, 120), ("go_live_date", "11/07/2005 " + "x" * 245, 255),
])
def test_a_text_longer_than_its_field_is_refused_not_cut(imported, tmp_path, field, value, limit):
    message = refused(tmp_path, with_field(field, value))
    assert message.startswith(f"Entry 1 of the feed (MTDC), {field}: ")
    assert f"is longer than {limit} characters" in message
    assert courts_now() == imported


@pytest.mark.parametrize("field, value, named, limit", [
    ("help_desk", [{"phone": "866-463-4052", "division": "CM/ECF " + "x" * 300}], "help_desk", 200),
    ("locations", [{"name": "Billings", "address": "2601 2nd Ave N " + "x" * 500}], "locations.address", 500),
])
def test_a_help_desk_or_office_text_too_long_for_a_notice_is_refused(imported, tmp_path, field, value, named, limit):
    """Every notice to the court's filers gives its help desk, and its page its offices: a text of
    thousands of characters would go out in each of them."""
    message = refused(tmp_path, with_field(field, value))
    assert message.startswith(f"Entry 1 of the feed (MTDC), {named}: ")
    assert f"is longer than {limit} characters" in message
    assert courts_now() == imported


def test_a_text_as_long_as_its_field_is_kept_whole(tmp_path):
    call_command("import_pacer_courts", str(feed_file(tmp_path, with_field("title", "T" * 200))))
    assert Court.objects.get(court_id="MTDC").title == "T" * 200


@pytest.mark.parametrize("text", ["01/01/0001", "1/1/1899", "June 1, 1985", "12/31/9999", "01/01/2999"])
def test_a_start_date_outside_the_years_cmecf_can_have_started_is_refused(imported, tmp_path, text):
    message = refused(tmp_path, with_field("go_live_date", text))
    assert message.startswith("Entry 1 of the feed (MTDC), go_live_date: ")
    assert "is not a plausible CM/ECF start date" in message
    assert courts_now() == imported


def test_two_entries_whose_court_ids_differ_only_in_case_are_refused(imported, tmp_path):
    payload = json.loads(json.dumps(FEED))
    payload["data"][1]["court_id"] = "mtdc"
    message = refused(tmp_path, payload)
    assert message.startswith("Entry 2 of the feed repeats court_id MTDC (written mtdc)")
    assert courts_now() == imported


def test_a_cmecf_code_longer_than_the_field_is_refused(imported, tmp_path):
    message = refused(tmp_path, with_field("login_url", "https://ecf." + "m" * 20 + ".uscourts.gov"))
    assert "login_url: the CM/ECF code" in message
    assert courts_now() == imported


def test_a_feed_that_is_not_utf8_is_refused_with_line_and_column(imported, tmp_path):
    raw = json.dumps(FEED, indent=1).encode().replace(b"District of Utah", b"Distr\xeect of Utah")
    message = refused(tmp_path, raw=raw)
    line = raw[:raw.index(b"\xee")].count(b"\n") + 1
    assert f"is not UTF-8 text: line {line}, column " in message and "(byte 0xEE)" in message
    assert courts_now() == imported


@pytest.mark.parametrize("raw", [b"[" * 100_000, b'{"data": [' + b"9" * 5000 + b"]}"], ids=["deep", "huge-number"])
def test_json_that_python_cannot_take_is_refused_without_a_traceback(imported, tmp_path, raw):
    refused(tmp_path, raw=raw)
    assert courts_now() == imported


def test_an_oversize_feed_file_is_refused(imported, tmp_path, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 500
    message = refused(tmp_path)
    assert "files larger than" in message and "IMPORT_MAX_UPLOAD_BYTES" in message
    assert courts_now() == imported


def test_an_oversize_feed_download_is_refused(imported, tmp_path, settings):
    """A real HTTP server on the loopback serves a feed larger than the limit."""
    import http.server
    import threading

    body = json.dumps(FEED).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        settings.IMPORT_MAX_UPLOAD_BYTES = 500
        with pytest.raises(CommandError, match=r"The feed is larger than 0.0 MB: refused \(setting IMPORT_MAX_UPLOAD_BYTES\)"):
            call_command("import_pacer_courts", f"http://127.0.0.1:{server.server_port}/data.json")
        settings.IMPORT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024
        call_command("import_pacer_courts", f"http://127.0.0.1:{server.server_port}/data.json")
    finally:
        server.shutdown()
    assert courts_now() == imported  # the same feed: nothing to change


def test_the_real_feed_passes_every_check(feed_path):
    call_command("import_pacer_courts", str(feed_path))
    assert Court.objects.count() == 209


# --- The built-in catalog -----------------------------------------------------------------------------

def catalog_with(tmp_path, old: str, new: str, *, encoding: str = "utf-8") -> str:
    text = CATALOG_PATH.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "catalog.csv"
    path.write_bytes(text.replace(old, new, 1).encode(encoding, errors="strict"))
    return str(path)


def catalog_line(start: str) -> int:
    """The line of the catalog holding `start` (at the start of the line when it ends with a comma)."""
    lines = CATALOG_PATH.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if (line.startswith(start) if start.endswith(",") else start in line))


@pytest.mark.parametrize("old, new, message, line_of", [
    ("https://ecf.mtd.uscourts.gov", "javascript:alert(1)", "login_url: 'javascript:alert(1)' is not an http(s) address",
     "MTDC,"),
    ("https://ecf.mtd.uscourts.gov", "data:text/html;x", "login_url: 'data:text/html;x' is not an http(s) address",
     "MTDC,"),
    ("MTDC,mtd,District of Montana", "MTDC,mtd,District\x00 of Montana", "name: a NUL character (U+0000) at character 9",
     "MTDC,"),
    ("MTDC,mtd,District of Montana", 'MTDC,mtd,"District of\r\nMontana"', "name: a line break (U+000D) at character 12",
     "MTDC,"),
    ("America/Denver", "Mars/Olympus", "time_zone: 'Mars/Olympus' is not an IANA time zone", "America/Denver"),
    (",district,09,Montana", ",tribal,09,Montana", "court_type: 'tribal' is not one of", ",district,09,Montana"),
    ("MTDC,mtd", "MT DC,mtd", "court_id: 'MT DC' is not a court id", "MTDC,"),
    # MTDC renamed UTDC comes first, so the real UTDC's line is the repeat
    ("MTDC,mtd", "UTDC,mtd", "court_id: UTDC is on an earlier line too", "UTDC,"),
])
def test_a_catalog_with_a_bad_value_is_refused_naming_line_and_column(tmp_path, old, new, message, line_of):
    path = catalog_with(tmp_path, old, new)
    with pytest.raises(CommandError) as error:
        call_command("load_court_catalog", path)
    assert str(error.value).startswith(f"catalog.csv, line {catalog_line(line_of)}, ")
    assert message in str(error.value)
    assert not Court.objects.exists()


def test_a_catalog_that_is_not_utf8_is_refused_with_line_and_column(tmp_path):
    path = catalog_with(tmp_path, "MTDC,mtd,District of Montana", "MTDC,mtd,District of Montaña", encoding="cp1252")
    with pytest.raises(CommandError, match=rf"catalog.csv is not UTF-8 text: line {catalog_line('MTDC,')}, "
                                           r"column \d+ \(byte 0xF1\)"):
        call_command("load_court_catalog", path)
    assert not Court.objects.exists()


def test_an_oversize_catalog_is_refused(tmp_path, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1000
    with pytest.raises(CommandError, match="IMPORT_MAX_UPLOAD_BYTES"):
        call_command("load_court_catalog", str(CATALOG_PATH))
    assert not Court.objects.exists()


def test_the_built_in_catalog_passes_every_check():
    call_command("load_court_catalog")
    assert Court.objects.count() == 209


# --- Addresses stored before the checks ---------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_the_migration_clears_addresses_of_another_scheme_stored_by_an_earlier_import():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    before, after = [("courts", "0002_nextgen_rollout")], [("courts", "0003_court_addresses_http_only")]
    executor.migrate(before)
    OldCourt = executor.loader.project_state(before).apps.get_model("courts", "Court")
    OldCourt.objects.create(court_id="MTDC", name="District of Montana", court_type="district",
                            login_url="javascript:alert(1)", web_url="https://www.mtd.uscourts.gov",
                            rss_url="data:text/html,x")
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    court = Court.objects.get(court_id="MTDC")
    assert (court.login_url, court.web_url, court.rss_url) == ("", "https://www.mtd.uscourts.gov", "")


def test_the_court_form_takes_only_http_addresses():
    from django.core.exceptions import ValidationError

    court = Court(court_id="MTDC", name="District of Montana", court_type="district", login_url="ftp://ecf.mtd.example")
    with pytest.raises(ValidationError) as error:
        court.full_clean()
    assert "login_url" in error.value.message_dict
