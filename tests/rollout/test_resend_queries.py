"""The admin's "Resend the selected failed deliveries" is set-based: the same queries whatever the number
of rows chosen, the audit trail written in bulk, and the same rows, values and entries as before."""
from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry, Filer
from courts.models import GoLiveStatus
from rollout.notices.models import DeliveryState, NoticeDelivery
from rollout.notices.services import deliveries_resend
from tests.factories import GoLiveFactory, court_admin_user, montana_court, superuser, utah_court

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:rollout_noticedelivery_changelist"


def _failed_deliveries(court, n: int, tag: str, *, last_error: str = "550 no mailbox") -> list[NoticeDelivery]:
    """n failed deliveries of `court`'s go-live notice, each to its own filer (bulk)."""
    golive = court.golives.first() or GoLiveFactory(court=court, go_live_date=dt.date(2021, 9, 27),
                                                     status=GoLiveStatus.LIVE)
    filers = Filer.objects.bulk_create(Filer(name=f"Filer {tag} {i}", email=f"{tag}{i}@example.com") for i in range(n))
    return NoticeDelivery.objects.bulk_create(
        NoticeDelivery(filer=f, court=court, golive=golive, kind="golive", notice="golive", state=DeliveryState.FAILED,
                       last_error=last_error, attempts=3) for f in filers)


def _resend_all(client) -> int:
    """Queries of one "resend" over every delivery the list shows ("select all N matching")."""
    any_pk = NoticeDelivery.objects.order_by("pk").values_list("pk", flat=True).first()
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse(CHANGELIST), {"action": "resend_failed", "select_across": "1", "index": "0",
                                                     ACTION_CHECKBOX_NAME: [any_pk]})
    assert response.status_code == 302
    return len(queries)


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("persona", ["court administrator", "superuser"])
def test_resend_runs_the_same_queries_for_few_and_many_rows(persona):
    court = montana_court()
    user = court_admin_user("mt-clerk", court) if persona == "court administrator" else superuser()
    client = _as(user)
    _failed_deliveries(court, 2, "a")
    _resend_all(client)  # the first request fills the per-process caches (content types, preferences)
    NoticeDelivery.objects.update(state=DeliveryState.FAILED)
    few = _resend_all(client)
    NoticeDelivery.objects.update(state=DeliveryState.FAILED)
    _failed_deliveries(court, 20, "b")
    many = _resend_all(client)
    assert NoticeDelivery.objects.filter(state=DeliveryState.PENDING).count() == 22
    assert many == few


def test_resend_of_a_queryset_leaves_other_states_and_other_courts_alone():
    mt, ut = montana_court(), utah_court()
    (failed,) = _failed_deliveries(mt, 1, "mt")
    (elsewhere,) = _failed_deliveries(ut, 1, "ut")
    sent = NoticeDelivery.objects.create(filer=Filer.objects.create(name="Sent", email="sent@example.com"), court=mt,
                                         golive=failed.golive, kind="golive", notice="golive", state=DeliveryState.SENT)
    count = deliveries_resend(NoticeDelivery.objects.all(), court_admin_user("mt-clerk", mt))
    states = dict(NoticeDelivery.objects.values_list("pk", "state"))
    assert count == 1
    assert states == {failed.pk: DeliveryState.PENDING, elsewhere.pk: DeliveryState.FAILED, sent.pk: DeliveryState.SENT}


def test_resend_starts_every_row_over():
    (row,) = _failed_deliveries(montana_court(), 1, "mt")
    NoticeDelivery.objects.filter(pk=row.pk).update(
        queued_at=timezone.now(), claimed_at=timezone.now(), claimed_by="worker-1",
        next_attempt_at=timezone.now() + dt.timedelta(hours=1))
    deliveries_resend(NoticeDelivery.objects.filter(pk=row.pk), superuser())
    row.refresh_from_db()
    assert (row.state, row.queued_at, row.claimed_at, row.claimed_by, row.attempts, row.next_attempt_at,
            row.last_error) == (DeliveryState.PENDING, None, None, "", 0, None, "")


def test_resend_audits_the_old_state_and_error_of_each_row_as_a_single_write_did():
    court = montana_court()
    user = court_admin_user("mt-clerk", court)
    (row,) = _failed_deliveries(court, 1, "mt", last_error="451 busy")
    deliveries_resend(NoticeDelivery.objects.filter(pk=row.pk), user)
    entries = sorted(AuditEntry.objects.values_list(
        "field", "old_value", "new_value", "user_id", "source", "court_id", "object_id", "object_repr",
        "content_type__model"))
    repr_ = f"golive to filer {row.filer_id} @ court {court.pk}: failed"
    assert entries == [
        ("last_error", "451 busy", "", user.pk, "admin", court.pk, row.pk, repr_, "noticedelivery"),
        ("state", "failed", "pending", user.pk, "admin", court.pk, row.pk, repr_, "noticedelivery"),
    ]


def test_resend_writes_no_entry_for_an_empty_last_error():
    (row,) = _failed_deliveries(montana_court(), 1, "mt", last_error="")
    deliveries_resend(NoticeDelivery.objects.filter(pk=row.pk), superuser())
    assert list(AuditEntry.objects.values_list("field", flat=True)) == ["state"]


def test_resend_still_takes_a_list_of_deliveries():
    rows = _failed_deliveries(montana_court(), 2, "mt")
    assert deliveries_resend(rows, superuser()) == 2
    assert set(NoticeDelivery.objects.values_list("state", flat=True)) == {DeliveryState.PENDING}


def test_resend_tells_the_user_how_many_rows_were_queued():
    court = montana_court()
    _failed_deliveries(court, 3, "mt")
    client = _as(court_admin_user("mt-clerk", court))
    any_pk = NoticeDelivery.objects.values_list("pk", flat=True).first()
    response = client.post(reverse(CHANGELIST), {"action": "resend_failed", "select_across": "1", "index": "0",
                                                 ACTION_CHECKBOX_NAME: [any_pk]}, follow=True)
    assert "3 failed deliveries queued to be sent again." in [str(m) for m in response.context["messages"]]


@pytest.mark.django_db(transaction=True)
def test_a_row_that_stops_being_failed_while_the_resend_waits_for_it_is_left_alone():
    """A sender that holds the row and moves it on first: the resend, once it gets the row, finds it no
    longer failed and neither resends nor audits it."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers: no row lock to wait for")
    (row,) = _failed_deliveries(montana_court(), 1, "mt")
    user = superuser()
    locked = threading.Event()

    def sender():
        try:
            with transaction.atomic():
                NoticeDelivery.objects.select_for_update().get(pk=row.pk)
                locked.set()
                time.sleep(0.5)  # the resend asks for the row meanwhile and waits
                NoticeDelivery.objects.filter(pk=row.pk).update(state=DeliveryState.SENDING)
        finally:
            connections.close_all()

    thread = threading.Thread(target=sender)
    thread.start()
    assert locked.wait(10)
    count = deliveries_resend(NoticeDelivery.objects.filter(pk=row.pk), user)
    thread.join()
    row.refresh_from_db()
    assert (count, row.state, AuditEntry.objects.count()) == (0, DeliveryState.SENDING, 0)
