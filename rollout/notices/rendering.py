"""Rendering a notice: subject, text and HTML parts from Django templates with a fixed context.

Templates come from the court's own NoticeTemplate, else the default NoticeTemplate, else the files
under `rollout/templates/notices/<kind>/`. They are compiled by a sandboxed engine and rendered with plain
values only (no model objects, so a template cannot walk relations). The HTML part is autoescaped,
so names and texts filers or staff typed cannot inject markup; the text part and subject are plain.

The sandbox (an administrator edits these templates; a bad one must not hurt a campaign):
- only the tags and filters in ALLOWED_TAGS / ALLOWED_FILTERS exist: no include, extends, load,
  debug, url, lorem, no `with`, no padding or formatting filters (center, ljust, rjust,
  stringformat, floatformat) and none that repeat text (join, add, make_list);
- at most MAX_FILTERS filters on one expression (each filter can at most multiply a value's length
  by a small factor, so the chain bounds it);
- every `{% for %}` counts its iterations against one budget per render
  (NOTICES_TEMPLATE_MAX_LOOP; nested loops multiply, the budget does not);
- each rendered part is at most NOTICES_TEMPLATE_MAX_OUTPUT characters, counted as each loop
  iteration is rendered (`_MeteredLoopBody`), so a loop stops at the limit instead of building
  its whole output first.
A template breaking a limit raises TemplateLimitError: refused when the admin saves it (it must
render for every readiness state), and at send time it fails only its own messages.

Before anything renders, the parsed template's cost is bounded statically (`_check_cost`, a
TemplateSyntaxError naming the problem): each part at most NOTICES_TEMPLATE_MAX_SOURCE characters,
loops nested at most MAX_LOOP_DEPTH deep, and a loop over a literal at most NOTICES_TEMPLATE_MAX_LOOP
iterations. With those, one loop iteration's output is bounded by the source, so the metered output
bounds a render's time and memory.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.template import Context, Engine, Library, Template, TemplateSyntaxError, defaultfilters, defaulttags
from django.template.base import Node, NodeList, Variable, VariableNode
from django.template.defaulttags import ForNode
from accounts.readiness import Readiness
from courts.formatting import format_day, format_instant
from courts.models import FIRM, GoLiveStatus, emergency_instructions_problem
from courts.selectors import GoLiveFacts, golive_facts
from rollout.links import REGISTER_URL, UPGRADE_URL, court_page_url
from rollout.notices.template_scan import names_used, template_tags

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates" / "notices"
KINDS_WITH_FILES = ("prepare", "golive", "reminder", "date_changed", "blackout_changed", "digest")

ALLOWED_TAGS = ("if", "for", "comment", "firstof", "spaceless", "verbatim", "templatetag", "cycle")
ALLOWED_FILTERS = (
    "capfirst", "cut", "default", "default_if_none", "escape", "first", "last", "length", "linebreaks",
    "linebreaksbr", "lower", "pluralize", "slice", "striptags", "title", "truncatechars", "truncatewords",
    "upper", "urlencode", "wordcount", "wordwrap", "yesno",
)
MAX_FILTERS = 3
MAX_LOOP_DEPTH = 2
_BUDGET = "__loop_budget"  # a context key templates cannot name (no variable starts with "_")
_OUTPUT = "__output_budget"  # characters a part may still print, as [remaining]


class TemplateLimitError(Exception):
    """A notice template went over the sandbox's loop or output limit."""


class _CappedForNode(ForNode):
    """`{% for %}` whose iterations count against the render's loop budget."""

    def render(self, context):
        budget = context.get(_BUDGET)
        if budget is not None:
            values = self.sequence.resolve(context, ignore_failures=True)
            budget[0] -= len(values) if hasattr(values, "__len__") else 0
            if budget[0] < 0:
                raise TemplateLimitError(
                    f"The template loops more than {settings.NOTICES_TEMPLATE_MAX_LOOP} times in all.")
        return super().render(context)


register = Library()  # the sandbox's only library (see _SandboxEngine)
for _name in ALLOWED_TAGS:
    if _name != "for":
        register.tag(_name, defaulttags.register.tags[_name])
for _name in ALLOWED_FILTERS:
    register.filters[_name] = defaultfilters.register.filters[_name]


