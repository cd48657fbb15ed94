"""Public NextGen status: /status/, a page per court, the iCalendar and JSON feeds (no login)."""
import datetime as dt
import re
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar
from icalendar.parser import split_on_unescaped_comma

from courts.models import Court, GoLive, GoLiveStatus
from courts.selectors import rollout_current
from courts.services import golive_postpone, golive_reschedule
from tests.factories import CourtFactory, GoLiveFactory, eastern_court, filer_at, guam_court, montana_court, utah_court

pytestmark = pytest.mark.django_db
UTC = dt.timezone.utc


@pytest.fixture
def courts():
    montana = montana_court()
    GoLiveFactory(court=montana, go_live_date=dt.date(2021, 9, 27), status=GoLiveStatus.LIVE)
    utah = utah_court()
    GoLiveFactory(court=utah, go_live_date=dt.date(2031, 2, 3), status=GoLiveStatus.SCHEDULED,
                  blackout_start=dt.datetime(2031, 1, 30, 23, tzinfo=UTC), blackout_end=dt.datetime(2031, 2, 3, 15, tzinfo=UTC),
                  emergency_filing_instructions="Email emergencies to <intake@utd.example.gov>.")
    guam = guam_court()
    GoLiveFactory(court=guam, go_live_date=dt.date(2031, 4, 1), status=GoLiveStatus.POSTPONED)
    eastern_court()  # not scheduled
    return {"montana": montana, "utah": utah, "guam": guam}


def events(response):
    calendar = Calendar.from_ical(response.content)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_status_lists_every_courts_state_without_login(client, courts):
    page = client.get(reverse("status:index")).content.decode()
    for text in ("District of Montana", "Live since Monday, September 27, 2021", "Scheduled for Monday, February 3, 2031",
                 "Postponed (was Tuesday, April 1, 2031)", "District of Maryland", "Not scheduled"):
        assert text in page


@pytest.mark.parametrize("query, shown, hidden", [
    ("circuit=10", "District of Utah", "District of Montana"),
    ("state=Guam", "District Court of Guam", "District of Utah"),
    ("nextgen=live", "District of Montana", "District of Utah"),
    ("nextgen=postponed", "District Court of Guam", "District of Montana"),
])
def test_status_filters_by_circuit_state_and_nextgen_state(client, courts, query, shown, hidden):
    page = client.get(reverse("status:index") + "?" + query).content.decode()
    assert shown in page and hidden not in page


def test_a_courts_page_gives_the_date_in_its_zone_the_blackout_and_emergency_instructions(client, courts):
    page = client.get(reverse("status:court", args=["utdc"])).content.decode()
    for text in ("Monday, February 3, 2031, from midnight America/Denver time", "Thursday, January 30, 2031 at 4:00 PM MST",
                 "Monday, February 3, 2031 at 8:00 AM MST", "Email emergencies to &lt;intake@utd.example.gov&gt;.",
                 "https://ecf.utd.uscourts.gov", "801-524-6100", "Link a CM/ECF account to my PACER account"):
        assert text in page


def test_public_pages_show_no_filer_data_and_no_counts(client, courts):
    account = filer_at(courts["montana"], name="Private Person")
    for url in (reverse("status:index"), reverse("status:court", args=["mtdc"]), reverse("status:json"), reverse("status:ics")):
        body = client.get(url).content.decode()
        assert "Private Person" not in body and account.filer.email not in body and account.login not in body


def test_an_unknown_court_is_a_404(client, courts):
    assert client.get(reverse("status:court", args=["nope"])).status_code == 404
    assert client.get(reverse("status:court_ics", args=["nope"])).status_code == 404


