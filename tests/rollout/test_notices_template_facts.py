"""A court's own notice template never makes a notice untrue: a message that carries a fact the
template leaves out (a pause called off, a date that stands, a legacy account with no creation date…)
goes with the shipped wording, which tells it; the admin shows which facts a template leaves out."""
import datetime as dt

import pytest
from django.test import Client

from courts.models import GoLiveStatus
from rollout.notices.messages import MessageBuilder
from rollout.notices.models import NoticeDelivery, NoticeTemplate
from rollout.notices.rendering import (
    CONTEXT_HELP, KINDS_WITH_FILES, TOLD_FACTS, TemplateCache, TemplateSource, default_source, facts_left_out,
    facts_required,
)
from rollout.notices.template_scan import names_used
from tests.factories import GoLiveFactory, filer_at, montana_administrator, montana_court

MDT = dt.timezone(dt.timedelta(hours=-6))
OWN_WORDING = TemplateSource("Our subject", "Dear {{ filer_name }}, our own words.", "<p>Dear {{ filer_name }}, our own words.</p>")
REQUIRED = [(kind, fact) for kind in KINDS_WITH_FILES for fact in sorted(set().union(*facts_required(kind).values()))]


def court_template(court, kind: str, source: TemplateSource) -> NoticeTemplate:
    return NoticeTemplate.objects.create(court=court, kind=kind, subject=source.subject,
                                         text_body=source.text_body, html_body=source.html_body)


@pytest.mark.parametrize("kind", KINDS_WITH_FILES)
def test_the_shipped_default_tells_the_same_facts_in_its_text_and_html_parts(kind):
    source = default_source(kind)
    told = set(TOLD_FACTS)
    assert names_used(source.text_body) & told == names_used(source.html_body) & told


@pytest.mark.parametrize("fact", list(TOLD_FACTS))
def test_every_fact_that_must_be_told_is_shown_to_template_authors(fact):
    assert fact in {name.strip() for names in CONTEXT_HELP for name in names.split("/")}


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "fact"), REQUIRED)
def test_a_message_carrying_a_fact_the_courts_template_leaves_out_goes_with_the_shipped_wording(kind, fact):
    court = montana_court()
    court_template(court, kind, OWN_WORDING)
    context = {"filer_name": "Pat Filer", "is_legacy": True, fact: "Friday, May 7, 2027 at 5:00 PM MDT"}
    rendered = TemplateCache().for_message(court.id, kind, context).render(context)
    assert "our own words" not in rendered[1]
    assert rendered == TemplateCache().for_message(None, kind, context).render(context)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS_WITH_FILES)
def test_a_message_with_nothing_the_template_leaves_out_keeps_the_courts_wording(kind):
    court = montana_court()
    court_template(court, kind, OWN_WORDING)
    context = {"filer_name": "Pat Filer", **{fact: "" for fact in TOLD_FACTS}}
    subject, text, html = TemplateCache().for_message(court.id, kind, context).render(context)
    assert subject == "Our subject" and "our own words" in text and "our own words" in html


def test_a_fact_named_only_in_a_comment_is_left_out():
    source = default_source("golive")
    text = source.text_body.replace("{% if pause_called_off %}\n{{ pause_called_off }}\n{% endif %}",
                                    "{# pause_called_off #}{% comment %}{{ pause_called_off }}{% endcomment %}")
    commented = TemplateSource(source.subject, text, source.html_body)
    assert facts_left_out("golive", commented) == ["pause_called_off"]


def test_a_subject_that_ignores_a_fact_the_shipped_subject_tells_leaves_it_out():
    """ "New NextGen CM/ECF date …" would contradict a body saying the date stands."""
    source = default_source("date_changed")
    own_subject = TemplateSource("New date at the {{ court_name }}: {{ new_date }}", source.text_body, source.html_body)
    assert facts_left_out("date_changed", own_subject) == ["date_kept"]
    golive = default_source("golive")
    assert facts_left_out("golive", TemplateSource("Live: {{ court_name }}", golive.text_body, golive.html_body)) == []


def test_a_fact_told_in_the_text_part_only_is_left_out():
    source = default_source("date_changed")
    assert facts_left_out("date_changed", TemplateSource(source.subject, source.text_body, "<p>{{ filer_name }}</p>")) == [
        "blackout", "date_kept", "pause_dropped", "legacy_date_unknown"]


@pytest.mark.django_db
def test_a_court_marked_live_early_tells_its_filers_the_pause_is_off_even_with_an_older_template():
    """The court's go-live template predates the called-off sentence; the notice still says it."""
    from courts.services import golive_mark_live

    court = montana_court()
    older = default_source("golive")
    older = TemplateSource(older.subject,
                           older.text_body.replace("{% if pause_called_off %}\n{{ pause_called_off }}\n{% endif %}", ""),
                           older.html_body.replace("{% if pause_called_off %}<p>{{ pause_called_off }}</p>\n{% endif %}", ""))
    assert facts_left_out("golive", older) == ["pause_called_off"]
    court_template(court, "golive", older)
    golive = GoLiveFactory(court=court, go_live_date=dt.date(2027, 5, 10), status=GoLiveStatus.SCHEDULED,
                           blackout_start=dt.datetime(2027, 5, 7, 17, tzinfo=MDT),
                           blackout_end=dt.datetime(2027, 5, 10, 8, tzinfo=MDT))
    golive_mark_live(golive, now=dt.datetime(2027, 5, 3, 12, tzinfo=MDT))
    account = filer_at(court, state="ready")
    row = NoticeDelivery.objects.create(filer=account.filer, court=court, golive=golive, kind="golive", notice="golive")
    row = NoticeDelivery.objects.select_related("filer", "court", "golive", "change").get(id=row.id)
    built = MessageBuilder(dt.datetime(2027, 5, 3, 13, tzinfo=MDT)).build(row, "ready")
    (html, _), = built.alternatives
    for part in (built.body, html):
        assert "does not take place" in " ".join(part.split())