class _MeteredLoopBody(Node):
    """A loop's body: each iteration's output is counted against the part's output budget as it is
    rendered. A nested loop counts its own iterations first; the enclosing iteration then counts only
    what it printed besides, so nothing is counted twice."""

    child_nodelists = ("nodelist",)

    def __init__(self, nodelist: NodeList):
        self.nodelist = nodelist

    def render(self, context):
        budget = context.get(_OUTPUT)
        if budget is None:
            return self.nodelist.render(context)
        before = budget[0]
        output = self.nodelist.render(context)
        budget[0] = before - len(output)
        if budget[0] < 0:
            raise TemplateLimitError(
                f"The rendered email is longer than {settings.NOTICES_TEMPLATE_MAX_OUTPUT:,} characters.")
        return output


@register.tag("for")
def _do_for(parser, token):
    node = defaulttags.do_for(parser, token)
    body = NodeList([_MeteredLoopBody(node.nodelist_loop)])
    return _CappedForNode(node.loopvars, node.sequence, node.is_reversed, body, node.nodelist_empty)


def _literal_length(node: ForNode) -> int | None:
    """How many times a loop over a literal ("…" or a number) runs, known before rendering; None
    for a loop over a context value."""
    expression = node.sequence
    if isinstance(expression.var, str):
        return len(expression.var)
    if isinstance(expression.var, Variable) and expression.var.literal is not None:
        literal = expression.var.literal
        return len(literal) if hasattr(literal, "__len__") else 0
    return None


def _check_cost(nodelist: NodeList, depth: int = 0) -> None:
    """Refuse, before any rendering, loops nested deeper than MAX_LOOP_DEPTH and loops over a literal
    longer than the loop budget."""
    for node in nodelist:
        inner_depth = depth
        if isinstance(node, ForNode):
            inner_depth = depth + 1
            if inner_depth > MAX_LOOP_DEPTH:
                raise TemplateSyntaxError(
                    f"Loops nested more than {MAX_LOOP_DEPTH} deep: {node.sequence.token!r} is inside "
                    f"{depth} other loops.")
            length = _literal_length(node)
            if length is not None and length > settings.NOTICES_TEMPLATE_MAX_LOOP:
                raise TemplateSyntaxError(
                    f"A loop over a literal of {length:,} items: at most {settings.NOTICES_TEMPLATE_MAX_LOOP:,} "
                    f"iterations in all.")
        for attr in getattr(node, "child_nodelists", ()):
            child = getattr(node, attr, None)
            if child:
                _check_cost(child, inner_depth)


class _SandboxEngine(Engine):
    default_builtins = []  # not Django's tags and filters: only this module's `register`


_html_engine = _SandboxEngine(dirs=[], app_dirs=False, autoescape=True, libraries={},
                              builtins=["rollout.notices.rendering"])
_text_engine = _SandboxEngine(dirs=[], app_dirs=False, autoescape=False, libraries={},
                              builtins=["rollout.notices.rendering"])


def _compile(engine: Engine, source: str) -> Template:
    if len(source) > settings.NOTICES_TEMPLATE_MAX_SOURCE:
        raise TemplateSyntaxError(
            f"The template is {len(source):,} characters long: at most {settings.NOTICES_TEMPLATE_MAX_SOURCE:,}.")
    for _ in template_tags(source, strict=True):  # an unclosed opener refused, in linear time
        pass
    template = engine.from_string(source)
    _check_cost(template.nodelist)
    for node in template.nodelist.get_nodes_by_type(VariableNode):
        if len(node.filter_expression.filters) > MAX_FILTERS:
            raise TemplateSyntaxError(f"At most {MAX_FILTERS} filters on one value: {node.filter_expression.token}")
    return template

