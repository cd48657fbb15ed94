"""Filers' self-reports and help requests, and the help desk's handling, through accounts.self_service."""
import datetime as dt

import pytest
from django.utils import timezone

from accounts.audit import audit_value
from accounts.counts import court_counts_refresh, stored_self_reports
from accounts.imports.link_report import link_report_import
from accounts.models import AuditEntry, CmecfAccount, HelpReason, HelpRequest, HelpStatus, NameReview
from accounts.readiness import Readiness
from accounts.selectors import cmecf_account_readiness, help_summary
from accounts.self_service import (
    SelfServiceRefused, cmecf_account_report_linked, filer_change_email, help_request_create, help_request_update,
    link_self_reports_settle, pacer_account_report_upgraded,
)
from courts.models import GoLiveStatus
from rollout.notices.dispatch import recipients_for
from rollout.notices.models import NoticeKind
from tests.factories import FilerFactory, GoLiveFactory, filer_at, montana_administrator, montana_court, utah_court

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_montana():
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=dt.date(2021, 9, 27), status=GoLiveStatus.LIVE)
    return court


def audit(field):
    return list(AuditEntry.objects.filter(field=field).order_by("id").values_list("source", "old_value", "new_value"))


def test_reporting_a_link_records_the_time_and_audits_it(live_montana):
    account = filer_at(live_montana)
    now = timezone.now()
    cmecf_account_report_linked(account.filer, account.pk, now=now)
    account.refresh_from_db()
    assert account.link_reported_at == now and account.linked_at is None
    assert audit("link_reported_at") == [("filer status page", "", audit_value(now))]


def test_a_self_reported_link_is_not_a_readiness_state_but_counted_apart(live_montana, django_capture_on_commit_callbacks):
    account = filer_at(live_montana)
    with django_capture_on_commit_callbacks(execute=True):
        cmecf_account_report_linked(account.filer, account.pk)
    assert cmecf_account_readiness(account) == Readiness.READY
    assert stored_self_reports([live_montana.pk]) == {"link": 1, "upgrade": 0}
    court_counts_refresh()
    assert live_montana.readiness_count.linked == 0


def test_a_filer_cannot_report_another_filers_login(live_montana):
    mine, theirs = filer_at(live_montana), filer_at(live_montana, name="Other Person")
    with pytest.raises(SelfServiceRefused, match="not one of yours"):
        cmecf_account_report_linked(mine.filer, theirs.pk)
    theirs.refresh_from_db()
    assert theirs.link_reported_at is None and not AuditEntry.objects.exists()


def test_reporting_a_login_the_court_shows_linked_is_refused(live_montana):
    account = filer_at(live_montana)
    CmecfAccount.objects.filter(pk=account.pk).update(linked_at=timezone.now())
    with pytest.raises(SelfServiceRefused, match="already show"):
        cmecf_account_report_linked(account.filer, account.pk)


def test_reminders_pause_for_a_recently_reported_login_and_resume_after_the_pause(live_montana, settings):
    settings.FILERS_SELF_REPORT_PAUSE_DAYS = 14
    reported, other = filer_at(live_montana), filer_at(live_montana, name="Other Person")
    golive = live_montana.golives.get()
    cmecf_account_report_linked(reported.filer, reported.pk)
    ids = lambda: set(recipients_for(NoticeKind.REMINDER, golive, "reminder_7", live_court_ids=[live_montana.pk])
                      .values_list("pk", flat=True))
    assert ids() == {other.pk}
    CmecfAccount.objects.filter(pk=reported.pk).update(link_reported_at=timezone.now() - dt.timedelta(days=15))
    assert ids() == {reported.pk, other.pk}


def test_the_reminder_pause_is_judged_at_the_dispatchs_moment_not_the_clocks(live_montana, settings):
    """A dispatch run for a moment 15 days after the report (a catch-up, a test of the schedule)
    reminds the filer: the pause was over then."""
    settings.FILERS_SELF_REPORT_PAUSE_DAYS = 14
    reported = filer_at(live_montana)
    cmecf_account_report_linked(reported.filer, reported.pk)
    golive = live_montana.golives.get()
    later = timezone.now() + dt.timedelta(days=15)
    assert set(recipients_for(NoticeKind.REMINDER, golive, "reminder_7", live_court_ids=[live_montana.pk], now=later)
               .values_list("pk", flat=True)) == {reported.pk}


