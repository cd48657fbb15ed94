"""The dry run lists, in plain words, the rows it would create or change and every refused row —
the first ROWS_LISTED of each, with a count of the rest — and the admin page shows them."""
from __future__ import annotations

import datetime as dt

import pytest

from accounts.imports import reading, roster_classify
from accounts.imports.link_report import link_report_import
from accounts.imports.roster import roster_import
from tests.accounts.admin_helpers import bulk_ready_accounts, live
from tests.conftest import admin_import_post
from tests.factories import court_admin_user, montana_court, utah_court, utah_filer_with_legacy_account

pytestmark = pytest.mark.django_db
HEADER = "name,email,cmecf_login,pacer_username,pacer_created_on,upgraded,shared_account\n"
TODAY = dt.date(2026, 1, 15)
NEW_ROW = "Ann Able,ann@example.com,aable,annable,2020-01-01,no,no\n"
# Jane's Utah account under a new CM/ECF name (and a new filer name), imported by a superuser.
JANE_RENAMED = "Jane Q. Lawyer-Smith,jane.lawyer@example.com,lawyerjq,jqlawyer,2009-03-02,no,no\n"


def roster_file(tmp_path, body: str):
    path = tmp_path / "roster.csv"
    path.write_text(HEADER + body)
    return path


def test_roster_dry_run_lists_each_row_it_would_create_in_plain_words(tmp_path):
    report = roster_import(montana_court(), roster_file(tmp_path, NEW_ROW), today=TODAY)
    assert [(r.line, r.login) for r in report.created_rows] == [(2, "aable")]
    assert report.created_rows[0].change == (
        "new CM/ECF account for Ann Able (ann@example.com), a new filer; new PACER account annable")


def test_roster_dry_run_lists_each_row_it_would_change_with_what_changes(tmp_path):
    utah_filer_with_legacy_account()
    report = roster_import(utah_court(), roster_file(tmp_path, JANE_RENAMED), today=TODAY)
    assert report.updated == 1 and [(r.line, r.login) for r in report.updated_rows] == [(2, "lawyerjq")]
    change = report.updated_rows[0].change
    assert "CM/ECF name “Jane Q. Lawyer” becomes “Jane Q. Lawyer-Smith”" in change
    assert "filer's name “Jane Q. Lawyer” becomes “Jane Q. Lawyer-Smith”" in change


def test_roster_dry_run_does_not_list_unchanged_rows(tmp_path):
    utah_filer_with_legacy_account()
    same = "Jane Q. Lawyer,jane.lawyer@example.com,lawyerjq,jqlawyer,2009-03-02,no,no\n"
    report = roster_import(utah_court(), roster_file(tmp_path, same), today=TODAY)
    assert (report.unchanged, report.created_rows, report.updated_rows) == (1, [], [])


def test_roster_lists_at_most_rows_listed_and_counts_the_rest(tmp_path, monkeypatch):
    monkeypatch.setattr(roster_classify, "ROWS_LISTED", 3)
    body = "".join(f"Filer {i},f{i}@example.com,login{i},,,no,no\n" for i in range(7))
    report = roster_import(montana_court(), roster_file(tmp_path, body), today=TODAY)
    assert [r.line for r in report.created_rows] == [2, 3, 4]
    assert (report.created, report.created_not_listed) == (7, 4)


def test_refused_rows_past_rows_listed_are_counted_not_listed(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "ROWS_LISTED", 2)
    body = "".join(f"Filer {i},not-an-email,login{i},,,no,no\n" for i in range(5))
    report = roster_import(montana_court(), roster_file(tmp_path, body), today=TODAY)
    assert [e.line for e in report.errors_listed] == [2, 3]
    assert report.errors_not_listed == 3


def test_link_report_dry_run_lists_the_accounts_it_would_mark_linked(tmp_path):
    court = live(montana_court(), day=dt.date(2021, 9, 27))
    bulk_ready_accounts(court, 2, "mt")
    path = tmp_path / "links.csv"
    path.write_text("cmecf_login,linked_on\nmt1,2021-10-05\nmt0,2021-10-04\n")
    report = link_report_import(court, path, today=TODAY)
    assert [(r.line, r.login, r.change) for r in report.updated_rows] == [
        (2, "mt1", "linked to PACER on 2021-10-05"), (3, "mt0", "linked to PACER on 2021-10-04")]


# --- The admin page ---------------------------------------------------------------------------------

def _dry_run_page(client, tmp_path, body: str) -> str:
    with open(roster_file(tmp_path, body), "rb") as upload:
        page = admin_import_post(client, {"kind": "roster", "court": montana_court().pk, "file": upload})
    return page.content.decode()


def test_admin_dry_run_page_lists_the_rows_it_would_create(client, tmp_path, eager_imports):
    client.force_login(court_admin_user("mt-importer", montana_court()))
    body = _dry_run_page(client, tmp_path, NEW_ROW)
    assert "Would be created (1)" in body and "new CM/ECF account for Ann Able (ann@example.com)" in body


def test_admin_dry_run_page_lists_every_refused_row_in_plain_words(client, tmp_path, eager_imports):
    client.force_login(court_admin_user("mt-importer", montana_court()))
    body = _dry_run_page(client, tmp_path, NEW_ROW + "Bo Baker,bo@,bbaker,,,no,no\nCy Cole,cy@example.com,c cole,,,no,no\n")
    assert "Refused rows (2)" in body
    assert "malformed email &#x27;bo@&#x27;" in body and "login &#x27;c cole&#x27; contains a space" in body
    assert 'value="Apply"' not in body


def test_admin_import_page_says_the_encoding_in_plain_words_and_describes_the_columns(client, tmp_path, eager_imports):
    client.force_login(court_admin_user("mt-importer", montana_court()))
    body = _dry_run_page(client, tmp_path, NEW_ROW)
    assert "The file is UTF-8 text" in body
    assert "utf-8-sig" not in body and "README" not in body
    for column in ("pacer_created_on", "shared_account", "cmecf_name", "linked_on"):
        assert f"<code>{column}</code>" in body


def test_admin_import_court_chooser_is_ordered_by_name_and_shows_the_court_id(client):
    from django.urls import reverse

    court_b = montana_court()  # "District of Montana", MTDC
    court_a = utah_court()  # "District of Utah", UTDC
    court_a.name = "Bankruptcy Court for the District of Utah"
    court_a.save()
    client.force_login(court_admin_user("two-courts", court_b, court_a))
    body = client.get(reverse("admin:accounts_cmecfaccount_import")).content.decode()
    first, second = "Bankruptcy Court for the District of Utah (UTDC)", "District of Montana (MTDC)"
    assert first in body and second in body and body.index(first) < body.index(second)


def test_admin_link_report_dry_run_lists_the_accounts_it_would_mark_linked(client, tmp_path, eager_imports):
    court = live(montana_court(), day=dt.date(2021, 9, 27))
    bulk_ready_accounts(court, 1, "mt")
    client.force_login(court_admin_user("mt-importer", court))
    path = tmp_path / "links.csv"
    path.write_text("cmecf_login,linked_on\nmt0,2021-10-04\n")
    with open(path, "rb") as upload:
        page = admin_import_post(client, {"kind": "link_report", "court": court.pk, "file": upload})
    body = page.content.decode()
    assert "Would be marked linked (1)" in body and "linked to PACER on 2021-10-04" in body


def test_an_apply_counts_without_listing_the_rows(tmp_path):
    report = roster_import(montana_court(), roster_file(tmp_path, NEW_ROW), today=TODAY, apply=True)
    assert report.applied and report.created == 1 and report.created_rows == []