# What a template may use; shown in the admin next to the editor.
CONTEXT_HELP = {
    "filer_name": "The filer's name",
    "court_name": "The court's display name, e.g. U.S. District Court for the District of Montana",
    "court_code": "The court id, e.g. MTDC",
    "go_live_date": "The go-live date, written out (court's own calendar)",
    "old_date / new_date": "For a date change: the earlier and the new date (new_date empty = postponed)",
    "date_kept": "For a date change: true when the filer was told this very date and only the pause around it changed",
    "pause_dropped": "For a date change with no filing pause now: the pause the filer was told, which will not happen (empty otherwise)",
    "time_zone": "The court's time zone",
    "login_url": "The court's CM/ECF site",
    "help_desk_phone": "The court's CM/ECF help-desk phones, all on one line (one per division where the court has several)",
    "help_desk_name": "The help desk as the court names it, e.g. CM/ECF help desk of the U.S. District Court for the District of Montana",
    "blackout": "The filing blackout, written out (empty when none)",
    "old_blackout": "For a change of the filing pause alone: the window it replaces (empty when there was none, or when only the emergency instructions changed)",
    "pause_window_kept": "For a change of the filing pause alone: true when the window stayed and only the emergency instructions changed",
    "pause_ended": "For a change of the filing pause alone: when a pause cut short to a time already past ended (empty otherwise)",
    "emergency_instructions": "What to do for an emergency filing during the blackout",
    "pause_called_off": "For the go-live notice of a court marked live early: the announced filing pause that no longer happens, in a sentence (empty otherwise)",
    "calendar_updated": "For the go-live notice of a court marked live on another day than the one announced (or while postponed): true; the notice then carries go-live.ics with the real day",
    "readiness": "no_pacer, shared, legacy, name_mismatch, waiting, ready or linked",
    "is_legacy / is_shared / is_no_pacer / is_name_mismatch": "Readiness flags",
    "legacy_date_unknown": "With is_legacy: no creation date is on record for the PACER account, so it may be a legacy account, not surely one",
    "days_since_golive": "For a reminder: days since the court went live",
    "unsubscribe_url": "For a reminder: one-click unsubscribe link",
    "register_url / upgrade_url": "PACER pages to register an individual account or upgrade a legacy one",
    "status_url": "The filer's personal \"My NextGen status\" page (signed link, no password)",
    "court_status_url": "The court's public NextGen page: go-live date, blackout, linking steps",
}


@dataclass(frozen=True)
class TemplateSource:
    subject: str
    text_body: str
    html_body: str


# Facts a notice must not leave out when it carries them: without them the rest of the wording
# says something untrue ("That date has changed" when it stands; "your account is a legacy account"
# when no creation date is on record) or keeps from the filer a pause in filing they must plan for.
# A court's template written before one of these existed does not use it; a message that carries
# such a fact is then rendered from the shipped files instead (`TemplateCache.for_message`), and the
# admin shows the template as leaving it out. Only facts the shipped default of a kind uses count
# for that kind (`facts_required`). The text says what the fact is, for the admin's warning.
TOLD_FACTS = {
    "blackout": "a filing pause",
    "pause_called_off": "an announced filing pause that no longer happens because the court went live early",
    "pause_window_kept": "new emergency instructions for a filing pause that stays as it was",
    "pause_ended": "a filing pause cut short that is already over",
    "date_kept": "a go-live date that stands while the filing pause around it changed",
    "pause_dropped": "an announced filing pause that no longer happens since the date was moved or postponed",
    "legacy_date_unknown": "a PACER account counted as legacy because no creation date is on record",
}

PARTS = ("subject", "text_body", "html_body")


def facts_used(source: TemplateSource) -> dict[str, frozenset[str]]:
    """The TOLD_FACTS each part (subject, text, HTML) uses: a fact told in one part only is not
    told to a reader of another, and a subject that ignores it can say the opposite."""
    return {part: frozenset(TOLD_FACTS) & names_used(getattr(source, part)) for part in PARTS}


@functools.cache
def facts_required(kind: str) -> dict[str, frozenset[str]]:
    """The TOLD_FACTS each part of a template of `kind` must use: those the shipped default's part uses."""
    if kind not in KINDS_WITH_FILES:
        return {part: frozenset() for part in PARTS}
    return facts_used(default_source(kind))


def facts_left_out(kind: str, source: TemplateSource) -> list[str]:
    """The facts some part of a template of `kind` does not tell where the shipped default's part
    does, in TOLD_FACTS order ([] = it tells them all)."""
    used, required = facts_used(source), facts_required(kind)
    return [name for name in TOLD_FACTS if any(name in required[part] - used[part] for part in PARTS)]


def facts_carried_left_out(kind: str, template: "CompiledTemplate", context: dict[str, Any]) -> list[str]:
    """The TOLD_FACTS a message carries (true in its context) that `template` leaves out in some part
    where the shipped default of `kind` tells them, in TOLD_FACTS order: such a message goes with the
    shipped wording ([] = the template's own wording is true for it)."""
    required = facts_required(kind)
    return [name for name in TOLD_FACTS
            if context.get(name) and any(name in required[part] - used for part, used in template.facts)]


