"""No junk parameter makes any admin page answer 500: generated from the admin registry.

For every model admin of the tracker's own: its changelist with junk in each of its filter, lookup, search,
order and page parameters (the names found in the changelist's own links, each foreign key's and
date hierarchy's lookups, and the usual admin ones), each action posted with junk `_selected_action`
values, and the autocomplete of each of its foreign keys (the last two for every registered model admin) with junk terms; as a superuser and as a
court administrator, with DEBUG off. Each answers a page, a redirect, 400, 403 or 404.
"""
from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import models
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.counts import court_counts_refresh
from tests.factories import court_with_accounts, montana_administrator, montana_court, superuser, utah_court

pytestmark = pytest.mark.django_db

# One value per way a parameter can be wrong: not a number, a number no column holds, a NUL byte
# (PostgreSQL refuses it in text), an impossible date.
JUNK = ["abc", "9" * 40, "1\x00", "2026-02-30"]
TERMS = ["\x00", "%00", "%", "\\", "9" * 40, "x" * 2000]
SELECTED = [["abc"], ["1\x00"], ["9" * 40], ["-1"], [""]]
ADMIN_PARAMETERS = {"q", "o", "p", "e", "all", "_to_field", "_popup", "_changelist_filters"}


class _LinkKeys(HTMLParser):
    def __init__(self):
        super().__init__()
        self.keys: set[str] = set()

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href") or ""
        if tag == "a" and href.startswith("?"):
            self.keys.update(k for k, _ in parse_qsl(urlsplit(href).query, keep_blank_values=True))


def model_admins():
    return [(m, admin.site.get_model_admin(m)) for m in apps.get_models() if admin.site.is_registered(m)]


OUR_APPS = ("courts", "accounts", "rollout")


def our_model_admins():
    """The model admins whose class is the tracker's own (django.contrib.auth's and django-allauth's
    are maintained libraries, tested by their authors; their actions and autocompletes are still
    tried below)."""
    return [(m, a) for m, a in model_admins() if type(a).__module__.split(".")[0] in OUR_APPS]


def parameter_names(client, model, model_admin) -> set[str]:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    parser = _LinkKeys()
    parser.feed(client.get(url).content.decode(errors="replace"))
    names = set(ADMIN_PARAMETERS) | parser.keys
    for field in model._meta.concrete_fields:
        if isinstance(field, models.ForeignKey):
            names |= {field.name, field.attname, f"{field.name}__id__exact", f"{field.name}__exact",
                      f"{field.name}__isnull"}
        if isinstance(field, (models.DateField, models.DateTimeField)):
            names |= {f"{field.name}__year", f"{field.name}__month", f"{field.name}__day", f"{field.name}__gte",
                      f"{field.name}__lt"}
    if model_admin.date_hierarchy:
        names |= {f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")}
    return names


@pytest.fixture
def clients():
    court_with_accounts(montana_court(), live_on=dt.date(2021, 9, 27), per_state=1)
    court_with_accounts(utah_court(), live_on=None)
    court_counts_refresh()
    out = {}
    for name, user in (("superuser", superuser()), ("court administrator", montana_administrator())):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        out[name] = (client, user)
    return out


def ok(response) -> bool:
    return response.status_code < 500


@pytest.mark.parametrize("model", [model for model, _ in our_model_admins()], ids=lambda m: m._meta.label)
@pytest.mark.parametrize("persona", ["superuser", "court administrator"])
def test_no_changelist_answers_500_to_junk_parameters(clients, persona, model, settings):
    settings.DEBUG = False
    seer = clients["superuser"][0]
    client = clients[persona][0]
    model_admin = admin.site.get_model_admin(model)
    failures, tried = [], 0
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    for name in sorted(parameter_names(seer, model, model_admin)):
        for value in JUNK:
            response = client.get(url, QUERY_STRING=f"{quote(name)}={quote(value, safe='')}")
            tried += 1
            if not ok(response):
                failures.append(f"{url}?{name}={value[:30]!r} → {response.status_code}")
    assert tried >= len(ADMIN_PARAMETERS) * len(JUNK)
    assert not failures, f"{len(failures)} of {tried}:\n" + "\n".join(failures[:40])


@pytest.mark.parametrize("persona", ["superuser", "court administrator"])
def test_no_action_answers_500_to_junk_selected_rows(clients, persona, settings):
    settings.DEBUG = False
    client, user = clients[persona]
    request = RequestFactory().get("/admin/")
    request.user = user
    failures, tried = [], 0
    for model, model_admin in model_admins():
        if not model_admin.has_view_permission(request):
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for action in model_admin.get_actions(request):
            for selected in SELECTED:
                response = client.post(url, {"action": action, "_selected_action": selected, "index": "0",
                                             "select_across": "0", "post": "yes"})
                tried += 1
                if not ok(response):
                    failures.append(f"{action} on {model.__name__} with {selected!r} → {response.status_code}")
    assert tried > 20
    assert not failures, f"{len(failures)} of {tried}:\n" + "\n".join(failures[:40])


@pytest.mark.parametrize("persona", ["superuser", "court administrator"])
def test_no_autocomplete_answers_500_to_junk_terms(clients, persona, settings):
    settings.DEBUG = False
    client = clients[persona][0]
    failures, tried = [], 0
    for model, _ in model_admins():
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.ForeignKey) or not admin.site.is_registered(field.related_model):
                continue
            for term in TERMS:
                response = client.get(reverse("admin:autocomplete"), {
                    "app_label": model._meta.app_label, "model_name": model._meta.model_name,
                    "field_name": field.name, "term": term})
                tried += 1
                if not ok(response):
                    failures.append(f"{model.__name__}.{field.name} term={term[:20]!r} → {response.status_code}")
    assert tried > 20
    assert not failures, f"{len(failures)} of {tried}:\n" + "\n".join(failures[:40])


@pytest.mark.parametrize("persona", ["superuser", "court administrator"])
def test_no_autocomplete_answers_500_to_a_field_that_is_not_a_forward_relation(clients, persona, settings):
    """Every field of every registered model named as the autocomplete's field, reverse relations
    (`filer.cmecf_accounts`) and plain columns included: Django reads a reverse relation as a
    foreign key and fails on it."""
    settings.DEBUG = False
    client = clients[persona][0]
    failures, tried = [], 0
    for model, _ in model_admins():
        for field in model._meta.get_fields():
            if field.is_relation and not field.auto_created:
                continue  # a forward relation: the junk-terms test above
            response = client.get(reverse("admin:autocomplete"), {
                "app_label": model._meta.app_label, "model_name": model._meta.model_name,
                "field_name": field.name, "term": "a"})
            tried += 1
            if not ok(response):
                failures.append(f"{model.__name__}.{field.name} → {response.status_code}")
    assert tried > 20
    assert not failures, f"{len(failures)} of {tried}:\n" + "\n".join(failures[:40])
