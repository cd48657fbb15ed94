"""A roster's changes in the audit trail, as the record edits write them: every created record, every
changed field, under every court the record belongs to, with the file as the source."""
import datetime as dt

import pytest

from accounts.imports.roster import roster_import
from accounts.models import AuditEntry, CmecfAccount, Filer, PacerAccount
from tests.factories import montana_administrator, montana_court, utah_filer_with_legacy_account

pytestmark = pytest.mark.django_db
HEADER = "name,email,cmecf_login,pacer_username,pacer_created_on,upgraded,shared_account\n"
TODAY = dt.date(2026, 1, 15)
JOHN = "John Q. Attorney,john.attorney@example.com,attornjq,jqattorney,2010-05-01,no,no\n"


def apply(tmp_path, body, court=None, by=None):
    path = tmp_path / "roster.csv"
    path.write_text(HEADER + body)
    report = roster_import(court or montana_court(), path, apply=True, today=TODAY, by=by)
    assert report.applied, report.errors
    return report


def entries(**filters) -> set[tuple]:
    return set(AuditEntry.objects.filter(**filters).values_list(
        "court__court_id", "object_repr", "field", "old_value", "new_value"))


def test_every_record_a_roster_creates_is_audited_at_its_court_with_the_file_and_user(tmp_path):
    clerk = montana_administrator()
    apply(tmp_path, JOHN, by=clerk)
    assert entries(field="created") == {
        ("MTDC", "attornjq @ MTDC", "created", "", "attornjq @ MTDC"),
        ("MTDC", "John Q. Attorney <john.attorney@example.com>", "created", "",
         "John Q. Attorney <john.attorney@example.com>"),
        ("MTDC", "jqattorney", "created", "", "jqattorney"),
    }
    assert set(AuditEntry.objects.values_list("user", "source")) == {(clerk.pk, "import roster.csv")}


def test_the_same_roster_again_writes_nothing_in_the_trail(tmp_path):
    apply(tmp_path, JOHN)
    before = AuditEntry.objects.count()
    apply(tmp_path, JOHN)
    assert AuditEntry.objects.count() == before


def test_each_changed_filer_and_pacer_field_is_an_entry_with_old_and_new_values(tmp_path):
    apply(tmp_path, JOHN)
    AuditEntry.objects.all().delete()
    apply(tmp_path, "John Quincy Attorney,john.attorney@example.com,attornjq,jqattorney,2010-05-02,yes,no\n")
    assert entries() == {
        ("MTDC", "attornjq @ MTDC", "cmecf_name", "John Q. Attorney", "John Quincy Attorney"),
        ("MTDC", "John Q. Attorney <john.attorney@example.com>", "name", "John Q. Attorney", "John Quincy Attorney"),
        ("MTDC", "jqattorney", "created_on", "2010-05-01", "2010-05-02"),
        ("MTDC", "jqattorney", "upgraded", "False", "True"),
        ("MTDC", "jqattorney", "holder_name", "John Q. Attorney", "John Quincy Attorney"),
    }
    assert PacerAccount.objects.get().upgraded


def test_a_login_moved_to_another_filer_and_pacer_account_is_audited(tmp_path):
    apply(tmp_path, JOHN)
    AuditEntry.objects.all().delete()
    apply(tmp_path, "Ann Able,ann@example.com,attornjq,annable,2016-05-01,no,no\n")
    moved = entries(field__in=["filer"])
    assert moved == {("MTDC", "attornjq @ MTDC", "filer", "John Q. Attorney <john.attorney@example.com>",
                      "Ann Able <ann@example.com>")}
    assert CmecfAccount.objects.get().filer == Filer.objects.get(email="ann@example.com")
    assert {e[2] for e in entries(field="created")} == {"created"}
    assert {e[1] for e in entries(field="created")} == {"Ann Able <ann@example.com>", "annable"}


def test_a_shared_fact_changed_is_audited_under_each_of_the_records_courts(tmp_path):
    utah_filer_with_legacy_account()
    AuditEntry.objects.all().delete()
    # The command line (no court limits) may change what Utah shares with Montana.
    apply(tmp_path, "Jane Q. Lawyer,jane.lawyer@example.com,lawyerjqm,jqlawyer,2009-03-02,yes,no\n")
    assert entries(field="upgraded") == {
        ("UTDC", "jqlawyer", "upgraded", "False", "True"),
        ("MTDC", "jqlawyer", "upgraded", "False", "True"),
    }