def test_the_ics_feed_parses_back_with_one_all_day_event_per_dated_go_live(client, courts):
    response = client.get(reverse("status:ics"))
    assert response["Content-Type"].startswith("text/calendar")
    found = events(response)
    assert {uid.split("@")[0] for uid in found} == {"golive-nextgen-mtdc", "golive-nextgen-utdc", "golive-nextgen-gudc"}
    by_court = {uid.split("-")[2].split("@")[0]: e for uid, e in found.items()}
    assert by_court["utdc"].decoded("DTSTART") == dt.date(2031, 2, 3)
    assert by_court["utdc"].decoded("DTEND") == dt.date(2031, 2, 4)
    assert by_court["mtdc"].decoded("DTSTART") == dt.date(2021, 9, 27)
    assert str(by_court["utdc"]["STATUS"]) == "CONFIRMED"
    assert "America/Denver" in str(by_court["utdc"]["DESCRIPTION"])


def test_the_calendar_name_is_rfc_5545_text_and_reads_back_whole(client):
    """X-WR-CALNAME has no registered type, so it is TEXT (RFC 5545 §3.8.8.2), where a comma must be
    escaped (§3.3.11): written bare, a strict reader takes a court name with a comma for two values
    and shows the first ("District Court of Guam")."""
    court = CourtFactory(court_id="GUBK", cmecf_code="gub", name="District Court of Guam, Bankruptcy Division",
                         time_zone="Pacific/Guam", circuit="09")
    GoLiveFactory(court=court, go_live_date=dt.date(2031, 4, 1), status=GoLiveStatus.SCHEDULED)
    name = "NextGen CM/ECF go-lives — District Court of Guam, Bankruptcy Division"
    calendar = Calendar.from_ical(client.get(reverse("status:court_ics", args=["gubk"])).content)
    written = calendar["X-WR-CALNAME"]  # icalendar keeps a property it has no type for as written
    # Read as TEXT: values split at unescaped commas, each unescaped.
    assert split_on_unescaped_comma(written) == [name]


def test_a_postponed_go_live_is_a_cancelled_event(client, courts):
    found = events(client.get(reverse("status:ics")))
    guam = next(e for uid, e in found.items() if "gudc" in uid)
    assert str(guam["STATUS"]) == "CANCELLED"


def test_a_reschedule_raises_sequence_and_keeps_the_uid(client, courts):
    golive = GoLive.objects.get(court=courts["utah"])
    before = next(e for uid, e in events(client.get(reverse("status:ics"))).items() if "utdc" in uid)
    golive_reschedule(golive, dt.date(2031, 3, 10))
    after_uid, after = next((uid, e) for uid, e in events(client.get(reverse("status:ics"))).items() if "utdc" in uid)
    assert after_uid == str(before["UID"])
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert after.decoded("DTSTART") == dt.date(2031, 3, 10)
    golive_postpone(golive)
    postponed = next(e for uid, e in events(client.get(reverse("status:ics"))).items() if "utdc" in uid)
    assert int(postponed["SEQUENCE"]) == int(after["SEQUENCE"]) + 1 and str(postponed["STATUS"]) == "CANCELLED"


def test_per_court_and_per_circuit_feeds_hold_only_their_go_lives(client, courts):
    court_feed = events(client.get(reverse("status:court_ics", args=["utdc"])))
    assert [uid.split("@")[0] for uid in court_feed] == ["golive-nextgen-utdc"]
    circuit_feed = events(client.get(reverse("status:circuit_ics", args=["09"])))
    assert {uid.split("@")[0] for uid in circuit_feed} == {"golive-nextgen-mtdc", "golive-nextgen-gudc"}


def test_the_json_feed_has_every_court_with_its_documented_fields(client, courts):
    data = client.get(reverse("status:json")).json()
    assert data["rollout"] == {"slug": "nextgen", "name": "NextGen CM/ECF"}
    by_id = {c["court_id"]: c for c in data["courts"]}
    assert set(by_id) == set(Court.objects.values_list("court_id", flat=True))
    assert by_id["UTDC"]["nextgen_status"] == "scheduled" and by_id["UTDC"]["go_live_date"] == "2031-02-03"
    assert by_id["GUDC"]["nextgen_status"] == "postponed" and by_id["MDDC"]["go_live_date"] is None
    assert by_id["GUDC"]["go_live_date"] is None and by_id["GUDC"]["postponed_from"] == "2031-04-01"
    assert set(by_id["UTDC"]) == {"court_id", "name", "court_type", "circuit", "state", "time_zone", "nextgen_status",
                                  "go_live_date", "postponed_from", "status_text", "sequence", "blackout_start",
                                  "blackout_end", "cmecf_url", "help_desk_phones", "page_url"}


