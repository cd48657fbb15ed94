"""A filer's own "I upgraded my PACER account" report is a shared fact of that account: a roster
applied by an administrator who does not administer every court of the account's filers neither
confirms nor clears it (the row is kept, as for the account's other facts)."""
from __future__ import annotations

import datetime as dt

import pytest

from accounts.imports.roster import roster_import
from accounts.models import AuditEntry, Filer, PacerAccount
from accounts.self_service import pacer_account_report_upgraded
from tests.factories import montana_court, utah_filer_with_legacy_account

pytestmark = pytest.mark.django_db
HEADER = "name,email,cmecf_login,pacer_username,pacer_created_on,upgraded,shared_account\n"
TODAY = dt.date(2026, 1, 15)
# Jane files in Utah only (legacy PACER account jqlawyer); Montana's roster attaches her.
JANE_NOT_UPGRADED = "Jane Q. Lawyer,jane.lawyer@example.com,lawyerjqm,jqlawyer,2009-03-02,no,no\n"
JANE_UPGRADED = "Jane Q. Lawyer,jane.lawyer@example.com,lawyerjqm,jqlawyer,2009-03-02,yes,no\n"


@pytest.fixture
def jane_reported_upgrade():
    utah_filer_with_legacy_account()
    return pacer_account_report_upgraded(Filer.objects.get(email="jane.lawyer@example.com")).upgrade_reported_at


def montana_only_import(tmp_path, body: str):
    path = tmp_path / "roster.csv"
    path.write_text(HEADER + body)
    court = montana_court()
    report = roster_import(court, path, apply=True, today=TODAY, allowed_court_ids=[court.pk])
    assert report.applied, report.errors
    return report


def test_a_roster_saying_legacy_leaves_another_courts_filers_report(tmp_path, jane_reported_upgrade):
    montana_only_import(tmp_path, JANE_NOT_UPGRADED)
    assert PacerAccount.objects.get(username="jqlawyer").upgrade_reported_at == jane_reported_upgrade


def test_a_roster_saying_upgraded_does_not_confirm_another_courts_filers_report(tmp_path, jane_reported_upgrade):
    montana_only_import(tmp_path, JANE_UPGRADED)
    assert PacerAccount.objects.get(username="jqlawyer").upgrade_reported_at == jane_reported_upgrade


def test_a_kept_report_is_not_audited_as_settled_at_the_importing_court(tmp_path, jane_reported_upgrade):
    montana_only_import(tmp_path, JANE_NOT_UPGRADED)
    assert not AuditEntry.objects.filter(court=montana_court(), field="pacer_upgrade_reported_at").exists()


def test_an_import_by_an_administrator_of_every_court_settles_the_report_at_each_of_them(
        tmp_path, jane_reported_upgrade, django_capture_on_commit_callbacks):
    from accounts.counts import court_counts_refresh
    from accounts.models import CourtReadinessCount
    from tests.factories import utah_court

    utah = utah_court()
    court_counts_refresh()
    assert CourtReadinessCount.objects.get(court=utah).upgrade_reported == 1
    path = tmp_path / "roster.csv"
    path.write_text(HEADER + JANE_NOT_UPGRADED)
    with django_capture_on_commit_callbacks(execute=True):
        assert roster_import(montana_court(), path, apply=True, today=TODAY).applied
    assert PacerAccount.objects.get(username="jqlawyer").upgrade_reported_at is None
    assert CourtReadinessCount.objects.get(court=utah).upgrade_reported == 0
    assert AuditEntry.objects.filter(court=utah, field="pacer_upgrade_reported_at",
                                     new_value__startswith="cleared").exists()
