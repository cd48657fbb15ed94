import datetime as dt

import pytest

from accounts.imports.link_report import link_report_import
from accounts.models import AuditEntry, CmecfAccount, PacerAccount
from tests.accounts.admin_helpers import bulk_ready_accounts, live, montana_court
from tests.factories import superuser

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 1, 15)


@pytest.fixture
def court():
    court = live(montana_court(), day=dt.date(2021, 9, 27))
    bulk_ready_accounts(court, 3, "mt")
    return court


def run(tmp_path, body, apply=True, by=None):
    path = tmp_path / "links.csv"
    path.write_text("cmecf_login,linked_on\n" + body)
    return link_report_import(montana_court(), path, apply=apply, today=TODAY, by=by)


def test_link_report_marks_accounts_linked_at_the_courts_local_midnight(tmp_path, court):
    report = run(tmp_path, "mt0,2021-10-04\nmt1,2021-10-05\n")
    assert report.applied and report.updated == 2
    linked = CmecfAccount.objects.get(login="mt0").linked_at
    assert linked == dt.datetime(2021, 10, 4, 6, tzinfo=dt.timezone.utc)  # midnight in Denver (MDT)


def test_link_report_records_the_file_and_user_in_the_audit_trail(tmp_path, court):
    user = superuser()
    run(tmp_path, "mt0,2021-10-04\n", by=user)
    entry = AuditEntry.objects.get()
    assert (entry.user, entry.source, entry.field, entry.old_value) == (user, "import links.csv", "linked_at", "")
    assert entry.new_value.startswith("2021-10-04")


def test_reimporting_a_link_report_changes_nothing(tmp_path, court):
    run(tmp_path, "mt0,2021-10-04\n")
    report = run(tmp_path, "mt0,2021-10-04\n")
    assert (report.updated, report.unchanged, report.ok) == (0, 1, True)
    assert AuditEntry.objects.count() == 1


def test_unknown_login_is_reported_with_its_line(tmp_path, court):
    report = run(tmp_path, "mt0,2021-10-04\nnobody,2021-10-04\n")
    assert [(e.line, e.field) for e in report.errors] == [(3, "cmecf_login")]
    assert "unknown login" in report.errors[0].reason
    assert not CmecfAccount.objects.filter(linked_at__isnull=False).exists()


def test_link_date_before_go_live_is_reported(tmp_path, court):
    report = run(tmp_path, "mt0,2021-09-20\n")
    assert [(e.line, e.field) for e in report.errors] == [(2, "linked_on")]
    assert "before the court's go-live" in report.errors[0].reason


def test_link_date_in_the_future_is_reported(tmp_path, court):
    report = run(tmp_path, "mt0,2026-02-01\n")
    assert "future" in report.errors[0].reason


def test_duplicate_login_in_a_link_report_is_reported(tmp_path, court):
    report = run(tmp_path, "mt0,2021-10-04\nmt0,2021-10-05\n")
    assert [(e.line, e.field) for e in report.errors] == [(3, "cmecf_login")]


def test_account_that_could_not_have_linked_is_reported_with_its_readiness(tmp_path, court):
    PacerAccount.objects.filter(username="mtp0").update(created_on=dt.date(2010, 1, 1))
    report = run(tmp_path, "mt0,2021-10-04\n")
    assert "Legacy PACER account" in report.errors[0].reason
    assert report.errors[0].line == 2


@pytest.mark.django_db(transaction=True)
def test_a_link_another_session_commits_during_the_apply_refuses_it(tmp_path):
    """Someone records mt0's link while the report is being applied (after its checks): the report
    must not say it linked mt0, nor leave an audit entry for a date that was not stored."""
    import psycopg
    from django.db import connection

    from accounts.imports.reading import ImportError_

    if connection.vendor != "postgresql":
        pytest.skip("a second writer needs PostgreSQL")
    court = live(montana_court(), day=dt.date(2021, 9, 27))
    bulk_ready_accounts(court, 1, "mt")
    other = psycopg.connect(**connection.get_connection_params())
    other.execute("UPDATE accounts_cmecfaccount SET linked_at = '2021-10-04 06:00+00' WHERE login = 'mt0'")

    def progress(phase, rows):
        if phase == "writing":  # the checks are done; the other session's link commits now
            other.commit()

    path = tmp_path / "links.csv"
    path.write_text("cmecf_login,linked_on\nmt0,2021-12-01\n")
    try:
        with pytest.raises(ImportError_, match="Nothing was imported"):
            link_report_import(court, path, apply=True, today=TODAY, progress=progress)
    finally:
        other.close()
    assert CmecfAccount.objects.get(login="mt0").linked_at == dt.datetime(2021, 10, 4, 6, tzinfo=dt.timezone.utc)
    assert not AuditEntry.objects.exists()


def test_the_dry_run_says_which_filers_own_link_reports_applying_would_clear(tmp_path, court):
    """An empty report clears every filer's own "I have linked": the dry run must say so first."""
    from django.utils import timezone

    CmecfAccount.objects.filter(login__in=["mt0", "mt1"]).update(link_reported_at=timezone.now())
    report = run(tmp_path, "", apply=False)
    assert (report.reports_confirmed, report.reports_cleared) == (0, 2)
    assert "2 cleared" in report.summary()
    assert CmecfAccount.objects.filter(link_reported_at__isnull=False).count() == 2


def test_the_dry_run_counts_a_filers_own_report_whose_login_the_file_links_as_confirmed(tmp_path, court):
    from django.utils import timezone

    CmecfAccount.objects.filter(login__in=["mt0", "mt1"]).update(link_reported_at=timezone.now())
    dry = run(tmp_path, "mt0,2021-10-04\n", apply=False)
    applied = run(tmp_path, "mt0,2021-10-04\n")
    assert (dry.reports_confirmed, dry.reports_cleared) == (applied.reports_confirmed, applied.reports_cleared) == (1, 1)


def test_the_admin_dry_run_page_says_the_filers_own_reports_would_be_cleared(client, tmp_path, court, eager_imports):
    from django.utils import timezone

    from tests.conftest import admin_import_post

    CmecfAccount.objects.filter(login="mt0").update(link_reported_at=timezone.now())
    client.force_login(superuser())
    path = tmp_path / "links.csv"
    path.write_text("cmecf_login,linked_on\n")
    with open(path, "rb") as upload:
        page = admin_import_post(client, {"kind": "link_report", "court": court.pk, "file": upload})
    assert "would be cleared" in " ".join(page.content.decode().split())


def test_a_report_wrong_on_every_line_lists_the_first_rows_and_counts_them_all(tmp_path, court, monkeypatch):
    monkeypatch.setattr("accounts.imports.reading.MAX_ERRORS_KEPT", 3)
    report = run(tmp_path, "".join(f"nobody{n},2021-10-01\n" for n in range(8)), apply=False)
    assert report.error_count == 8
    assert [e.line for e in report.errors] == [2, 3, 4]
    assert report.errors[0].reason == "unknown login 'nobody0': MTDC has no such CM/ECF account"


def test_a_postponed_court_takes_no_link_even_after_the_date_it_had(tmp_path, court):
    from courts.models import GoLive, GoLiveStatus

    GoLive.objects.filter(court=court).update(status=GoLiveStatus.POSTPONED)
    report = run(tmp_path, "mt0,2021-10-01\n")
    assert not report.applied and CmecfAccount.objects.filter(linked_at__isnull=False).count() == 0
    assert [(e.line, e.field, e.reason) for e in report.errors] == [
        (2, "linked_on", "MTDC's go-live is postponed: nothing can be linked until the court is live")]
