"""Notice templates that cannot hurt a campaign: an allow-list of tags and filters, caps on loop work
and output size, refused at save unless they render for every readiness state; a template that still
fails at send time fails only its own messages and shows on the court page; the admin preview shows
the rendered email (escaped into the iframe's srcdoc)."""
import datetime as dt
from html.parser import HTMLParser

import pytest
from django.test import Client

from courts.models import GoLiveStatus
from rollout.notices.dispatch import notices_dispatch
from rollout.notices.models import DeliveryState, NoticeDelivery, NoticeTemplate
from rollout.notices.rendering import default_source
from rollout.notices.sending import deliveries_send
from tests.factories import GoLiveFactory, filer_at, montana_administrator, montana_court, utah_court

pytestmark = pytest.mark.django_db

LOOP_BOMB = ("{% for a in court_name %}{% for b in court_name %}{% for c in court_name %}{% for d in court_name %}"
             "x{% endfor %}{% endfor %}{% endfor %}{% endfor %}")
# Within the parsed limits (two loops deep, over context values) but over the loop budget when rendered.
LOOP_WORK = "{% for a in help_desk_name %}{% for b in help_desk_name %}x{% endfor %}{% endfor %}"
REFUSED_SOURCES = {
    "include": '{% include "notices/golive/body.txt" %}',
    "extends": '{% extends "admin/base.html" %}',
    "load": "{% load humanize %}",
    "debug": "{% debug %}",
    "center": '{{ filer_name|center:"2000000" }}',
    "ljust": '{{ filer_name|ljust:"2000000" }}',
    "rjust": '{{ filer_name|rjust:"2000000" }}',
    "stringformat": '{{ filer_name|stringformat:"2000000s" }}',
    "with": "{% with a=filer_name %}{{ a }}{% endwith %}",
    "filter chain": "{{ filer_name|upper|lower|upper|lower }}",
    "loop work": LOOP_BOMB,
    "output size": "x" * 150_000,
    "only for legacy": "{% if is_legacy %}" + LOOP_WORK + "{% endif %}",
}


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def save_template(client, court, text_body: str):
    source = default_source("golive")
    return client.post("/admin/rollout/noticetemplate/add/", {
        "court": court.pk, "kind": "golive", "subject": source.subject, "text_body": text_body,
        "html_body": source.html_body,
    })


@pytest.mark.parametrize("name", list(REFUSED_SOURCES))
def test_a_template_that_could_hurt_a_campaign_is_refused_at_save(name):
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=dt.date(2021, 9, 27))
    response = save_template(logged_in(montana_administrator()), court, REFUSED_SOURCES[name])
    assert response.status_code == 200  # the form again, with the reason
    assert response.context["adminform"].form.errors
    assert not NoticeTemplate.objects.exists()


def test_the_refusal_names_the_readiness_state_it_fails_for():
    court = montana_court()
    response = save_template(logged_in(montana_administrator()), court, REFUSED_SOURCES["only for legacy"])
    errors = " ".join(response.context["adminform"].form.non_field_errors())
    assert "'legacy'" in errors and "'ready'" not in errors


def test_a_template_within_the_limits_is_saved():
    court = montana_court()
    response = save_template(logged_in(montana_administrator()), court,
                             "Dear {{ filer_name|title }},{% for c in court_code %} {{ c }}{% endfor %}")
    assert response.status_code == 302
    assert NoticeTemplate.objects.filter(court=court).exists()


def test_a_template_failing_at_send_time_fails_only_its_own_messages_and_shows_on_the_court_page(smtp_sink):
    montana, utah = montana_court(), utah_court()
    day = dt.date(2021, 9, 27)
    for court in (montana, utah):
        GoLiveFactory(court=court, go_live_date=day, status=GoLiveStatus.SCHEDULED)
        filer_at(court)
        filer_at(court)
    source = default_source("golive")  # saved around the form's checks, as an old template would be
    NoticeTemplate.objects.create(court=montana, kind="golive", subject=source.subject, text_body=LOOP_WORK,
                                  html_body=source.html_body)
    notices_dispatch(montana.local_midnight(day) + dt.timedelta(hours=9))
    deliveries_send(list(NoticeDelivery.objects.values_list("id", flat=True)), claimed_by="test")
    assert set(NoticeDelivery.objects.filter(court=montana).values_list("state", flat=True)) == {DeliveryState.FAILED}
    assert set(NoticeDelivery.objects.filter(court=utah).values_list("state", flat=True)) == {DeliveryState.SENT}
    assert len(smtp_sink.messages) == 2
    page = logged_in(montana_administrator()).get("/courts/mtdc/").content.decode()
    assert "Template error" in page and "loops more than" in page


class _Src(HTMLParser):
    attrs: dict = {}

    def handle_starttag(self, tag, attrs):
        if tag == "iframe":
            self.attrs = dict(attrs)


def test_the_admin_preview_shows_the_rendered_email_in_the_iframe():
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=dt.date(2021, 9, 27))
    source = default_source("golive")
    template = NoticeTemplate.objects.create(court=court, kind="golive", subject=source.subject,
                                             text_body=source.text_body, html_body=source.html_body)
    client = logged_in(montana_administrator())
    url = f"/admin/rollout/noticetemplate/{template.pk}/preview/"
    parser = _Src()
    parser.feed(client.get(url, {"readiness": "legacy"}).content.decode())
    # A sandboxed frame showing the HTML part for the readiness chosen …
    assert parser.attrs["sandbox"] == "" and parser.attrs["src"] == "?readiness=legacy&part=html"
    document = client.get(url, {"readiness": "legacy", "part": "html"})
    html = document.content.decode()
    assert html.rstrip().endswith("</html>") and "How to link" in html and "legacy account" in html
    # … with what filers typed still escaped, and a policy that lets only the email's inline style in.
    assert "Jane Q. &lt;Sample&gt; Lawyer" in html
    policy = document["Content-Security-Policy"]
    assert "style-src 'unsafe-inline'" in policy and "script-src 'none'" in policy and "frame-ancestors 'self'" in policy
    assert document["X-Frame-Options"] == "SAMEORIGIN"
