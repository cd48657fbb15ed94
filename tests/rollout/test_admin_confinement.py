"""Generated from the admin registry: court A's administrator, with court B's records and ids, on every
URL every registered model admin serves (changelist with filters, add, change, delete, history,
custom views, every action, every autocomplete source) — sees none of B and changes nothing.

Court B's records all carry the marker "zzutah" in their text; a page that shows any of them shows
the marker. A new model admin is covered without editing this file: if it is court-scoped, the test
asks for court B's rows of its model (`b_world` must make one); if it is not, court A's
administrator must not be able to change it.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import models
from django.urls import NoReverseMatch, reverse

from courts.admin.scope import CourtScope
from accounts.counts import court_counts_refresh
from accounts.models import CourtAdministrator, NameReview
from accounts.models import HelpReason
from accounts.self_service import help_request_create
from accounts.services import cmecf_account_set_name_review
from courts.models import Court, GoLiveStatus, Rollout, SoftwareVersionChange
from courts.services import golive_schedule
from rollout.notices.models import AdminDigest, BouncedAddress, NoticeDelivery, NoticeKind, NoticeTemplate
from tests.factories import (
    CmecfAccountFactory, FilerFactory, GoLiveFactory, PacerAccountFactory, court_admin_user, montana_court,
)

pytestmark = pytest.mark.django_db

MARKER = "zzutah"
# Models that are not court data: court A's administrator may read them.
GLOBAL_MODELS = {Rollout}
# What a page may answer to another court's id: refused, missing, or sent elsewhere.
REFUSED = {302, 400, 403, 404, 405}


def b_world():
    """Court B ("Zzutah") with one row of every court-scoped model, each carrying the marker."""
    court = Court.objects.create(court_id="ZZUT", cmecf_code="zzutd", name="Zzutah Secret District",
                                 state="Zzutah", circuit="10", time_zone="America/Denver",
                                 login_url="https://ecf.zzutd.uscourts.gov")
    b_admin = court_admin_user("zzutah-admin", court)
    golive = GoLiveFactory(court=court, go_live_date=dt.date(2021, 2, 1), status=GoLiveStatus.LIVE)
    golive_schedule(golive, dt.date(2021, 3, 1), by=b_admin, reason="zzutah move")
    SoftwareVersionChange.objects.create(court=court, seen_on=dt.date(2023, 1, 10), old_version="zzutah 1.6",
                                         new_version="zzutah 1.7")
    pacer = PacerAccountFactory(username="zzutah-pacer", holder_name="Zzutah Holder")
    filer = FilerFactory(name="Zzutah Filer", email="zzutah.filer@example.com", pacer_account=pacer)
    account = CmecfAccountFactory(filer=filer, court=court, login="zzutahlogin", cmecf_name="Zzutah Filer")
    cmecf_account_set_name_review(account, NameReview.FLAGGED, by=b_admin)
    help_request_create(filer, account.pk, HelpReason.OTHER, "zzutah needs help")
    NoticeTemplate.objects.create(court=court, kind=NoticeKind.REMINDER, subject="Zzutah reminder",
                                  text_body="zzutah text", html_body="<p>zzutah</p>")
    delivery = NoticeDelivery.objects.create(filer=filer, court=court, golive=golive, kind=NoticeKind.GOLIVE,
                                             notice="golive-zzutah", last_error="zzutah error")
    BouncedAddress.objects.create(email=filer.email, soft_bounces=1, last_bounce_at=dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc),
                                  last_delivery=delivery, diagnostic="zzutah mailbox full")
    # B's administrator's digest: another administrator's, whatever courts it lists.
    AdminDigest.objects.create(user=b_admin, week=dt.date(2026, 11, 23), state="failed", possible_duplicate=True,
                               last_error="550 zzutah mailbox unknown")
    court_counts_refresh([court.pk])
    return court


def a_world():
    """Court A (Montana) with its own filer, and its administrator."""
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=dt.date(2021, 9, 27), status=GoLiveStatus.LIVE)
    CmecfAccountFactory(court=court, login="mtlogin", filer=FilerFactory(name="Montana Filer", email="mt.filer@example.com"))
    court_counts_refresh([court.pk])
    return court_admin_user("a-admin", court)


def rows_by_model() -> dict:
    """{model: {pk: values}} for every model that holds data (sessions aside)."""
    snapshot = {}
    for model in apps.get_models():
        if model._meta.app_label in ("sessions",):
            continue
        snapshot[model] = {row["pk"]: row for row in model.objects.values("pk", *[
            f.attname for f in model._meta.concrete_fields if f.attname != "id"
        ])}
    return snapshot


def model_admins():
    return [(model, admin.site.get_model_admin(model)) for model in apps.get_models() if admin.site.is_registered(model)]


@pytest.fixture
def world(client):
    user = a_world()
    before = rows_by_model()
    court_b = b_world()
    after = rows_by_model()
    b_rows = {model: [pk for pk in rows if pk not in before.get(model, {})] for model, rows in after.items()}
    client.force_login(user)
    return {"client": client, "user": user, "court_b": court_b, "b_rows": b_rows}


def url_patterns(model_admin):
    """(name, argument names) of every named URL this model admin serves."""
    for pattern in model_admin.get_urls():
        if pattern.name:
            yield pattern.name, list(re.findall(r"<(?:\w+:)?(\w+)>", str(pattern.pattern)))


def posted_values(obj) -> dict:
    """A form post built from `obj`: its keys as ids (court B's), its text replaced (so any marker in
    a response came from the database, not from the post)."""
    data = {}
    for field in obj._meta.concrete_fields:
        if field.primary_key:
            continue
        value = getattr(obj, field.attname)
        if isinstance(field, models.ForeignKey):
            data[field.name] = "" if value is None else str(value)
        elif isinstance(value, bool):
            if value:
                data[field.name] = "on"
        elif isinstance(value, (dt.datetime,)):
            data[f"{field.name}_0"], data[f"{field.name}_1"] = value.date().isoformat(), "12:00:00"
            data[field.name] = value.date().isoformat()
        elif isinstance(value, dt.date):
            data[field.name] = value.isoformat()
        elif isinstance(value, str):
            data[field.name] = re.sub(MARKER, "posted", value, flags=re.I)
        elif value is not None and not isinstance(value, (list, dict)):
            data[field.name] = str(value)
    return data


def assert_confined(response, what: str) -> None:
    assert response.status_code != 500, what
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert MARKER not in body.decode(errors="replace").lower(), f"{what}: court B's record shown"
    assert MARKER not in response.get("Location", "").lower(), f"{what}: court B's record in a redirect"


def test_every_model_admin_is_scoped_or_closed_to_a_court_administrator(world, rf):
    request = rf.get("/admin/")
    request.user = world["user"]
    for model, model_admin in model_admins():
        if isinstance(model_admin, CourtScope):
            assert world["b_rows"].get(model), f"b_world() makes no {model.__name__} of court B: add one"
        else:
            assert not (model_admin.has_add_permission(request) or model_admin.has_change_permission(request)
                        or model_admin.has_delete_permission(request)), f"{model.__name__} is writable unscoped"
            if model not in GLOBAL_MODELS:
                assert not model_admin.has_view_permission(request), f"{model.__name__} is readable unscoped"


def court_keys(model) -> set[str]:
    return {f.name for f in model._meta.concrete_fields if isinstance(f, models.ForeignKey) and f.related_model is Court}


def references_b(model, row: dict, b_rows: dict) -> bool:
    """Does this row point at one of court B's records?"""
    for field in model._meta.concrete_fields:
        if isinstance(field, models.ForeignKey) and row.get(field.attname) in b_rows.get(field.related_model, ()):
            return True
    return False


