"""The big lists (CM/ECF accounts, filers, PACER accounts, notice deliveries, the audit trail) count at most a fixed number of
rows per page load, never the whole (scoped) table, and say so honestly when there are more."""
from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEntry, CmecfAccount, Filer, PacerAccount
from courts.models import GoLiveStatus
from rollout.notices.models import NoticeDelivery
from tests.accounts.admin_helpers import bulk_ready_accounts
from tests.factories import GoLiveFactory, court_admin_user, montana_court, superuser

pytestmark = pytest.mark.django_db
MODELS = [CmecfAccount, Filer, PacerAccount, NoticeDelivery, AuditEntry]


def _rows(model, court, n: int, tag: str) -> None:
    """n rows of `model` at `court` (bulk)."""
    if model in (CmecfAccount, Filer, PacerAccount):
        bulk_ready_accounts(court, n, tag)  # a filer and their PACER account per CM/ECF account
    elif model is NoticeDelivery:
        golive = court.golives.first() or GoLiveFactory(court=court, go_live_date=dt.date(2021, 9, 27),
                                                         status=GoLiveStatus.LIVE)
        filers = Filer.objects.bulk_create(Filer(name=f"F {tag}{i}", email=f"{tag}{i}@example.com") for i in range(n))
        NoticeDelivery.objects.bulk_create(NoticeDelivery(filer=f, court=court, golive=golive, kind="golive",
                                                          notice="golive") for f in filers)
    else:
        from django.contrib.contenttypes.models import ContentType

        content_type = ContentType.objects.get_for_model(CmecfAccount)
        AuditEntry.objects.bulk_create(AuditEntry(court=court, content_type=content_type, object_id=i, field="linked_at",
                                                  object_repr=f"{tag}{i}") for i in range(n))


def _changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def _user(persona: str, court):
    return court_admin_user("mt-clerk", court) if persona == "court administrator" else superuser()


def _cap(monkeypatch, rows: int) -> None:
    """Count at most `rows` rows (the shared paginator's limit)."""
    monkeypatch.setattr("courts.admin.scope.CappedCountPaginator.count_cap", rows)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("persona", ["court administrator", "superuser"])
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.model_name)
def test_the_list_counts_its_rows_up_to_a_limit_only(model, persona):
    court = montana_court()
    _rows(model, court, 3, "a")
    with CaptureQueriesContext(connection) as queries:
        response = _client(_user(persona, court)).get(_changelist(model))
    assert response.status_code == 200
    table = connection.ops.quote_name(model._meta.db_table)
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"] and table in q["sql"]]
    assert counts and all("LIMIT" in sql for sql in counts), counts


@pytest.mark.parametrize("persona", ["court administrator", "superuser"])
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.model_name)
def test_a_list_longer_than_the_limit_says_there_are_more(model, persona, monkeypatch):
    _cap(monkeypatch, 3)
    court = montana_court()
    _rows(model, court, 5, "a")
    response = _client(_user(persona, court)).get(_changelist(model))
    plural = model._meta.verbose_name_plural
    assert response.context["cl"].result_count == 3
    assert f"More than 3 {plural} match" in response.content.decode()


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.model_name)
def test_a_list_within_the_limit_shows_its_exact_count_and_no_note(model, monkeypatch):
    _cap(monkeypatch, 3)
    court = montana_court()
    _rows(model, court, 3, "a")
    response = _client(_user("court administrator", court)).get(_changelist(model))
    assert response.context["cl"].result_count == 3
    assert "More than" not in response.content.decode()


def test_the_pages_stop_at_the_limit(monkeypatch):
    _cap(monkeypatch, 4)
    model_admin = admin.site._registry[NoticeDelivery]
    monkeypatch.setattr(model_admin, "list_per_page", 2)
    court = montana_court()
    _rows(NoticeDelivery, court, 7, "a")
    client = _client(_user("court administrator", court))
    last = client.get(_changelist(NoticeDelivery), {"p": 2})
    assert last.context["cl"].paginator.num_pages == 2
    assert len(last.context["cl"].result_list) == 2
    assert client.get(_changelist(NoticeDelivery), {"p": 3}).status_code == 302  # Django's "no such page"


def test_select_all_still_acts_on_every_matching_row(monkeypatch):
    _cap(monkeypatch, 3)
    court = montana_court()
    _rows(NoticeDelivery, court, 5, "a")
    NoticeDelivery.objects.update(state="failed")
    client = _client(_user("court administrator", court))
    any_pk = NoticeDelivery.objects.values_list("pk", flat=True).first()
    client.post(_changelist(NoticeDelivery), {"action": "resend_failed", "select_across": "1", "index": "0",
                                              "_selected_action": [any_pk]})
    assert NoticeDelivery.objects.filter(state="pending").count() == 5