def test_the_json_feed_gives_blackout_times_with_the_courts_utc_offset(client, courts):
    utah = {c["court_id"]: c for c in client.get(reverse("status:json")).json()["courts"]}["UTDC"]
    assert utah["time_zone"] == "America/Denver"
    assert (utah["blackout_start"], utah["blackout_end"]) == ("2031-01-30T16:00:00-07:00", "2031-02-03T08:00:00-07:00")


def test_the_ics_and_json_feeds_have_different_etags(client, courts):
    assert client.get(reverse("status:ics"))["ETag"] != client.get(reverse("status:json"))["ETag"]


def test_sequence_is_zero_until_the_date_moves_then_counts_each_revision(client, courts):
    golive = GoLive.objects.get(court=courts["utah"])
    uid = next(uid for uid in events(client.get(reverse("status:ics"))) if "utdc" in uid)

    def sequence():
        return int(events(client.get(reverse("status:ics")))[uid]["SEQUENCE"])

    assert sequence() == 0
    golive_reschedule(golive, dt.date(2031, 3, 10))
    assert sequence() == 1
    golive_postpone(golive)
    assert sequence() == 2
    golive_reschedule(golive, dt.date(2031, 4, 7))
    assert sequence() == 3
    json_sequence = {c["court_id"]: c for c in client.get(reverse("status:json")).json()["courts"]}["UTDC"]["sequence"]
    assert json_sequence == 3


def test_a_court_scheduled_through_the_services_starts_at_sequence_zero(client, courts):
    from courts.services import golive_get_or_create, golive_schedule

    golive_schedule(golive_get_or_create(Court.objects.get(court_id="MDDC")), dt.date(2031, 6, 2))
    uid = next(uid for uid in events(client.get(reverse("status:ics"))) if "mddc" in uid)
    assert int(events(client.get(reverse("status:ics")))[uid]["SEQUENCE"]) == 0


@pytest.mark.parametrize("path", ["/status/circuits/9/", "/status/circuits/9/nextgen.ics", "/status/circuits/99/"])
def test_an_unknown_circuit_is_a_404(client, courts, path):
    assert client.get(path).status_code == 404


def test_a_circuits_page_lists_its_courts(client, courts):
    page = client.get("/status/circuits/10/").content.decode()
    assert "District of Utah" in page and "District of Montana" not in page


def test_the_filter_form_on_a_circuits_page_can_choose_another_circuit(client, courts):
    page = client.get("/status/circuits/09/").content.decode()
    action = re.search(r'<form method="get" action="([^"]*)" class="filters"', page).group(1)
    assert action == reverse("status:index")
    chosen = client.get(action + "?circuit=10").content.decode()
    assert "District of Utah" in chosen and "District of Montana" not in chosen


@pytest.mark.parametrize("name, args", [("status:ics", []), ("status:json", []), ("status:court_ics", ["utdc"]),
                                        ("status:circuit_ics", ["10"])])
def test_feeds_answer_304_until_a_go_live_changes(client, courts, name, args):
    url = reverse(name, args=args)
    first = client.get(url)
    assert first["ETag"] and first["Last-Modified"]
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    GoLive.objects.filter(court=courts["utah"]).update(updated_at=timezone.now() + dt.timedelta(seconds=2))
    changed = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]


def test_a_pause_ended_by_the_clock_is_a_modification_for_if_modified_since(client):
    court = montana_court()
    now = timezone.now()
    GoLiveFactory(court=court, go_live_date=court.local_today(), status=GoLiveStatus.LIVE,
                  blackout_start=now - dt.timedelta(days=3), blackout_end=now + dt.timedelta(hours=1))
    url = reverse("status:json")
    first = client.get(url)
    assert first.json()["courts"][0]["blackout_end"] is not None
    # The clock moves past the pause's end; nothing is written.
    with mock.patch("django.utils.timezone.now", return_value=now + dt.timedelta(hours=2)):
        later = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert later.status_code == 200 and later.json()["courts"][0]["blackout_end"] is None