@dataclass(frozen=True)
class CompiledTemplate:
    subject: Template
    text_body: Template
    html_body: Template
    # The TOLD_FACTS each part uses, as (part, facts) pairs (a tuple: the dataclass stays hashable).
    facts: tuple[tuple[str, frozenset[str]], ...] = ()

    def render(self, context: dict[str, Any]) -> tuple[str, str, str]:
        budget = [settings.NOTICES_TEMPLATE_MAX_LOOP]  # shared by the three parts

        def limits():  # the loop budget shared, the output budget per part
            return {_BUDGET: budget, _OUTPUT: [settings.NOTICES_TEMPLATE_MAX_OUTPUT]}

        subject = self.subject.render(Context({**context, **limits()}, autoescape=False))
        subject = " ".join(subject.split())[:250]  # one line: a newline in a subject would break headers
        text = self.text_body.render(Context({**context, **limits()}, autoescape=False))
        html = self.html_body.render(Context({**context, **limits()}))
        for part in (text, html):
            if len(part) > settings.NOTICES_TEMPLATE_MAX_OUTPUT:
                raise TemplateLimitError(
                    f"The rendered email is longer than {settings.NOTICES_TEMPLATE_MAX_OUTPUT:,} characters.")
        return subject, _tidy(text), html


def _tidy(text: str) -> str:
    """Template tags leave runs of blank lines; keep at most one."""
    lines, blank = [], 0
    for line in text.splitlines():
        blank = blank + 1 if not line.strip() else 0
        if blank <= 1:
            lines.append(line.rstrip())
    return "\n".join(lines).strip() + "\n"


def default_source(kind: str) -> TemplateSource:
    folder = TEMPLATE_DIR / kind
    return TemplateSource(
        subject=(folder / "subject.txt").read_text().strip(),
        text_body=(folder / "body.txt").read_text(),
        html_body=(folder / "body.html").read_text(),
    )


def compile_source(source: TemplateSource) -> CompiledTemplate:
    """Compile; raises django.template.TemplateSyntaxError naming the problem."""
    return CompiledTemplate(
        subject=_compile(_text_engine, source.subject),
        text_body=_compile(_text_engine, source.text_body),
        html_body=_compile(_html_engine, source.html_body),
        facts=tuple(facts_used(source).items()),
    )


class TemplateCache:
    """Compiled templates for (court, kind), read once per send chunk: court row, default row, files."""

    def __init__(self) -> None:
        self._compiled: dict[tuple[int | None, str], CompiledTemplate] = {}
        self._rows: dict[tuple[int | None, str], TemplateSource] | None = None
        self._files: dict[str, CompiledTemplate] = {}  # the shipped defaults, by kind

    def _load_rows(self, court_ids: set[int]) -> None:
        from django.db.models import Q

        from rollout.notices.models import NoticeTemplate

        rows = NoticeTemplate.objects.filter(Q(court__isnull=True) | Q(court_id__in=court_ids))
        self._rows = {
            (row.court_id, row.kind): TemplateSource(row.subject, row.text_body, row.html_body) for row in rows
        }

    def get(self, court_id: int | None, kind: str, *, court_ids: set[int] | None = None) -> CompiledTemplate:
        if self._rows is None:
            self._load_rows(court_ids or ({court_id} if court_id else set()))
        key = (court_id, kind)
        if key not in self._compiled:
            source = self._rows.get(key) or self._rows.get((None, kind)) or default_source(kind)
            self._compiled[key] = compile_source(source)
        return self._compiled[key]

    def for_message(self, court_id: int, kind: str, context: dict[str, Any]) -> CompiledTemplate:
        """The template one message renders with: the court's (or the edited default), unless the
        message carries a fact that template leaves out (TOLD_FACTS); then the shipped files, which
        tell it."""
        template = self.get(court_id, kind)
        if facts_carried_left_out(kind, template, context):
            if kind not in self._files:
                self._files[kind] = compile_source(default_source(kind))
            return self._files[kind]
        return template


