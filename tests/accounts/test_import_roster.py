import datetime as dt
from pathlib import Path

import pytest

from accounts.imports.reading import ImportError_
from accounts.imports.roster import roster_import
from accounts.models import CmecfAccount, Filer, PacerAccount
from accounts.counts import stored_readiness_counts
from accounts.readiness import Readiness
from tests.factories import montana_court, utah_filer_with_legacy_account

pytestmark = pytest.mark.django_db
HEADER = "name,email,cmecf_login,pacer_username,pacer_created_on,upgraded,shared_account\n"
TODAY = dt.date(2026, 1, 15)


def roster(tmp_path, body: str, *, encoding="utf-8", header=HEADER) -> Path:
    path = tmp_path / "roster.csv"
    path.write_bytes((header + body).encode(encoding))
    return path


def run(path, apply=True, court=None):
    return roster_import(court or montana_court(), path, apply=apply, today=TODAY)


GOOD = "John Q. Attorney,John.Attorney@example.com,attornjq,jqattorney,2016-05-01,no,no\n"


def only_error(tmp_path, line: str):
    report = run(roster(tmp_path, GOOD + line))
    assert not report.applied and report.error_count == 1
    assert not CmecfAccount.objects.exists()
    return report.errors[0]


def test_dry_run_reports_what_would_be_created_and_writes_nothing(tmp_path):
    report = run(roster(tmp_path, GOOD), apply=False)
    assert (report.created, report.updated, report.unchanged, report.applied) == (1, 0, 0, False)
    assert not CmecfAccount.objects.exists()


def test_apply_creates_filer_pacer_and_cmecf_accounts(tmp_path):
    report = run(roster(tmp_path, GOOD))
    assert report.applied and report.created == 1
    account = CmecfAccount.objects.select_related("filer__pacer_account").get()
    assert (account.login, account.filer.email, account.filer.pacer_account.username) == (
        "attornjq", "john.attorney@example.com", "jqattorney")
    assert account.name_key == "JOHN Q ATTORNEY"


def test_reimporting_the_same_file_changes_nothing(tmp_path):
    path = roster(tmp_path, GOOD + "Ann Para,ann@example.com,paraa,firm_x,,no,yes\n")
    run(path)
    before = list(CmecfAccount.objects.values_list("updated_at", flat=True))
    report = run(path)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert list(CmecfAccount.objects.values_list("updated_at", flat=True)) == before


def test_a_shared_pacer_account_on_several_lines_is_written_once(tmp_path):
    body = "Ann Para,ann@example.com,paraa,firm_x,,no,yes\nBo Para,bo@example.com,parab,firm_x,,no,yes\n"
    report = run(roster(tmp_path, body))
    assert report.applied and report.created == 2
    assert PacerAccount.objects.filter(username="firm_x").count() == 1
    assert set(Filer.objects.values_list("pacer_account__username", flat=True)) == {"firm_x"}


def test_one_filer_with_two_logins_is_one_filer_with_two_accounts(tmp_path):
    report = run(roster(tmp_path, GOOD + GOOD.replace(",attornjq,", ",attornjq2,")))
    assert report.applied and report.created == 2
    assert Filer.objects.count() == 1 and CmecfAccount.objects.filter(filer__email="john.attorney@example.com").count() == 2


def test_a_changed_row_is_reported_updated_and_written(tmp_path):
    run(roster(tmp_path, GOOD))
    report = run(roster(tmp_path, GOOD.replace("2016-05-01,no", "2016-05-01,yes")))
    assert (report.created, report.updated) == (0, 1)
    assert PacerAccount.objects.get(username="jqattorney").upgraded


def test_missing_email_is_reported_with_its_line(tmp_path):
    error = only_error(tmp_path, "Ann B,,annb,,,no,no\n")
    assert (error.line, error.field, error.reason) == (3, "email", "missing email")


def test_malformed_email_is_reported_with_its_line(tmp_path):
    error = only_error(tmp_path, "Ann B,ann-at-example.com,annb,,,no,no\n")
    assert (error.line, error.field) == (3, "email") and "malformed" in error.reason


def test_duplicate_login_in_the_file_names_the_first_line(tmp_path):
    error = only_error(tmp_path, "Ann B,ann@example.com,attornjq,,,no,no\n")
    assert (error.line, error.field) == (3, "cmecf_login") and "line 2" in error.reason