def test_the_next_link_report_confirms_a_listed_self_report_and_clears_an_unlisted_one(live_montana, tmp_path):
    listed, unlisted = filer_at(live_montana, login="listed"), filer_at(live_montana, name="Other", login="unlisted")
    for account in (listed, unlisted):
        cmecf_account_report_linked(account.filer, account.pk, now=timezone.now() - dt.timedelta(minutes=5))
    path = tmp_path / "links.csv"
    path.write_text("cmecf_login,linked_on\nlisted,2021-10-04\n")
    report = link_report_import(live_montana, path, apply=True, today=dt.date(2026, 1, 15))
    assert report.applied
    listed.refresh_from_db(), unlisted.refresh_from_db()
    assert listed.linked_at is not None and listed.link_reported_at is None
    assert unlisted.linked_at is None and unlisted.link_reported_at is None
    settled = dict((e.object_id, e.new_value) for e in AuditEntry.objects.filter(field="link_reported_at", source="import links.csv"))
    assert settled == {listed.pk: "confirmed by link report", unlisted.pk: "cleared: not in link report"}


def test_settling_leaves_a_report_made_after_the_link_report_alone(live_montana):
    account = filer_at(live_montana)
    cmecf_account_report_linked(account.filer, account.pk)
    assert link_self_reports_settle(live_montana, source="import x.csv",
                                    before=timezone.now() - dt.timedelta(hours=1)) == (0, 0)
    account.refresh_from_db()
    assert account.link_reported_at is not None


def test_reporting_an_upgrade_is_recorded_on_the_pacer_account_and_in_each_courts_trail(live_montana):
    account = filer_at(live_montana, state="legacy")
    GoLiveFactory(court=utah_court(), go_live_date=dt.date(2020, 2, 1), status=GoLiveStatus.LIVE)
    from tests.factories import CmecfAccountFactory

    CmecfAccountFactory(filer=account.filer, court=utah_court(), login="utahlogin", cmecf_name=account.filer.name)
    pacer = pacer_account_report_upgraded(account.filer)
    assert pacer.upgrade_reported_at is not None and not pacer.upgraded
    assert set(AuditEntry.objects.filter(field="pacer_upgrade_reported_at").values_list("court__court_id", flat=True)) \
        == {"MTDC", "UTDC"}


def test_reporting_an_upgrade_of_a_modern_account_is_refused(live_montana):
    account = filer_at(live_montana)
    with pytest.raises(SelfServiceRefused, match="needs no upgrade"):
        pacer_account_report_upgraded(account.filer)


@pytest.mark.parametrize("reason", HelpReason.values)
def test_a_help_request_belongs_to_the_court_of_that_login(live_montana, reason):
    account = filer_at(live_montana)
    request = help_request_create(account.filer, account.pk, reason, "I need a hand")
    assert (request.court, request.account, request.status) == (live_montana, account, HelpStatus.OPEN)
    assert AuditEntry.objects.get(field="status").court == live_montana


def test_something_else_needs_a_text(live_montana):
    account = filer_at(live_montana)
    with pytest.raises(SelfServiceRefused, match="few words"):
        help_request_create(account.filer, account.pk, HelpReason.OTHER, "  ")
    assert not HelpRequest.objects.exists()


def test_asking_twice_for_the_same_thing_makes_one_request(live_montana):
    account = filer_at(live_montana)
    first = help_request_create(account.filer, account.pk, HelpReason.FORGOT_LOGIN)
    assert help_request_create(account.filer, account.pk, HelpReason.FORGOT_LOGIN) == first
    assert HelpRequest.objects.count() == 1


def test_resolving_a_names_request_can_verify_the_names_in_the_same_step(live_montana):
    account = filer_at(live_montana, state="name_mismatch")
    clerk = montana_administrator()
    request = help_request_create(account.filer, account.pk, HelpReason.NAMES)
    assert cmecf_account_readiness(account) == Readiness.NAME_MISMATCH
    help_request_update(request, by=clerk, status=HelpStatus.RESOLVED, assigned_to=clerk, notes="Called; same person.",
                        verify_names=True)
    request.refresh_from_db(), account.refresh_from_db()
    assert request.status == HelpStatus.RESOLVED and request.resolved_at is not None
    assert account.name_review == NameReview.VERIFIED and cmecf_account_readiness(account) == Readiness.READY
    fields = set(AuditEntry.objects.filter(user=clerk).values_list("field", flat=True))
    assert fields == {"status", "assigned_to", "notes", "name_review"}


def test_only_a_names_request_verifies_names(live_montana):
    account = filer_at(live_montana, state="name_mismatch")
    request = help_request_create(account.filer, account.pk, HelpReason.FORGOT_LOGIN)
    with pytest.raises(SelfServiceRefused):
        help_request_update(request, by=montana_administrator(), status=HelpStatus.RESOLVED, verify_names=True)
    request.refresh_from_db()
    assert request.status == HelpStatus.OPEN