def notice_context(
    *, filer_name: str, court, golive, readiness: str, change=None, told: tuple | None = None,
    unsubscribe_url: str = "",
    today: dt.date | None = None, status_url: str = "", now: dt.datetime | None = None,
    facts: GoLiveFacts | None = None, pause_called_off: str = "", pacer_created_unknown: bool = False,
    calendar_updated: bool = False,
) -> dict[str, Any]:
    """The whole context a notice template sees: plain strings and flags only, the go-live's from its
    facts (`facts`, or courts.selectors.golive_facts read now), so a notice says what the public page
    says."""
    if facts is None:
        facts = golive_facts(golive, court=court, now=now, sequence=0)
    new_date = change.new_date if change and change.new_status in FIRM else None
    # What the filer was last told (`told`, from the sender), else what the change replaced; a date
    # only when there was one (not the date a postponement kept).
    # A change of the pause alone, or a live court's date corrected (the pause moved with it; its
    # filers were told the court is live, so only the pause is news).
    pause_change = change is not None and (
        change.blackout_only or change.old_status == change.new_status == GoLiveStatus.LIVE)
    told_date, told_status = (told[:2] if told and not pause_change else None) or (
        (change.old_date, change.old_status) if change else (None, ""))
    # The blackout belongs to the go-live date: a date-changed notice prints it only beside that date.
    blackout = facts.blackout_text if (change is None or new_date == facts.go_live_date) else ""
    # A change of the filing pause alone: the window the filer was last told (`told`, from the
    # sender), else the one the change replaced, in the court's zone.
    # The window kept, only the emergency instructions changed: the notice says so instead.
    old_blackout, pause_window_kept, pause_ended = "", False, ""
    if pause_change and not facts.has_blackout and golive is not None and golive.blackout_end is not None \
            and golive.blackout_end <= (now or timezone.now()):
        # Cut short to a time already past: filing is open again, since then.
        pause_ended = format_instant(golive.blackout_end, court.tzinfo)
    if pause_change:
        old_start, old_end = (told or (change.old_blackout_start, change.old_blackout_end))[:2]
        pause_window_kept = facts.has_blackout and (old_start, old_end) == (facts.blackout_start, facts.blackout_end)
        if old_start and old_end and not pause_window_kept:
            old_blackout = f"from {format_instant(old_start, court.tzinfo)} until {format_instant(old_end, court.tzinfo)}"
    date_kept = bool(told) and not pause_change and bool(new_date) and told_status in FIRM and told_date == new_date
    # A date moved or postponed, with no pause now beside it: a pause the filer was told, still to
    # come or under way, will not happen, and nothing else would say so.
    pause_dropped = ""
    if change is not None and not pause_change and not blackout and not date_kept:
        told_pause = (told[2] if told and len(told) > 2 and told[2] else None) or (
            change.old_blackout_start, change.old_blackout_end)
        old_start, old_end = told_pause[:2]
        if old_start and old_end and old_end > (now or timezone.now()):
            pause_dropped = f"from {format_instant(old_start, court.tzinfo)} until {format_instant(old_end, court.tzinfo)}"
    day = facts.go_live_date
    days_since = (today - day).days if (today and day and facts.live) else None
    # Never a sentence pointing at an address or number the notice does not give: instructions
    # saved before the check are replaced by the help desk's number, or left out.
    emergency = facts.emergency_instructions if blackout else ""
    if emergency_instructions_problem(emergency):
        emergency = ""
    if blackout and not emergency and court.help_desk_phone:
        emergency = f"call the {court.help_desk_name} at {court.help_desk_phone}."
    return {
        "filer_name": filer_name,
        "court_name": court.name,
        "court_code": court.court_id,
        "go_live_date": facts.date_text,
        "old_date": format_day(told_date) if told_status in FIRM else "",
        # A postponement announces no new date.
        "new_date": format_day(new_date),
        # Told this very date (postponed and set again on it before the postponement went): only
        # the pause around it changed, and the notice says so.
        "date_kept": date_kept,
        "pause_dropped": pause_dropped,
        "time_zone": court.time_zone,
        "login_url": court.login_url or "",
        "help_desk_phone": court.help_desk_phone,
        "help_desk_name": court.help_desk_name,  # "CM/ECF help desk of the U.S. District Court for the …"
        "blackout": blackout,
        "old_blackout": old_blackout,
        "pause_window_kept": pause_window_kept,
        "pause_ended": pause_ended,
        "emergency_instructions": emergency,
        # Only the go-live notice says a pause was called off (the sender reads it for those rows).
        "pause_called_off": pause_called_off,
        "calendar_updated": calendar_updated,
        "readiness": readiness,
        "is_legacy": readiness == Readiness.LEGACY,
        # Counted as legacy because no creation date is on record: the notice says it may be one.
        "legacy_date_unknown": readiness == Readiness.LEGACY and pacer_created_unknown,
        "is_shared": readiness == Readiness.SHARED,
        "is_no_pacer": readiness == Readiness.NO_PACER,
        "is_name_mismatch": readiness == Readiness.NAME_MISMATCH,
        "days_since_golive": days_since,
        "unsubscribe_url": unsubscribe_url,
        "register_url": REGISTER_URL,
        "upgrade_url": UPGRADE_URL,
        "status_url": status_url,
        "court_status_url": court_page_url(court),
    }