def test_date_in_the_future_is_reported(tmp_path):
    error = only_error(tmp_path, "Ann B,ann@example.com,annb,annb,2027-01-01,no,no\n")
    assert (error.line, error.field) == (3, "pacer_created_on") and "future" in error.reason


def test_unreadable_date_is_reported(tmp_path):
    error = only_error(tmp_path, "Ann B,ann@example.com,annb,annb,March 3rd,no,no\n")
    assert (error.line, error.field) == (3, "pacer_created_on") and "unreadable date" in error.reason


def test_unreadable_yes_no_is_reported(tmp_path):
    error = only_error(tmp_path, "Ann B,ann@example.com,annb,annb,2016-01-01,maybe,no\n")
    assert (error.line, error.field) == (3, "upgraded")


def test_one_email_with_two_names_is_reported(tmp_path):
    error = only_error(tmp_path, "Johnny Attorney,john.attorney@example.com,attorn2,jqattorney,2016-05-01,no,no\n")
    assert (error.line, error.field) == (3, "email")


def test_unknown_court_stops_the_whole_file(tmp_path):
    with pytest.raises(ImportError_, match="Unknown court 'XXDC'"):
        roster_import("XXDC", roster(tmp_path, GOOD), apply=True)


def test_missing_column_is_reported_on_line_1(tmp_path):
    with pytest.raises(ImportError_, match="line 1: the header lacks email"):
        run(roster(tmp_path, "A,a1,,,no,no\n", header="name,cmecf_login,pacer_username,pacer_created_on,upgraded,shared_account\n"))


def test_one_bad_row_means_nothing_is_applied(tmp_path):
    body = "".join(f"Filer {i},f{i}@example.com,login{i},,,no,no\n" for i in range(50)) + "Bad,,bad,,,no,no\n"
    report = run(roster(tmp_path, body))
    assert report.error_count == 1 and report.errors[0].line == 52
    assert not report.applied
    assert not Filer.objects.exists() and not CmecfAccount.objects.exists()


def test_utf8_with_bom_is_read(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + "José Müller,jose@example.com,mullerj,,,no,no\n").encode())
    report = run(path)
    assert report.encoding == "utf-8-sig" and report.applied
    assert Filer.objects.get().name == "José Müller"


def test_windows_1252_is_read(tmp_path):
    report = run(roster(tmp_path, "José Müller,jose@example.com,mullerj,,,no,no\n", encoding="cp1252"))
    assert report.encoding == "cp1252" and report.applied
    assert CmecfAccount.objects.get().cmecf_name == "José Müller"