def assert_unchanged_but_for_a(before: dict, after: dict, b_rows: dict) -> None:
    """No row changed or deleted; a new row (court A's own, made by a valid post) never points at court B."""
    for model, rows in after.items():
        assert set(before[model]) <= set(rows), f"{model.__name__} rows deleted"
        for pk, row in rows.items():
            if pk in before[model]:
                assert row == before[model][pk], f"{model.__name__} {pk} changed"
            else:
                assert not references_b(model, row, b_rows), f"a new {model.__name__} points at court B: {row}"


def test_no_admin_url_shows_or_changes_another_courts_records(world):
    client, b_rows, court_a = world["client"], world["b_rows"], montana_court()
    before = rows_by_model()
    tried = 0
    for model, model_admin in model_admins():
        objects = list(model.objects.filter(pk__in=b_rows.get(model, [])))
        for name, arguments in url_patterns(model_admin):
            targets = objects if arguments else [None]
            for obj in targets:
                try:
                    url = reverse(f"admin:{name}", kwargs={a: obj.pk for a in arguments})
                except NoReverseMatch:
                    continue
                what = f"{name} {url}"
                get = client.get(url)
                assert_confined(get, f"GET {what}")
                if obj is not None:
                    assert get.status_code in REFUSED, f"GET {what} answered {get.status_code}"
                # A post built from court B's record (its ids), to the add page, its own change,
                # delete and custom pages: refused or invalid, never saved.
                source = obj or (objects[0] if objects else None)
                data = posted_values(source) if source is not None else {}
                assert_confined(client.post(url, {**data, "post": "yes", "apply": "1"}), f"POST {what}")
                tried += 1
                if obj is None and source is not None:
                    # The same post at court A's court: court B's filers, PACER accounts, go-lives …
                    # must still be refused as choices (e.g. a Montana account for a Utah-only filer).
                    mixed = {k: (court_a.pk if k in court_keys(model) else v) for k, v in data.items()}
                    assert_confined(client.post(url, {**mixed, "post": "yes", "apply": "1"}), f"POST {what} at A")
    assert_unchanged_but_for_a(before, rows_by_model(), b_rows)
    assert tried > 50


