"""A roster row may change a filer's or a PACER account's shared facts only for an importer who
administers every court of that filer; otherwise the row is a conflict, applied for the importing
court's own CM/ECF account only."""
from __future__ import annotations

import datetime as dt

import pytest

from accounts.imports.roster import roster_import
from accounts.models import CmecfAccount, Filer, PacerAccount, PacerAccountType
from tests.factories import montana_court, utah_court, utah_filer_with_legacy_account

pytestmark = pytest.mark.django_db
HEADER = "name,email,cmecf_login,pacer_username,pacer_created_on,upgraded,shared_account\n"
TODAY = dt.date(2026, 1, 15)
# Jane files in Utah (legacy PACER account jqlawyer from 2009); Montana's roster writes her name
# without the initial (the same person by the identity rules) and says her account was upgraded.
JANE_IN_MONTANA = "JANE LAWYER,jane.lawyer@example.com,lawyerjqm,jqlawyer,2009-03-02,yes,no\n"


def roster(tmp_path, body: str):
    path = tmp_path / "roster.csv"
    path.write_text(HEADER + body)
    return path


def montana_import(tmp_path, body, *, apply, allowed):
    return roster_import(montana_court(), roster(tmp_path, body), apply=apply, today=TODAY,
                         allowed_court_ids=allowed)


def test_dry_run_reports_each_shared_fact_of_a_filer_the_importer_sees_naming_no_other_court(tmp_path):
    jane = utah_filer_with_legacy_account().filer
    CmecfAccount.objects.create(filer=jane, court=montana_court(), login="lawyerjqm", cmecf_name=jane.name)
    report = montana_import(tmp_path, JANE_IN_MONTANA, apply=False, allowed=[montana_court().pk])
    assert report.ok
    assert {(c.line, c.field) for c in report.conflicts} == {(2, "name"), (2, "upgraded")}
    assert all("courts you do not administer" in c.reason and "UTDC" not in c.reason for c in report.conflicts)


@pytest.mark.parametrize("row", [
    JANE_IN_MONTANA,
    "Jane Q. Lawyer,jane.lawyer@example.com,lawyerjqm,jqlawyer,2009-03-02,no,no\n",  # what Utah holds
    "Jane Q. Lawyer,jane.lawyer@example.com,lawyerjqm,jqlawyer,2011-07-04,no,no\n",  # a wrong guess
])
def test_a_filer_only_other_courts_hold_gets_the_same_conflict_whatever_the_row_says(tmp_path, row):
    """Per-field conflicts would let Montana guess Utah's facts about Jane one field at a time."""
    utah_filer_with_legacy_account()
    report = montana_import(tmp_path, row, apply=False, allowed=[montana_court().pk])
    assert report.ok and report.created == 1
    assert [(c.line, c.field) for c in report.conflicts] == [(2, "email")]
    assert "courts you do not administer" in report.conflicts[0].reason


def test_applying_keeps_the_shared_facts_and_adds_only_the_courts_own_account(tmp_path):
    utah_filer_with_legacy_account()
    report = montana_import(tmp_path, JANE_IN_MONTANA, apply=True, allowed=[montana_court().pk])
    assert report.applied
    jane = Filer.objects.get(email="jane.lawyer@example.com")
    assert jane.name == "Jane Q. Lawyer"
    assert jane.pacer_account.upgraded is False
    assert CmecfAccount.objects.get(court=montana_court(), login="lawyerjqm").filer == jane


def test_an_administrator_of_both_courts_changes_the_shared_facts(tmp_path):
    utah_filer_with_legacy_account()
    report = montana_import(tmp_path, JANE_IN_MONTANA, apply=True, allowed=[montana_court().pk, utah_court().pk])
    assert report.conflicts == []
    jane = Filer.objects.get(email="jane.lawyer@example.com")
    assert (jane.name, jane.pacer_account.upgraded) == ("JANE LAWYER", True)


def test_the_command_line_and_superusers_are_not_limited(tmp_path):
    utah_filer_with_legacy_account()
    report = montana_import(tmp_path, JANE_IN_MONTANA, apply=True, allowed=None)
    assert report.conflicts == []
    assert Filer.objects.get(email="jane.lawyer@example.com").name == "JANE LAWYER"


def test_a_new_filer_naming_another_courts_pacer_account_is_refused(tmp_path):
    utah_filer_with_legacy_account()
    body = "Mo Montana,mo@example.com,montanamo,jqlawyer,2020-01-01,no,yes\n"
    report = montana_import(tmp_path, body, apply=True, allowed=[montana_court().pk])
    assert not report.applied and [e.line for e in report.errors] == [2]
    pacer = PacerAccount.objects.get(username="jqlawyer")
    assert (pacer.account_type, pacer.created_on) == (PacerAccountType.INDIVIDUAL, dt.date(2009, 3, 2))
    assert not CmecfAccount.objects.filter(login="montanamo").exists()


def test_an_unchanged_row_of_a_filer_also_at_another_court_is_no_conflict(tmp_path):
    jane = utah_filer_with_legacy_account().filer
    CmecfAccount.objects.create(filer=jane, court=montana_court(), login="lawyerjqm", cmecf_name=jane.name)
    body = "Jane Q. Lawyer,jane.lawyer@example.com,lawyerjqm,jqlawyer,2009-03-02,no,no\n"
    report = montana_import(tmp_path, body, apply=False, allowed=[montana_court().pk])
    assert report.conflicts == [] and report.unchanged == 1


def test_the_admin_dry_run_lists_the_conflicts(client, tmp_path, eager_imports):
    from tests.conftest import admin_import_post
    from tests.factories import court_admin_user

    utah_filer_with_legacy_account()
    client.force_login(court_admin_user("mt-importer", montana_court()))
    with open(roster(tmp_path, JANE_IN_MONTANA), "rb") as upload:
        page = admin_import_post(client, {"kind": "roster", "court": montana_court().pk, "file": upload})
    body = page.content.decode()
    assert "courts you do not administer" in body and "will be left as it is" in body and "UTDC" not in body
    assert Filer.objects.get(email="jane.lawyer@example.com").name == "Jane Q. Lawyer"