def test_a_file_in_neither_encoding_is_refused(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(HEADER.encode() + b"Jos\x81 M\x8fller,jose@example.com,mullerj,,,no,no\n")
    with pytest.raises(ImportError_, match="neither UTF-8 nor Windows-1252"):
        run(path)


def test_example_roster_in_docs_imports_cleanly():
    path = Path(__file__).resolve().parents[2] / "docs" / "examples" / "roster.csv"
    report = run(path)
    assert report.ok and report.created == 5


def test_applying_keeps_the_courts_stored_counts_current(tmp_path, django_capture_on_commit_callbacks):
    court = montana_court()
    with django_capture_on_commit_callbacks(execute=True):
        run(roster(tmp_path, GOOD), court=court)
    assert sum(stored_readiness_counts([court.pk])[court.pk].values()) == 1


def test_a_pacer_upgrade_in_the_file_recounts_the_filers_other_court(tmp_path, django_capture_on_commit_callbacks):
    utah = utah_filer_with_legacy_account()
    row = "Jane Q. Lawyer,jane.lawyer@example.com,lawyerjq,jqlawyer,2009-03-02,yes,no\n"
    with django_capture_on_commit_callbacks(execute=True):
        run(roster(tmp_path, row))
    counts = stored_readiness_counts([utah.court_id])[utah.court_id]
    assert (counts[Readiness.LEGACY], counts[Readiness.READY]) == (0, 1)


def test_a_shared_account_change_recounts_other_filers_of_that_firm(tmp_path, django_capture_on_commit_callbacks):
    """A roster that turns a firm's account into a shared one changes the readiness of colleagues
    who are not in the file, at other courts: their courts are recounted too."""
    from accounts.counts import court_counts_refresh
    from tests.factories import CmecfAccountFactory, FilerFactory, PacerAccountFactory, utah_court

    firm = PacerAccountFactory(username="bakerhall", holder_name="Ann Colleague", created_on=dt.date(2018, 1, 1))
    colleague = FilerFactory(name="Ann Colleague", email="ann@bakerhall.example.com", pacer_account=firm)
    utah = utah_court()
    CmecfAccountFactory(filer=colleague, court=utah, login="colleaga", cmecf_name="Ann Colleague")
    court_counts_refresh([utah.pk])
    row = "Bob Partner,bob@bakerhall.example.com,partnerb,bakerhall,2018-01-01,no,yes\n"
    with django_capture_on_commit_callbacks(execute=True):
        run(roster(tmp_path, row))
    assert stored_readiness_counts([utah.pk])[utah.pk][Readiness.SHARED] == 1


def test_an_unreadable_line_after_rows_were_staged_stops_the_whole_file(tmp_path):
    """The rows go to the stage through one COPY left open while the file is read: a line the CSV
    reader cannot read, far into the file, still ends in ImportError_ with nothing written."""
    body = "".join(f"Filer {i},f{i}@example.com,login{i},,,no,no\n" for i in range(30)) + "x" * 200_000 + "\n"
    with pytest.raises(ImportError_, match="line 32: unreadable CSV"):
        roster_import(montana_court(), roster(tmp_path, body), apply=True, today=TODAY, chunk_size=10)
    assert not Filer.objects.exists() and not CmecfAccount.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_key_a_concurrent_writer_commits_during_the_write_refuses_the_import(tmp_path):
    """Another transaction holds a new PACER account with the file's username uncommitted; the
    import's MERGE waits on it, and it commits. The import's checks never saw that account (whose
    holder is someone else), so nothing is written over it: the import is refused as a whole."""
    import threading
    import time

    import psycopg
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a second writer needs PostgreSQL")
    court = montana_court()
    path = roster(tmp_path, GOOD)
    other = psycopg.connect(**connection.get_connection_params())
    other.execute(
        "INSERT INTO accounts_paceraccount (username, account_type, holder_name, name_key, created_on, upgraded, "
        "created_at, updated_at) VALUES ('jqattorney', 'individual', 'Someone Else', 'SOMEONE ELSE', '2010-01-01', "
        "true, now(), now())")
    result = {}

    def run_import():
        try:
            result["report"] = roster_import(court, path, apply=True, today=TODAY)
        except Exception as exc:  # reported below
            result["error"] = exc
        finally:
            connection.close()

    worker = threading.Thread(target=run_import)
    worker.start()
    watcher = psycopg.connect(**connection.get_connection_params(), autocommit=True)
    deadline = time.monotonic() + 60  # a guard against a hang, not a timing assertion
    while not watcher.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                              "AND query LIKE '%%MERGE INTO accounts_paceraccount%%'").fetchone()[0]:
        assert worker.is_alive() and time.monotonic() < deadline, result
        time.sleep(0.05)
    other.commit()
    worker.join()
    other.close()
    watcher.close()
    assert isinstance(result.get("error"), ImportError_), result
    assert "Nothing was imported" in str(result["error"])
    assert PacerAccount.objects.get(username="jqattorney").holder_name == "Someone Else"
    assert not Filer.objects.exists() and not CmecfAccount.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_filer_another_court_commits_after_the_checks_is_not_renamed_by_the_import(tmp_path):
    """Utah's filer is committed after the Montana import checked identity and before it writes:
    the write must not take that record for one it checked (renaming it and attaching a Montana
    login to it). The import is refused, nothing imported."""
    import psycopg
    from django.db import connection

    from tests.factories import utah_court

    if connection.vendor != "postgresql":
        pytest.skip("a second writer needs PostgreSQL")
    montana, utah = montana_court(), utah_court()
    other = psycopg.connect(**connection.get_connection_params())
    filer_id = other.execute(
        "INSERT INTO accounts_filer (name, email, email_changes, created_at, updated_at) "
        "VALUES ('Ursula Utah', 'ursula@example.com', 0, now(), now()) RETURNING id").fetchone()[0]
    other.execute(
        "INSERT INTO accounts_cmecfaccount (filer_id, court_id, login, cmecf_name, name_key, name_review, "
        "created_at, updated_at) VALUES (%s, %s, 'uursula', 'Ursula Utah', 'URSULA UTAH', '', now(), now())",
        [filer_id, utah.pk])

    def progress(phase, rows):
        if phase == "writing":  # the checks are done; Utah's transaction commits now
            other.commit()

    path = roster(tmp_path, "Mallory Montana,ursula@example.com,mallory,,,no,no\n")
    try:
        with pytest.raises(ImportError_, match="Nothing was imported"):
            roster_import(montana, path, apply=True, today=TODAY, allowed_court_ids=[montana.pk], progress=progress)
    finally:
        other.close()
    assert Filer.objects.get(email="ursula@example.com").name == "Ursula Utah"
    assert not CmecfAccount.objects.filter(court=montana).exists()