def rename_the_rollout(name: str) -> None:
    from courts.services import rollout_save

    rollout = rollout_current()
    rollout.name = name
    rollout_save(rollout)


@pytest.mark.parametrize("name, args", [("status:ics", []), ("status:json", []), ("status:court_ics", ["utdc"]),
                                        ("status:circuit_ics", ["10"])])
def test_renaming_the_rollout_changes_the_feeds_etag(client, courts, name, args):
    """The calendar's name and every event's summary carry the rollout's name: a reader revalidating
    with its ETag is sent the new name, not told "not modified"."""
    url = reverse(name, args=args)
    first = client.get(url)
    rename_the_rollout("NextGen CM/ECF release 2")
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and "NextGen CM/ECF release 2" in again.content.decode()


def test_renaming_the_rollout_is_a_modification_for_if_modified_since(client, courts):
    url = reverse("status:ics")
    first = client.get(url)
    # Renamed an hour later (a clock set ahead, so the rename is not in the same second as the answer).
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + dt.timedelta(hours=1)):
        rename_the_rollout("NextGen CM/ECF release 2")
    again = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert again.status_code == 200 and "NextGen CM/ECF release 2" in again.content.decode()


def many_courts(n: int) -> None:
    rollout = rollout_current()
    courts = Court.objects.bulk_create(
        Court(court_id=f"X{i:03d}DC", name=f"Court {i}", court_type="district", circuit=f"{i % 11 + 1:02d}",
              state=f"State {i % 50}", time_zone="America/Chicago", login_url=f"https://ecf.x{i}.uscourts.gov")
        for i in range(n))
    GoLive.objects.bulk_create(
        GoLive(court=c, rollout=rollout, go_live_date=dt.date(2030, 1, 1) + dt.timedelta(days=i),
               status=[GoLiveStatus.SCHEDULED, GoLiveStatus.LIVE, GoLiveStatus.POSTPONED][i % 3])
        for i, c in enumerate(courts))


@pytest.mark.parametrize("name, args", [("status:index", []), ("status:ics", []), ("status:json", []),
                                        ("status:circuit_ics", ["02"])])
@pytest.mark.parametrize("n", [3, 209])
def test_status_and_feeds_run_a_fixed_number_of_queries(client, django_assert_max_num_queries, name, args, n):
    many_courts(n)
    with django_assert_max_num_queries(5):
        response = client.get(reverse(name, args=args))
    assert response.status_code == 200


@pytest.mark.django_db
def test_a_courts_page_says_an_announced_pause_was_called_off_when_the_court_went_live_early(client):
    from courts.services import golive_mark_live

    court = montana_court()
    day = court.local_today() + dt.timedelta(days=7)
    start = court.local_midnight(day - dt.timedelta(days=3)) + dt.timedelta(hours=17)
    golive = GoLiveFactory(court=court, go_live_date=day, status=GoLiveStatus.SCHEDULED,
                           blackout_start=start, blackout_end=court.local_midnight(day) + dt.timedelta(hours=8))
    golive_mark_live(golive)
    page = " ".join(client.get(reverse("status:court", args=["mtdc"])).content.decode().split())
    assert "does not take place: the court went live early" in page and "None announced" not in page


@pytest.mark.parametrize("name, args", [("status:ics", []), ("status:json", []), ("status:court_ics", ["utdc"])])
def test_a_304_from_a_feed_says_how_long_it_may_be_kept_as_the_200_does(client, courts, name, args):
    """A cache revalidating its copy is told again for how long the copy holds (RFC 9110 §15.4.5)."""
    url = reverse(name, args=args)
    first = client.get(url)
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again["Cache-Control"] == first["Cache-Control"]
