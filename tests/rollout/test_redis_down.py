"""With Redis down — the cache and the broker at a loopback port nothing listens on — no page and no
admin action answers 500. Generated from the URL resolver and the admin registry, so new pages and
actions are covered without editing this file: every page outside the admin (each route's first
filled path) as a court administrator, a superuser and someone not logged in; every admin
changelist; every action of every model admin applied to a real row of a court holding a record of
every court-scoped model. The publish after a change runs on commit, as in production (transactional
tests). Each answers a page, a redirect, a 4xx or a 503 that says what is down.
"""
from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from rollout.notices.models import DeliveryState, NoticeDelivery
from tests.factories import montana_administrator, superuser
from tests.rollout.test_admin_confinement import a_world, b_world, model_admins
from tests.rollout.test_query_strings import fill_route, site_patterns

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(unreachable_cache, unreachable_broker, settings):
    settings.DEBUG = False
    a_world()
    court = b_world()
    NoticeDelivery.objects.filter(court=court).update(state=DeliveryState.FAILED)  # so "Resend" has a row
    return court


def broken(response) -> bool:
    """A 5xx other than the 503 that says what is down (/healthz, the filers' rate-limited requests)."""
    return response.status_code >= 500 and response.status_code != 503


def logged_in(user) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def test_no_page_answers_500_while_redis_is_down(world):
    clients = {"superuser": logged_in(superuser()), "court administrator": logged_in(montana_administrator()),
               "anonymous": logged_in(None)}
    paths = [fill_route(route, pattern)[0] for route, pattern in site_patterns()]
    paths += [reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist") for m, _ in model_admins()]
    failures = [f"{name}: GET {path} → {response.status_code}"
                for path in paths for name, client in clients.items()
                if broken(response := client.get(path))]
    site = [fill_route(route, pattern)[0] for route, pattern in site_patterns()]
    failures += [f"{name}: POST {path} → {response.status_code}"
                 for path in site for name, client in clients.items()
                 if broken(response := client.post(path, {"email": "someone@example.com"}))]
    assert len(paths) > 40
    assert not failures, "\n".join(failures)


def test_no_admin_action_answers_500_while_redis_is_down(world):
    user = superuser()
    client = logged_in(user)
    request = RequestFactory().get("/admin/")
    request.user = user
    failures, tried = [], 0
    for model, model_admin in model_admins():
        pks = [str(pk) for pk in model._default_manager.order_by("-pk").values_list("pk", flat=True)[:1]]
        if not pks:
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for action in model_admin.get_actions(request):
            if action == "delete_selected":
                continue  # Django's own, and it would take the rows the other actions need
            response = client.post(url, {
                "action": action, "_selected_action": pks, "index": "0", "select_across": "0", "apply": "1",
                "post": "yes", "linked_at_0": "2021-10-01", "linked_at_1": "10:00:00", "go_live_date": "2030-01-02",
                "reason": "Redis down",
            })
            tried += 1
            if broken(response):
                failures.append(f"{action} on {model.__name__} → {response.status_code}")
    assert tried > 10
    assert not failures, "\n".join(failures)
