"""Admin: templates with preview and "send a test to me", deliveries with resend and send-now, all scoped."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from accounts.services import cmecf_account_link
from courts.models import GoLiveStatus
from rollout.notices.models import DeliveryState, NoticeDelivery, NoticeTemplate
from rollout.notices.sending import deliveries_send
from rollout.notices.services import notice_send_now, notice_send_reminder_now
from tests.factories import GoLiveFactory, UserFactory, filer_at, montana_administrator, montana_court, utah_court

pytestmark = pytest.mark.django_db


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def superuser():
    return UserFactory(username="root", email="root@example.gov", is_superuser=True)


def test_preview_renders_the_template_for_a_sample_filer_with_names_escaped(superuser):
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=dt.date(2021, 9, 27))
    template = NoticeTemplate.objects.create(court=court, kind="golive", subject="Live: {{ court_name }}",
                                             text_body="Hi {{ filer_name }}", html_body="<p>Hi {{ filer_name }}</p>")
    response = logged_in(superuser).get(f"/admin/rollout/noticetemplate/{template.pk}/preview/?readiness=legacy")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Live: District of Montana" in body
    assert "Hi Jane Q. &lt;Sample&gt; Lawyer" in body  # text part, escaped on the page
    assert "&lt;Sample&gt;" in response.context["html"]  # HTML part, escaped by the template


def test_send_a_test_to_me_mails_the_rendered_sample_to_the_administrator(smtp_sink):
    user = montana_administrator()
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=dt.date(2021, 9, 27))
    template = NoticeTemplate.objects.create(court=court, kind="reminder", subject="Link now, {{ filer_name }}",
                                             text_body="{{ unsubscribe_url }}", html_body="<p>x</p>")
    response = logged_in(user).post(f"/admin/rollout/noticetemplate/{template.pk}/preview/", {"readiness": "shared"})
    assert response.status_code == 302
    (received,) = smtp_sink.messages
    assert received.rcpt_tos == ["clerk@mtd.example.gov"]
    assert received.message["Subject"] == "[TEST] Link now, Jane Q. <Sample> Lawyer"


def test_a_refused_test_email_is_reported_on_the_page(smtp_sink):
    user = montana_administrator()
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=dt.date(2021, 9, 27))
    template = NoticeTemplate.objects.create(court=court, kind="golive", subject="x", text_body="x", html_body="x")
    smtp_sink.refuse_5xx.add("clerk@mtd.example.gov")
    client = logged_in(user)
    response = client.post(f"/admin/rollout/noticetemplate/{template.pk}/preview/", {"readiness": "ready"}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "The mail server did not accept the test for clerk@mtd.example.gov: 550 5.1.1 No such mailbox" in page
    assert smtp_sink.messages == []


def test_a_court_administrator_cannot_preview_another_courts_template():
    user = montana_administrator()
    other = NoticeTemplate.objects.create(court=utah_court(), kind="golive", subject="x", text_body="x", html_body="x")
    assert logged_in(user).get(f"/admin/rollout/noticetemplate/{other.pk}/preview/").status_code == 404


def test_a_template_with_a_syntax_error_is_refused_naming_the_field(superuser):
    response = logged_in(superuser).post("/admin/rollout/noticetemplate/add/", {
        "court": montana_court().pk, "kind": "golive", "subject": "ok", "text_body": "{% if %}", "html_body": "<p></p>",
    })
    assert response.status_code == 200
    assert "text_body" in response.context["adminform"].form.errors
    assert not NoticeTemplate.objects.exists()


def test_a_court_administrator_sees_only_deliveries_of_their_courts():
    user = montana_administrator()
    for court in (montana_court(), utah_court()):
        golive = GoLiveFactory(court=court, go_live_date=dt.date(2021, 9, 27))
        account = filer_at(court)
        NoticeDelivery.objects.create(filer=account.filer, court=court, golive=golive, kind="golive", notice="golive")
    response = logged_in(user).get("/admin/rollout/noticedelivery/")
    assert response.status_code == 200
    assert [row.court.court_id for row in response.context["cl"].result_list] == ["MTDC"]


def test_resending_failed_deliveries_puts_them_back_and_they_go_once(smtp_sink):
    user = montana_administrator()
    court = montana_court()
    golive = GoLiveFactory(court=court, go_live_date=dt.date(2021, 9, 27))
    account = filer_at(court)
    row = NoticeDelivery.objects.create(filer=account.filer, court=court, golive=golive, kind="golive",
                                        notice="golive", state=DeliveryState.FAILED, last_error="550 no mailbox")
    logged_in(user).post("/admin/rollout/noticedelivery/", {"action": "resend_failed", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert (row.state, row.queued_at) == (DeliveryState.PENDING, None)
    deliveries_send([row.pk], claimed_by="test")
    deliveries_send([row.pk], claimed_by="test-again")
    assert smtp_sink.per_recipient() == {account.filer.email: 1}


def test_resend_starts_over_and_is_audited():
    from django.utils import timezone

    from accounts.models import AuditEntry

    user = montana_administrator()
    court = montana_court()
    golive = GoLiveFactory(court=court, go_live_date=dt.date(2021, 9, 27))
    account = filer_at(court)
    row = NoticeDelivery.objects.create(filer=account.filer, court=court, golive=golive, kind="golive",
                                        notice="golive", state=DeliveryState.FAILED, last_error="451 busy",
                                        attempts=11, next_attempt_at=timezone.now() + dt.timedelta(hours=1))
    logged_in(user).post("/admin/rollout/noticedelivery/", {"action": "resend_failed", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert (row.state, row.attempts, row.next_attempt_at, row.last_error) == (DeliveryState.PENDING, 0, None, "")
    entries = {(e.field, e.old_value, e.new_value, e.user_id) for e in AuditEntry.objects.filter(object_id=row.pk)}
    assert ("state", "failed", "pending", user.pk) in entries and ("last_error", "451 busy", "", user.pk) in entries


def test_send_now_refuses_a_go_live_notice_before_the_court_is_live():
    user = montana_administrator()
    court = montana_court()
    golive = GoLiveFactory(court=court, go_live_date=court.local_today() + dt.timedelta(days=9))
    filer_at(court)
    with pytest.raises(ValidationError):
        notice_send_now(golive, "golive", user)
    assert notice_send_now(golive, "prepare", user) == 1
    assert list(NoticeDelivery.objects.values_list("notice", "created_by")) == [("prepare", user.pk)]


def test_send_now_is_refused_for_a_court_the_user_does_not_administer():
    golive = GoLiveFactory(court=utah_court(), go_live_date=dt.date(2020, 2, 1), status=GoLiveStatus.LIVE)
    with pytest.raises(PermissionDenied):
        notice_send_now(golive, "reminder", montana_administrator())


def test_send_reminder_now_covers_only_unlinked_accounts_at_administered_live_courts():
    user = montana_administrator()
    mt, ut = montana_court(), utah_court()
    GoLiveFactory(court=mt, go_live_date=dt.date(2021, 9, 27))
    GoLiveFactory(court=ut, go_live_date=dt.date(2020, 2, 1))
    waiting, linked, elsewhere = filer_at(mt), filer_at(mt), filer_at(ut)
    cmecf_account_link(linked)
    count = notice_send_reminder_now([waiting.pk, linked.pk, elsewhere.pk], user)
    rows = list(NoticeDelivery.objects.values_list("filer_id", "kind"))
    assert count == 1 and rows == [(waiting.filer_id, "reminder")]
    assert notice_send_reminder_now([waiting.pk], user) == 0  # at most one manual reminder a day


# --- Broker down: the staff member's change stands, the rows wait for beat's sweep, never a 500 ----------

@pytest.mark.django_db(transaction=True)  # the publish runs on commit, as in production
def test_resend_while_the_broker_is_down_puts_the_rows_back_and_answers(unreachable_broker):
    court = montana_court()
    golive = GoLiveFactory(court=court, go_live_date=dt.date(2021, 9, 27))
    row = NoticeDelivery.objects.create(filer=filer_at(court).filer, court=court, golive=golive, kind="golive",
                                        notice="golive", state=DeliveryState.FAILED, last_error="550 no mailbox")
    response = logged_in(montana_administrator()).post(
        "/admin/rollout/noticedelivery/", {"action": "resend_failed", "_selected_action": [row.pk]})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.state == DeliveryState.PENDING


@pytest.mark.django_db(transaction=True)
def test_send_reminder_now_while_the_broker_is_down_queues_the_rows_and_answers(unreachable_broker):
    from django.urls import reverse

    court = montana_court()
    GoLiveFactory(court=court, go_live_date=dt.date(2021, 9, 27), status=GoLiveStatus.LIVE)
    account = filer_at(court)
    response = logged_in(montana_administrator()).post(
        reverse("admin:accounts_cmecfaccount_changelist"),
        {"action": "send_reminder_now", "index": "0", "_selected_action": [account.pk]})
    assert response.status_code == 302
    assert NoticeDelivery.objects.get(filer=account.filer).state == DeliveryState.PENDING


@pytest.mark.django_db(transaction=True)
def test_a_date_change_while_the_broker_is_down_is_saved_and_its_notices_wait(unreachable_broker):
    from django.urls import reverse

    court = montana_court()
    golive = GoLiveFactory(court=court, go_live_date=dt.date(2027, 3, 1), status=GoLiveStatus.SCHEDULED)
    told = filer_at(court)
    NoticeDelivery.objects.create(filer=told.filer, court=court, golive=golive, kind="prepare", notice="prepare",
                                  state=DeliveryState.SENT)
    response = logged_in(montana_administrator()).post(reverse("admin:courts_golive_changelist"), {
        "action": "set_golive_date", "index": "0", "_selected_action": [golive.pk], "apply": "1",
        "go_live_date": "2027-04-05", "reason": "Training"})
    assert response.status_code == 302
    golive.refresh_from_db()
    assert golive.go_live_date == dt.date(2027, 4, 5)
    assert NoticeDelivery.objects.get(filer=told.filer, kind="date_changed").state == DeliveryState.PENDING


@pytest.mark.django_db
def test_the_delivery_list_filters_by_rollout(client):
    from courts.models import Rollout
    from rollout.notices.models import NoticeDelivery
    from tests.factories import GoLiveFactory, filer_at, montana_court, superuser

    court = montana_court()
    earlier = GoLiveFactory(court=court)
    account = filer_at(court)
    NoticeDelivery.objects.create(filer=account.filer, court=court, golive=earlier, kind="prepare", notice="prepare")
    Rollout.objects.update(is_current=False)
    later_rollout = Rollout.objects.create(slug="nextgen-2", name="Release 2", is_current=True)
    later = GoLiveFactory(court=court, rollout=later_rollout)
    kept = NoticeDelivery.objects.create(filer=account.filer, court=court, golive=later, kind="prepare", notice="prepare")
    client.force_login(superuser())
    response = client.get("/admin/rollout/noticedelivery/", {"golive__rollout__id__exact": later_rollout.id})
    assert [row.id for row in response.context["cl"].result_list] == [kept.id]
