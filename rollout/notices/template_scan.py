"""Reading a notice template's source without compiling it: its tags, and the names they mention.

Linear in the source, for two uses: refusing, before Django's lexer sees it, a source that lexer
would take seconds over (`template_tags(strict=True)`, from `rendering._compile`), telling which
facts a court's template uses (`names_used`, for `rendering.TOLD_FACTS`), and where it uses the
filer's personal links (`template_links`).
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from django.template import TemplateSyntaxError

# Tags as Django's lexer finds them: an opener and, on the same line, its closer.
_OPENER = re.compile(r"{[{%#]")
_CLOSER = {"{{": "}}", "{%": "%}", "{#": "#}"}
_LITERAL = {"{{": "openvariable", "{%": "openblock", "{#": "opencomment"}
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def template_tags(source: str, *, strict: bool = False) -> Iterator[tuple[str, str]]:
    """The tags of a template part in order, as (opener, what stands between it and its closer).

    Django's lexer reads an opener with no closer on its line as text, but only after searching the
    rest of the line for one, from every such opener: 20,000 characters of "{{" took seconds to
    compile, and a check renders a template seven times. Here each opener type left unclosed on a
    line is remembered, so the scan is linear. `strict` refuses such an opener instead
    (TemplateSyntaxError naming its line): `_compile` does, before Django's lexer sees the source.
    """
    pos, line_end, unclosed = 0, -1, {}
    while match := _OPENER.search(source, pos):
        opener, start = match.group(), match.start()
        if start > line_end:
            line_end = source.find("\n", start)
            line_end = len(source) if line_end < 0 else line_end
        end = -1 if unclosed.get(opener, -1) >= start else source.find(_CLOSER[opener], start + 2, line_end)
        if end < 0:
            if strict:
                raise TemplateSyntaxError(
                    f"Line {source.count(chr(10), 0, start) + 1}: {opener!r} has no {_CLOSER[opener]!r} after it on "
                    f"the same line. Close it there, or write {{% templatetag {_LITERAL[opener]} %}} for the "
                    f"characters themselves.")
            unclosed[opener] = line_end
            pos = start + 1
            continue
        yield opener, source[start + 2:end]
        pos = end + 2


def tags_outside_comments(source: str) -> Iterator[tuple[str, str, int]]:
    """(opener, contents, line) of a template part's tags outside comments and verbatim blocks
    (which print or hide text, never a value)."""
    skip_until, position, line = "", 0, 1
    for opener, contents in template_tags(source):
        found = source.find(opener + contents, position)
        line += source.count("\n", position, found)  # counted once over the source, not per tag
        position = found
        words = contents.split()
        if opener == "{#":
            continue
        if skip_until:
            if opener == "{%" and words and words[0] == skip_until:
                skip_until = ""
            continue
        if opener == "{%" and words and words[0] in ("comment", "verbatim"):
            skip_until = f"end{words[0]}"
            continue
        yield opener, contents, line


def words_in(contents: str) -> frozenset[str]:
    """The names a tag's contents mention."""
    return frozenset(_WORD.findall(contents))


def names_used(source: str) -> frozenset[str]:
    """The variable (and tag) names a template part's source mentions, outside comments and
    verbatim blocks."""
    names: set[str] = set()
    for _, contents, _ in tags_outside_comments(source):
        names.update(words_in(contents))
    return frozenset(names)