def admin_client():
    client = Client()
    client.force_login(montana_administrator())
    return client


@pytest.mark.django_db
def test_saving_a_template_that_leaves_out_facts_warns_which_and_what_happens():
    court = montana_court()
    response = admin_client().post("/admin/rollout/noticetemplate/add/", {
        "court": court.pk, "kind": "golive", "subject": OWN_WORDING.subject, "text_body": OWN_WORDING.text_body,
        "html_body": OWN_WORDING.html_body}, follow=True)
    warnings = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
    assert NoticeTemplate.objects.filter(court=court, kind="golive").exists()
    assert len(warnings) == 1
    for fact in set().union(*facts_required("golive").values()):
        assert f"({fact})" in warnings[0]
    assert "shipped default wording instead" in warnings[0]


@pytest.mark.django_db
def test_a_template_that_tells_every_fact_is_saved_without_a_warning():
    court = montana_court()
    source = default_source("golive")
    response = admin_client().post("/admin/rollout/noticetemplate/add/", {
        "court": court.pk, "kind": "golive", "subject": source.subject, "text_body": source.text_body,
        "html_body": source.html_body}, follow=True)
    assert NoticeTemplate.objects.filter(court=court, kind="golive").exists()
    assert not [m for m in response.context["messages"] if m.level_tag == "warning"]


@pytest.mark.django_db
def test_the_template_list_and_form_show_what_a_template_leaves_out():
    court = montana_court()
    template = court_template(court, "reminder", OWN_WORDING)
    client = admin_client()
    listing = client.get("/admin/rollout/noticetemplate/").content.decode()
    assert "Facts it leaves out" in listing and "legacy_date_unknown" in listing
    form = client.get(f"/admin/rollout/noticetemplate/{template.pk}/change/").content.decode()
    assert "notice-left-out" in form and "(legacy_date_unknown)" in form


@pytest.mark.parametrize(("source", "named"), [
    ("{% verbatim %}{{ blackout }}{% endverbatim %}", False),
    ("{% comment %}{% if blackout %}{% endcomment %}", False),
    ("{# blackout #}", False),
    ("{{ blackout\n}}", False),  # not a tag: Django prints it as text
    ("{{ oops\n{% if blackout %}{% endif %}", True),  # an unclosed opener on an earlier line
    ("{{ oops {% if blackout %}{% endif %}", True),  # on the same line: Django reads the tag after it
])
def test_a_fact_counts_as_used_only_where_django_reads_it_as_a_value(source, named):
    assert ("blackout" in names_used(source)) is named


@pytest.mark.django_db
def test_a_date_that_stands_is_not_announced_as_new_by_a_courts_older_subject():
    court = montana_court()
    source = default_source("date_changed")
    court_template(court, "date_changed", TemplateSource("New date at the {{ court_name }}: {{ new_date }}",
                                                         source.text_body, source.html_body))
    context = {"court_name": "District of Montana", "new_date": "Monday, May 10, 2027", "date_kept": True}
    subject, _, _ = TemplateCache().for_message(court.id, "date_changed", context).render(context)
    assert subject.startswith("Filing pause changed")
    context["date_kept"] = False
    subject, _, _ = TemplateCache().for_message(court.id, "date_changed", context).render(context)
    assert subject == "New date at the District of Montana: Monday, May 10, 2027"


@pytest.mark.django_db
def test_previewing_a_template_that_leaves_out_a_fact_the_sample_carries_shows_what_filers_get():
    template = court_template(montana_court(), "prepare", OWN_WORDING)  # the sample go-live has a filing pause
    page = admin_client().get(f"/admin/rollout/noticetemplate/{template.pk}/preview/").content.decode()
    assert "our own words" not in page
    assert "Electronic filing at this court pauses" in page
    assert f"has to tell {TOLD_FACTS['blackout']}, which this template leaves out" in page


@pytest.mark.django_db
def test_previewing_a_template_that_tells_every_fact_shows_its_own_wording_without_a_warning():
    source = default_source("prepare")
    own = TemplateSource(source.subject, source.text_body.replace("{{ filer_name }}", "{{ filer_name }}, our own words"),
                         source.html_body)
    template = court_template(montana_court(), "prepare", own)
    page = admin_client().get(f"/admin/rollout/noticetemplate/{template.pk}/preview/").content.decode()
    assert "our own words" in page
    assert "which this template leaves out" not in page


@pytest.mark.django_db
def test_the_test_sent_to_me_is_the_message_filers_get(mailoutbox):
    template = court_template(montana_court(), "prepare", OWN_WORDING)
    admin_client().post(f"/admin/rollout/noticetemplate/{template.pk}/preview/", {"readiness": "ready"})
    assert len(mailoutbox) == 1
    assert "our own words" not in mailoutbox[0].body
    assert "Electronic filing at this court pauses" in mailoutbox[0].body