@pytest.mark.parametrize("address, reason", [
    ("a" * 60 + "@" + ".".join(["d" * 60] * 4) + ".com", "longer than 254"),  # a 310-character address
    ("a" * 65 + "@example.com", "longer than 64"),
])
def test_an_address_no_mail_system_takes_is_refused_in_the_dry_run_with_its_line(tmp_path, address, reason):
    report = run(roster(tmp_path, GOOD + f"Ann B,{address},annb,,,no,no\n"), apply=False)
    assert report.error_count == 1
    error = report.errors[0]
    assert (error.line, error.field) == (3, "email") and "undeliverable email" in error.reason and reason in error.reason


def test_a_cmecf_code_two_courts_share_is_refused_naming_both(tmp_path):
    """An appeals court and its bankruptcy appellate panel share one CM/ECF site (ca1): which court
    a file is for must not be a guess."""
    from tests.factories import CourtFactory

    CourtFactory(court_id="01CA", cmecf_code="ca1")
    CourtFactory(court_id="01BAP", cmecf_code="ca1")
    with pytest.raises(ImportError_, match="ca1.* is the CM/ECF code of 01BAP and 01CA"):
        roster_import("ca1", roster(tmp_path, GOOD), apply=False, today=TODAY)


def test_a_shared_cmecf_code_names_the_one_court_the_user_administers(tmp_path):
    from tests.factories import CourtFactory

    appeals = CourtFactory(court_id="01CA", cmecf_code="ca1")
    CourtFactory(court_id="01BAP", cmecf_code="ca1")
    report = roster_import("ca1", roster(tmp_path, GOOD), apply=False, today=TODAY, allowed_court_ids=[appeals.pk])
    assert report.court_id == "01CA"


def test_a_progress_note_that_cannot_be_written_after_the_commit_does_not_stop_the_recount(
        tmp_path, django_capture_on_commit_callbacks):
    """The job store (the cache) failing as the import commits must not leave the court's counts
    stale: the recount still runs."""
    from accounts.selectors import readiness_counts

    def progress(phase, rows):
        if phase == "recounting":
            raise ConnectionError("cache unreachable")

    court = montana_court()
    with django_capture_on_commit_callbacks(execute=True):
        roster_import(court, roster(tmp_path, GOOD), apply=True, today=TODAY, progress=progress)
    assert sum(stored_readiness_counts([court.pk])[court.pk].values()) == 1
    assert stored_readiness_counts([court.pk]) == readiness_counts(CmecfAccount.objects.filter(court=court))


def test_a_login_repeated_on_every_line_lists_the_first_repeats_and_counts_them_all(tmp_path, monkeypatch):
    monkeypatch.setattr("accounts.imports.reading.MAX_ERRORS_KEPT", 3)
    body = "".join(f"Ann B{n},ann{n}@example.com,annb,,,no,no\n" for n in range(8))
    report = run(roster(tmp_path, body), apply=False)
    assert report.error_count == 7  # every line after the first
    assert [(e.line, e.reason) for e in report.errors] == [
        (n, "duplicate login 'annb': already on line 2") for n in (3, 4, 5)]
    assert (report.created, report.unchanged) == (1, 0)  # the repeats left the stage: the first row remains
