"""The notice template editor: the shipped defaults listed and previewable without copying them; a new
template starts from the default of the kind chosen (links without script, notice_template.js with it);
the variables shown as a table."""
import datetime as dt
import json
import re

import pytest
from django.test import Client

from rollout.notices.models import NoticeKind, NoticeTemplate
from rollout.notices.rendering import CONTEXT_HELP, default_source
from tests.factories import GoLiveFactory, montana_administrator, montana_court, utah_court

pytestmark = pytest.mark.django_db
LIST, ADD = "/admin/rollout/noticetemplate/", "/admin/rollout/noticetemplate/add/"


@pytest.fixture
def clerk():
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=dt.date(2021, 9, 27))
    client = Client()
    client.force_login(montana_administrator())
    return client


def test_the_list_shows_every_kinds_shipped_default_with_a_preview_link(clerk):
    body = clerk.get(LIST).content.decode()
    section = body[body.index('id="notice-defaults"'):]
    for kind, label in NoticeKind.choices:
        assert label in section
        assert f'href="/admin/rollout/noticetemplate/defaults/{kind}/preview/"' in section
        assert f'href="{ADD}?kind={kind}"' in section


def test_previewing_a_default_renders_it_for_the_users_court_and_copies_nothing(clerk):
    utah_court()
    response = clerk.get(f"{LIST}defaults/reminder/preview/")
    assert response.status_code == 200
    assert response.context["subject"] == "Reminder: link your CM/ECF login at the District of Montana"
    assert not NoticeTemplate.objects.exists()


def test_previewing_an_unknown_kind_is_refused(clerk):
    assert clerk.get(f"{LIST}defaults/nonsense/preview/").status_code == 403


def test_the_add_page_links_each_kind_to_its_default_without_script(clerk):
    body = clerk.get(ADD).content.decode()
    for kind, label in NoticeKind.choices:
        assert f'<a href="{ADD}?kind={kind}">{label}</a>' in body
    form = clerk.get(ADD, {"kind": "reminder"}).context["adminform"].form
    assert form.initial["subject"] == default_source("reminder").subject


def test_the_add_page_carries_each_kinds_default_for_the_kind_switcher(clerk):
    body = clerk.get(ADD).content.decode()
    data = re.search(r'<script id="notice-kind-defaults" type="application/json">(.*?)</script>', body, re.S)
    defaults = json.loads(data.group(1))
    assert {k: v["subject"] for k, v in defaults.items()} == {k: default_source(k).subject for k in NoticeKind.values}
    assert "/static/rollout/notice_template.js" in body


def test_the_variables_are_a_table_not_a_subtitle(clerk):
    response = clerk.get(ADD)
    body = response.content.decode()
    for name in CONTEXT_HELP:
        assert f"<td><code>{name}</code></td>" in body
    assert not response.context.get("subtitle")


@pytest.mark.parametrize("kind", NoticeKind.values)
def test_each_kinds_shipped_default_can_be_saved_as_the_courts_own(clerk, kind):
    """"Start from the shipped default" then Save, unchanged: every part fits its field."""
    source = default_source(kind)
    response = clerk.post(ADD, {"court": montana_court().pk, "kind": kind, "subject": source.subject,
                                "text_body": source.text_body, "html_body": source.html_body})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert NoticeTemplate.objects.get(court=montana_court(), kind=kind).subject == source.subject


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_staff_user_without_the_template_permission_may_neither_preview_nor_send_a_test(method):
    """Assigned to the court but out of the "Court administrators" group (no view permission): the
    preview of the court's own template and its "send a test to me" are refused like the list."""
    from tests.factories import court_admin_user

    court = montana_court()
    GoLiveFactory(court=court, go_live_date=dt.date(2021, 9, 27))
    source = default_source(NoticeKind.REMINDER)
    template = NoticeTemplate.objects.create(court=court, kind=NoticeKind.REMINDER, subject=source.subject,
                                             text_body=source.text_body, html_body=source.html_body)
    user = court_admin_user("no-group", court)
    user.groups.clear()
    client = Client()
    client.force_login(user)
    response = getattr(client, method)(f"{LIST}{template.pk}/preview/")
    assert response.status_code == 403