def test_no_action_reaches_another_courts_records(world):
    client, b_rows, user = world["client"], world["b_rows"], world["user"]
    before = rows_by_model()
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    for model, model_admin in model_admins():
        pks = b_rows.get(model)
        if not pks or not model_admin.has_view_permission(request):
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for action in model_admin.get_actions(request):
            response = client.post(url, {
                "action": action, "_selected_action": [str(pk) for pk in pks], "index": "0", "select_across": "0",
                "apply": "1", "post": "yes", "linked_at_0": "2021-10-01", "linked_at_1": "10:00:00",
                "go_live_date": "2030-01-02",
            })
            assert_confined(response, f"action {action} on {model.__name__}")
    assert rows_by_model() == before


def test_no_list_filter_search_or_initial_value_reveals_another_courts_records(world):
    client, b_rows, court_b = world["client"], world["b_rows"], world["court_b"]
    for model, model_admin in model_admins():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        queries = [{"q": "zzut"}, {"court": court_b.pk}, {"court__id__exact": court_b.pk}, {"court_id": court_b.pk}]
        for field in model._meta.concrete_fields:
            if isinstance(field, models.ForeignKey):
                for pk in b_rows.get(field.related_model, []):
                    queries += [{f"{field.name}__id__exact": pk}, {field.name: pk}, {f"{field.name}_id": pk}]
        add = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
        for query in queries:
            assert_confined(client.get(url, query), f"{url}?{query}")
            assert_confined(client.get(add, query), f"{add}?{query}")  # initial values of the add form


def test_no_autocomplete_answers_with_another_courts_records(world):
    client = world["client"]
    tried = 0
    for model, model_admin in model_admins():
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.ForeignKey) or not admin.site.is_registered(field.related_model):
                continue
            for term in ("", "zzut", "z"):
                response = client.get(reverse("admin:autocomplete"), {
                    "app_label": model._meta.app_label, "model_name": model._meta.model_name,
                    "field_name": field.name, "term": term,
                })
                assert_confined(response, f"autocomplete {model.__name__}.{field.name} {term!r}")
                tried += 1
    assert tried > 10


def test_a_filer_also_at_another_court_is_read_only_with_the_reason(world):
    client, court_b = world["client"], world["court_b"]
    from accounts.models import Filer

    shared = Filer.objects.get(email="mt.filer@example.com")
    CmecfAccountFactory(court=court_b, login="sharedlogin", filer=shared, cmecf_name=shared.name)
    url = reverse("admin:accounts_filer_change", args=[shared.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "also at courts you do not administer" in page.content.decode() and "ZZUT" not in page.content.decode()
    assert 'name="name"' not in page.content.decode()
    client.post(url, {"name": "Renamed", "email": "renamed@example.com"})
    shared.refresh_from_db()
    assert (shared.name, shared.email) == ("Montana Filer", "mt.filer@example.com")


def test_a_court_administrator_cannot_grant_themselves_a_court(world):
    client, court_b, user = world["client"], world["court_b"], world["user"]
    client.post(reverse("admin:accounts_courtadministrator_add"), {"user": user.pk, "court": court_b.pk})
    assert not CourtAdministrator.objects.filter(user=user, court=court_b).exists()
    assert Group.objects.filter(name="Court administrators").exists()
