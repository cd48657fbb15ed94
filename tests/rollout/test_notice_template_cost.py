"""A notice template's cost is bounded before it renders: size, loop nesting and loops over literals
are refused when parsed, and a loop's output is counted as it is rendered, so a hostile template is
refused with a message naming the problem instead of being rendered in full first."""
from __future__ import annotations

import pytest
from django.conf import settings
from django.template import TemplateSyntaxError
from django.template.base import Lexer, TokenType
from hypothesis import given, strategies as st

from rollout.notices.rendering import TemplateLimitError, TemplateSource, compile_source, default_source
from rollout.notices.template_scan import template_tags
from rollout.notices.services import notice_template_check
from tests.factories import GoLiveFactory, montana_court

pytestmark = pytest.mark.django_db

LONG = "x" * 900
# Nested loops over a long literal, each iteration printing the literal again: bounded by nothing
# but the output cap checked at the end, before the static and metered limits.
HOSTILE = {
    "nested loops over a long literal": (
        f'{{% for a in "{LONG[:30]}" %}}{{% for b in "{LONG[:30]}" %}}{LONG * 20}{{% endfor %}}{{% endfor %}}'),
    "a filtered literal in a loop": (
        f'{{% for a in "{LONG[:500]}" %}}{{{{ "{LONG * 5}"|wordwrap:1|linebreaksbr|urlencode }}}}{{% endfor %}}'),
}


def check(body: str) -> list[str]:
    court = montana_court()
    GoLiveFactory(court=court)
    source = default_source("golive")
    return notice_template_check(court, "golive", TemplateSource(source.subject, body, source.html_body))


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_template_is_refused_naming_the_output_limit(name):
    problems = check(HOSTILE[name])
    assert problems and all("longer than" in p for p in problems)


def test_a_template_longer_than_the_limit_is_refused_before_parsing():
    with pytest.raises(TemplateSyntaxError, match="characters long"):
        compile_source(TemplateSource("", "x" * (settings.NOTICES_TEMPLATE_MAX_SOURCE + 1), ""))


def test_loops_nested_too_deep_are_refused_before_rendering():
    body = "{% for a in x %}{% if a %}{% for b in y %}{% for c in z %}.{% endfor %}{% endfor %}{% endif %}{% endfor %}"
    with pytest.raises(TemplateSyntaxError, match="nested more than 2 deep"):
        compile_source(TemplateSource("", body, ""))


def test_a_loop_over_a_literal_longer_than_the_budget_is_refused_before_rendering():
    body = '{% for a in "' + "y" * (settings.NOTICES_TEMPLATE_MAX_LOOP + 1) + '" %}.{% endfor %}'
    with pytest.raises(TemplateSyntaxError, match="loop over a literal"):
        compile_source(TemplateSource("", body, ""))


def test_the_output_limit_stops_a_loop_as_it_renders(settings):
    settings.NOTICES_TEMPLATE_MAX_OUTPUT = 1000
    compiled = compile_source(TemplateSource("", '{% for a in "abcdefghij" %}' + "z" * 300 + "{% endfor %}", ""))
    with pytest.raises(TemplateLimitError, match="longer than 1,000"):
        compiled.render({})


def test_nested_loops_count_their_output_once(settings):
    settings.NOTICES_TEMPLATE_MAX_OUTPUT = 1000
    compiled = compile_source(TemplateSource("", '{% for a in "abc" %}{% for b in "abc" %}' + "z" * 100
                                             + "{% endfor %}{% endfor %}", ""))
    assert len(compiled.render({})[1].strip()) == 900


def test_the_default_templates_are_within_every_limit():
    for kind in ("prepare", "golive", "reminder", "date_changed"):
        compile_source(default_source(kind))


@pytest.mark.parametrize(("opener", "closer", "literal"), [
    ("{{", "}}", "openvariable"), ("{%", "%}", "openblock"), ("{#", "#}", "opencomment")])
def test_an_opener_left_unclosed_is_refused_naming_its_line(opener, closer, literal):
    """Django reads it as text, after searching the rest of its line from every such opener: a
    part made of them took 30 s to check. Refused instead, before Django's lexer sees it."""
    assert check("Dear {{ filer_name }},\n\n" + opener * 5000) == [
        f"Template error: Line 3: {opener!r} has no {closer!r} after it on the same line. Close it there, "
        f"or write {{% templatetag {literal} %}} for the characters themselves."]


# Sources built from the pieces that make or break a tag, so openers, closers and line ends meet often.
PIECES = st.lists(st.sampled_from(["{{", "}}", "{%", "%}", "{#", "#}", "{", "}", "%", "#", "\n", "x", " "]), max_size=30)


@given(PIECES.map("".join))
def test_the_tags_found_are_the_tags_djangos_lexer_finds(source):
    ours = [(opener, contents.strip()) for opener, contents in template_tags(source) if opener != "{#"]
    start = {TokenType.VAR: "{{", TokenType.BLOCK: "{%"}
    django = [(start[token.token_type], token.contents) for token in Lexer(source).tokenize()
              if token.token_type in start]
    assert ours == django


def test_the_check_renders_the_courts_own_template_even_where_filers_would_get_the_shipped_wording():
    """The prepare sample carries a filing pause, which this body leaves out: a real message would go
    with the shipped wording, but the check must still refuse what the court's template does."""
    court = montana_court()
    source = default_source("prepare")
    body = HOSTILE["nested loops over a long literal"]
    problems = notice_template_check(court, "prepare", TemplateSource(source.subject, body, source.html_body))
    assert problems and all("longer than" in p for p in problems)
