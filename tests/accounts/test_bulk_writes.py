"""The bulk account writes behind the admin's "select all N matching" actions."""
import datetime as dt
import threading

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEntry, CmecfAccount, PacerAccount
from accounts.readiness import Readiness, ready_to_link_q
from accounts.selectors import cmecf_accounts_with_readiness
from accounts.services import cmecf_accounts_set_name_review
from courts.selectors import court_ids_live
from tests.accounts.admin_helpers import bulk_ready_accounts, live, montana_court
from tests.factories import filer_at, superuser, utah_court

URL = "admin:accounts_cmecfaccount_changelist"


def post_all(client, court, action, **extra):
    return client.post(f"{reverse(URL)}?court={court.pk}", {
        "action": action, "select_across": "1", "index": "0",
        "_selected_action": [CmecfAccount.objects.filter(court=court).values_list("pk", flat=True).first()], **extra})


@pytest.mark.django_db
@pytest.mark.parametrize("action,extra", [
    ("flag_name_mismatch", {}),
    ("clear_name_flag", {}),
    ("mark_linked", {"apply": "1", "linked_at_0": "2021-10-01", "linked_at_1": "10:00"}),
    ("send_reminder_now", {}),
])
def test_an_action_on_all_matching_takes_the_same_queries_for_5_and_60_accounts(client, action, extra):
    client.force_login(superuser())
    small, big = live(montana_court()), live(utah_court())
    bulk_ready_accounts(small, 5, "mt")
    bulk_ready_accounts(big, 60, "ut")
    CmecfAccount.objects.update(name_review="flagged" if action == "clear_name_flag" else "")
    # Warm up what every first request reads once per process or session (content types, user).
    ContentType.objects.get_for_model(CmecfAccount)
    client.get(reverse(URL))
    counts = []
    for court in (small, big):
        with CaptureQueriesContext(connection) as captured:
            response = post_all(client, court, action, **extra)
        assert response.status_code == 302
        counts.append(len(captured))
    assert counts[0] == counts[1]
    if action != "send_reminder_now":
        assert AuditEntry.objects.filter(court=big).count() == 60


@pytest.mark.django_db
def test_flag_records_each_rows_own_old_value():
    court = live(montana_court())
    bulk_ready_accounts(court, 6, "mt")
    CmecfAccount.objects.filter(login__in=["mt0", "mt1"]).update(name_review="verified")
    CmecfAccount.objects.filter(login="mt2").update(name_review="flagged")
    result = cmecf_accounts_set_name_review(CmecfAccount.objects.all(), "flagged", by=superuser())
    assert (result.changed, result.skipped) == (5, {"unchanged": 1})
    trail = dict(AuditEntry.objects.values_list("object_repr", "old_value"))
    assert trail == {"mt0 @ MTDC": "verified", "mt1 @ MTDC": "verified", "mt3 @ MTDC": "", "mt4 @ MTDC": "",
                     "mt5 @ MTDC": ""}
    assert set(AuditEntry.objects.values_list("new_value", "court_id", "field")) == {("flagged", court.pk, "name_review")}


@pytest.mark.django_db
def test_ready_to_link_condition_selects_exactly_the_ready_accounts():
    court, waiting_court = live(montana_court()), utah_court()
    for state in ("ready", "legacy", "shared", "no_pacer", "name_mismatch"):
        filer_at(court, state=state)
        filer_at(waiting_court, state=state)
    flagged, verified, upgraded, linked = (filer_at(court) for _ in range(4))
    CmecfAccount.objects.filter(pk=flagged.pk).update(name_review="flagged")
    CmecfAccount.objects.filter(pk=verified.pk).update(name_review="verified", cmecf_name="Other", name_key="OTHER")
    PacerAccount.objects.filter(filers__cmecf_accounts=upgraded).update(created_on=dt.date(2010, 1, 1), upgraded=True)
    PacerAccount.objects.filter(filers__cmecf_accounts=filer_at(court)).update(created_on=None)  # unknown date: legacy
    CmecfAccount.objects.filter(pk=linked.pk).update(linked_at=dt.datetime(2021, 10, 1, tzinfo=dt.timezone.utc))
    live_ids = court_ids_live()
    by_case = set(cmecf_accounts_with_readiness(live_court_ids=live_ids).filter(readiness=Readiness.READY)
                  .values_list("pk", flat=True))
    assert set(CmecfAccount.objects.filter(ready_to_link_q(live_ids)).values_list("pk", flat=True)) == by_case
    assert len(by_case) == 3  # the ready one, the verified mismatch, the upgraded legacy account


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="row locks: PostgreSQL")
def test_a_change_made_while_the_action_waits_is_the_old_value_in_the_trail():
    """Another session changes an account and holds its row; the bulk flag waits for it, then
    records the value it really replaced (not the one it read before the lock)."""
    court = live(montana_court())
    bulk_ready_accounts(court, 3, "mt")
    account = CmecfAccount.objects.get(login="mt1")
    user = superuser()
    holding, done = threading.Event(), threading.Event()

    def concurrent_change():
        other = connections.create_connection("default")
        other.set_autocommit(False)
        with other.cursor() as cursor:
            cursor.execute("UPDATE accounts_cmecfaccount SET name_review = 'verified' WHERE id = %s", [account.pk])
            holding.set()
            # Commit only once the bulk write waits on this row's lock.
            for _ in range(600):
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                               "AND datname = current_database()")
                if cursor.fetchone()[0]:
                    break
                threading.Event().wait(0.05)
        other.commit()
        other.close()
        done.set()

    thread = threading.Thread(target=concurrent_change)
    thread.start()
    holding.wait(30)
    result = cmecf_accounts_set_name_review(CmecfAccount.objects.filter(court=court), "flagged", by=user)
    thread.join(30)
    assert done.is_set() and result.changed == 3
    assert AuditEntry.objects.get(object_id=account.pk).old_value == "verified"
    assert set(CmecfAccount.objects.values_list("name_review", flat=True)) == {"flagged"}