def test_help_summary_counts_unresolved_requests_and_the_oldest(live_montana):
    account = filer_at(live_montana)
    old = timezone.now() - dt.timedelta(days=6)
    help_request_create(account.filer, account.pk, HelpReason.NAMES, now=old)
    done = help_request_create(account.filer, account.pk, HelpReason.FORGOT_LOGIN)
    help_request_update(done, by=None, status=HelpStatus.RESOLVED)
    summary = help_summary([live_montana.pk])
    assert (summary.open, summary.oldest_at, summary.age_days(timezone.now())) == (1, old, 6)


def test_changing_the_address_is_refused_when_another_filer_has_it(live_montana):
    account = filer_at(live_montana)
    FilerFactory(email="taken@example.com")
    with pytest.raises(SelfServiceRefused, match="another filer"):
        filer_change_email(account.filer.pk, account.filer.email, "Taken@example.com", 0)
    # Refused by the unique address itself (two filers confirming one address at once are both
    # refused this way): nothing changed, nothing audited, and the transaction goes on.
    old = account.filer.email
    account.filer.refresh_from_db()
    assert (account.filer.email, account.filer.email_changes) == (old, 0)
    assert audit("filer_email") == []


def test_an_address_the_sender_would_not_mail_does_not_become_the_notice_address(live_montana):
    account = filer_at(live_montana)
    old = account.filer.email
    with pytest.raises(SelfServiceRefused, match="The part before @ is longer than 64 characters"):
        filer_change_email(account.filer.pk, old, "a" * 70 + "@example.com", 0)
    account.filer.refresh_from_db()
    assert account.filer.email == old


def test_changing_the_address_is_audited_and_refused_once_it_changed(live_montana):
    account = filer_at(live_montana)
    old = account.filer.email
    filer_change_email(account.filer.pk, old, "New.Address@example.com", 0)
    account.filer.refresh_from_db()
    assert account.filer.email == "new.address@example.com"
    assert audit("filer_email") == [("filer status page", old, "new.address@example.com")]
    with pytest.raises(SelfServiceRefused, match="no longer valid"):
        filer_change_email(account.filer.pk, old, "third@example.com", 1)


def test_reporting_a_link_before_the_court_is_live_is_refused():
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=dt.date(2031, 1, 6), status=GoLiveStatus.SCHEDULED)
    account = filer_at(court)
    with pytest.raises(SelfServiceRefused, match="not live"):
        cmecf_account_report_linked(account.filer, account.pk)
    account.refresh_from_db()
    assert account.link_reported_at is None


def test_a_login_our_records_call_legacy_can_still_be_reported_linked(live_montana):
    account = filer_at(live_montana, state="legacy")
    cmecf_account_report_linked(account.filer, account.pk)
    account.refresh_from_db()
    assert account.link_reported_at is not None


def test_a_reported_upgrade_is_counted_apart_and_the_next_roster_confirms_it(live_montana, tmp_path,
                                                                            django_capture_on_commit_callbacks):
    from accounts.imports.roster import roster_import

    account = filer_at(live_montana, state="legacy", name="Jane Q. Lawyer", email="jane@example.com", login="janeq")
    with django_capture_on_commit_callbacks(execute=True):
        pacer = pacer_account_report_upgraded(account.filer)
    assert stored_self_reports([live_montana.pk]) == {"link": 0, "upgrade": 1}
    assert cmecf_account_readiness(account) == Readiness.LEGACY  # a report changes no state
    path = tmp_path / "roster.csv"
    header = "name,email,cmecf_login,pacer_username,pacer_created_on,upgraded,shared_account\n"
    path.write_text(header + f"Jane Q. Lawyer,jane@example.com,janeq,{pacer.username},2009-03-02,yes,no\n")
    with django_capture_on_commit_callbacks(execute=True):
        assert roster_import(live_montana, path, apply=True).applied
    pacer.refresh_from_db()
    assert pacer.upgraded and pacer.upgrade_reported_at is None
    assert stored_self_reports([live_montana.pk]) == {"link": 0, "upgrade": 0}
    source, old, new = audit("pacer_upgrade_reported_at")[-1]
    assert (source, new) == ("import roster.csv", "confirmed by roster") and old


def test_a_roster_still_saying_legacy_clears_the_reported_upgrade(live_montana, tmp_path):
    from accounts.imports.roster import roster_import

    account = filer_at(live_montana, state="legacy", name="Jane Q. Lawyer", email="jane@example.com", login="janeq")
    pacer = pacer_account_report_upgraded(account.filer)
    path = tmp_path / "roster.csv"
    header = "name,email,cmecf_login,pacer_username,pacer_created_on,upgraded,shared_account\n"
    path.write_text(header + f"Jane Q. Lawyer,jane@example.com,janeq,{pacer.username},2009-03-02,no,no\n")
    assert roster_import(live_montana, path, apply=True).applied
    pacer.refresh_from_db()
    assert not pacer.upgraded and pacer.upgrade_reported_at is None
    assert audit("pacer_upgrade_reported_at")[-1][2] == "cleared: roster says not upgraded"
