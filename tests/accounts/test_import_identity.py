"""A roster row attaches an existing filer only when email and name agree, and an existing PACER account
only when username and filer agree; otherwise a per-line error that names no other court and not which
fact matched. An attach is audited at every court of the filer."""
from __future__ import annotations

import datetime as dt

import pytest

from accounts.imports.identity import IDENTITY_REFUSED
from accounts.imports.roster import roster_import
from accounts.models import AuditEntry, CmecfAccount, Filer, PacerAccount, identity_agrees
from tests.factories import montana_administrator, montana_court, utah_court, utah_filer_with_legacy_account

HEADER = "name,email,cmecf_login,pacer_username,pacer_created_on,upgraded,shared_account\n"
TODAY = dt.date(2026, 1, 15)


def montana_import(tmp_path, body, *, apply, by=None):
    path = tmp_path / "roster.csv"
    path.write_text(HEADER + body)
    return roster_import(montana_court(), path, apply=apply, today=TODAY, by=by,
                         allowed_court_ids=[montana_court().pk])


def assert_refused_without_telling(report, line):
    assert not report.applied and report.error_count == 1
    error = report.errors[0]
    assert (error.line, error.reason, error.field) == (line, IDENTITY_REFUSED, "")
    text = str(error) + report.summary()
    assert "UTDC" not in text and "Utah" not in text
    assert report.created_rows == [] and report.updated_rows == []


@pytest.mark.parametrize("name, agrees", [
    ("jane q lawyer", True), ("  JANE   Q.  LAWYER ", True), ("Jane Lawyer", True), ("Jane Q. Lawyer, Jr.", True),
    ("Jane Q. Lawyer Esq.", True), ("Jane Quinn Lawyer", False), ("Joan Lawyer", False), ("Jane Q. Lawyer-Smith", False),
])
def test_identity_key_decides_which_names_agree(name, agrees):
    assert identity_agrees(name, "Jane Q. Lawyer") is agrees


@pytest.mark.django_db
@pytest.mark.parametrize("apply", [False, True])
def test_another_courts_email_under_another_name_is_refused(tmp_path, apply):
    utah_filer_with_legacy_account()
    report = montana_import(tmp_path, "Mallory Montana,jane.lawyer@example.com,mallory,,,no,no\n", apply=apply)
    assert_refused_without_telling(report, 2)
    assert not CmecfAccount.objects.filter(court=montana_court()).exists()
    assert Filer.objects.get(email="jane.lawyer@example.com").name == "Jane Q. Lawyer"


@pytest.mark.django_db
@pytest.mark.parametrize("apply", [False, True])
def test_another_filers_pacer_username_is_refused_for_a_new_email(tmp_path, apply):
    utah_filer_with_legacy_account()
    report = montana_import(tmp_path, "Jane Q. Lawyer,mallory@example.com,mallory,jqlawyer,2009-03-02,no,no\n",
                            apply=apply)
    assert_refused_without_telling(report, 2)
    assert list(PacerAccount.objects.get(username="jqlawyer").filers.values_list("email", flat=True)) == [
        "jane.lawyer@example.com"]


@pytest.mark.django_db
def test_the_email_and_the_pacer_refusals_read_the_same(tmp_path):
    utah_filer_with_legacy_account()
    by_email = montana_import(tmp_path, "Mallory,jane.lawyer@example.com,mallory,,,no,no\n", apply=False)
    by_pacer = montana_import(tmp_path, "Mallory,mallory@example.com,mallory,jqlawyer,,no,no\n", apply=False)
    assert [str(e) for e in by_email.errors] == [str(e) for e in by_pacer.errors]


@pytest.mark.django_db
def test_an_agreeing_identity_attaches_and_the_dry_run_says_so(tmp_path):
    utah_filer_with_legacy_account()
    report = montana_import(tmp_path, "JANE LAWYER,jane.lawyer@example.com,lawyerjqm,jqlawyer,2009-03-02,no,no\n",
                            apply=False)
    assert report.ok and report.created == 1
    change = report.created_rows[0].change
    assert "existing filer record" in change and "UTDC" not in change


@pytest.mark.django_db
def test_the_dry_run_reads_the_same_whatever_pacer_username_a_row_guesses_for_another_courts_filer(tmp_path):
    utah_filer_with_legacy_account()
    changes = {
        guess: montana_import(
            tmp_path, f"Jane Q. Lawyer,jane.lawyer@example.com,lawyerjqm,{guess},2009-03-02,no,no\n", apply=False,
        ).created_rows[0].change
        for guess in ("jqlawyer", "wrongguess")
    }
    assert changes["jqlawyer"] == changes["wrongguess"]
    assert "PACER account stays as recorded" in changes["jqlawyer"]


@pytest.mark.django_db
def test_an_attach_is_audited_at_the_importing_court(tmp_path):
    utah_filer_with_legacy_account()
    clerk = montana_administrator()
    report = montana_import(tmp_path, "Jane Q. Lawyer,jane.lawyer@example.com,lawyerjqm,jqlawyer,2009-03-02,no,no\n",
                            apply=True, by=clerk)
    assert report.applied
    jane = Filer.objects.get(email="jane.lawyer@example.com")
    entry = AuditEntry.objects.get(object_id=jane.pk, field="court_attached", court__court_id="MTDC")
    assert (entry.user, entry.source, entry.new_value) == (clerk, "import roster.csv", "lawyerjqm @ MTDC")
    assert entry.who == f"{clerk} (import roster.csv)"


@pytest.mark.django_db
def test_an_attach_leaves_nothing_in_the_filers_other_courts_trail(tmp_path):
    """Utah's staff would otherwise read Montana's login, clerk and file name in their own trail."""
    utah_filer_with_legacy_account()
    report = montana_import(tmp_path, "Jane Q. Lawyer,jane.lawyer@example.com,lawyerjqm,jqlawyer,2009-03-02,no,no\n",
                            apply=True, by=montana_administrator())
    assert report.applied
    assert not AuditEntry.objects.filter(court__court_id="UTDC").exists()


@pytest.mark.django_db
def test_a_new_filer_and_new_pacer_account_are_not_attaches(tmp_path):
    report = montana_import(tmp_path, "Mo Montana,mo@example.com,montanamo,mopacer,2020-01-01,no,no\n", apply=True)
    assert report.applied
    assert not AuditEntry.objects.filter(field="court_attached").exists()
    assert CmecfAccount.objects.get(login="montanamo").filer.pacer_account.username == "mopacer"


@pytest.mark.django_db
def test_a_courts_own_filer_may_be_renamed_by_its_roster(tmp_path):
    montana_import(tmp_path, "Mo Montana,mo@example.com,montanamo,,,no,no\n", apply=True)
    report = montana_import(tmp_path, "Maureen Montana-Jones,mo@example.com,montanamo,,,no,no\n", apply=True)
    assert report.applied and Filer.objects.get(email="mo@example.com").name == "Maureen Montana-Jones"


@pytest.mark.django_db
def test_the_command_line_still_refuses_a_disagreeing_name(tmp_path):
    utah_filer_with_legacy_account()
    path = tmp_path / "roster.csv"
    path.write_text(HEADER + "Mallory,jane.lawyer@example.com,mallory,,,no,no\n")
    report = roster_import(montana_court(), path, apply=True, today=TODAY)
    assert report.error_count == 1 and not report.applied
    assert utah_court().cmecf_accounts.count() == 1
