"""Every page, not a sample: each page the URL conf and the admin site know (changelists, add and
change forms, history and delete confirmations, custom admin views, the confirmation pages of admin
actions, the dashboard, filer and public pages) is opened in a real Chromium at 1280 px and at 390 px
and must

- pass axe-core (WCAG 2.1 A and AA) with no violation, with the site's Content-Security-Policy in
  force exactly as users get it (axe arrives as a Playwright init script, which the browser runs
  outside the page's policy; nothing on the server is relaxed for the test), and
- fit: no table or form control cut off (inside its box, or its box is a labelled, focusable scroll
  region); at 1280 px neither the page nor any table scrolls sideways;
- load whole: no resource answers with an error, every page names a favicon that exists, and the
  policy refuses nothing but jQuery's inline-style feature probes.

Pages are found, not listed: every URL pattern is filled with a sample argument of its kind and fetched
in-process as an anonymous visitor, as the Montana administrator and as a superuser; whatever answers
200 with HTML is checked in the browser, each page once, by the first of these who can open it. A
pattern that no one can open (a 404 or 500) fails the test, so a new page cannot go unchecked because
its sample was missing.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.core.management import call_command
from django.db import connections, transaction
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import filer_at
from tests.rollout.test_browser import chromium  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (1280, 390)
PASSWORD = "staff-pages-Pa55word"
AXE_RUN = """async () => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                                          resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, nodes: v.nodes.length, html: v.nodes[0].html.slice(0, 160),
                                      target: v.nodes[0].target.join(' ')}));
}"""
# What is "cut off": a table or control reaching past a box that clips it (overflow not visible) unless
# that box is a scroll region a keyboard can reach and a screen reader can name; a cell whose content
# is clipped; at 1280 px, a page wider than the window.
FIT = """(width) => {
  const problems = [];
  const name = el => el === null ? 'the window' : (el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
      + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
      + (el.name ? '[name=' + el.name + ']' : ''));
  const region = el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX) && el.tabIndex >= 0
      && (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby'));
  const root = document.documentElement;
  const wide = width >= 1280;
  if (wide && root.scrollWidth > root.clientWidth + 1)
    problems.push(`the page scrolls sideways (${root.scrollWidth} px wide in ${root.clientWidth} px)`);
  for (const el of document.querySelectorAll('table, input:not([type=hidden]), select, textarea, button')) {
    if (!el.getClientRects().length || getComputedStyle(el).visibility === 'hidden') continue;
    if (el.closest('[hidden], .hidden, .sr-only, .visually-hidden')) continue;
    const r = el.getBoundingClientRect();
    let verdict = 'fits';
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX === 'visible') continue;
      const b = a.getBoundingClientRect();
      if (r.right > b.right + 1 || r.left < b.left - 1) { verdict = region(a) ? 'region' : a; break; }
    }
    if (verdict === 'fits' && (r.right > root.clientWidth + 1 || r.left < -1)) verdict = null;
    if (verdict === 'fits' || (verdict === 'region' && !(wide && el.tagName === 'TABLE'))) continue;
    if (verdict === 'region') { problems.push(`${name(el)} needs a sideways scroll at ${width} px`); continue; }
    const clipper = verdict;
    problems.push(`${name(el)} (${Math.round(r.left)}–${Math.round(r.right)} px) cut off by ${name(clipper)}`);
  }
  for (const cell of document.querySelectorAll('td, th')) {
    const s = getComputedStyle(cell);
    if (s.overflowX !== 'visible' && cell.scrollWidth > cell.clientWidth + 1)
      problems.push(`${name(cell)} "${cell.innerText.slice(0, 40)}" clipped (${cell.scrollWidth} px in ${cell.clientWidth} px)`);
  }
  return problems;
}"""


@dataclass
class Visitor:
    label: str
    username: str | None
    pages: list[str] = field(default_factory=list)
    actions: list[tuple[str, str, str]] = field(default_factory=list)  # (changelist path, action, pk)


@pytest.fixture
def axe_source():
    if not AXE.exists():
        if os.environ.get("ROLLOUT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{AXE} is missing: run `npm ci` (make test does).")
        pytest.skip(f"{AXE} is missing (npm ci)")
    return AXE


@pytest.fixture
def staff_world(transactional_db, settings):
    """The demo on the built-in court catalog, small: every page has rows to show."""
    from accounts.models import AuditEntry, HelpReason
    from accounts.self_service import help_request_create
    from accounts.services import cmecf_account_link
    from courts.models import Court, SoftwareVersionChange
    from rollout.demo import demo_ensure_users
    from rollout.notices.models import AdminDigest, BouncedAddress, NoticeTemplate

    settings.AXES_ENABLED = False
    _TOKENS.clear()
    call_command("load_court_catalog", verbosity=0)
    call_command("seed_demo", filers=400, seed=3, no_example_courts=True, stdout=open(os.devnull, "w"))
    demo_ensure_users(PASSWORD)
    from django.contrib.auth import get_user_model

    montana_admin = get_user_model().objects.get(username="montana")
    montana = Court.objects.get(court_id="MTDC")
    first = filer_at(montana, name="Jane Q. Lawyer", state="legacy")
    help_request_create(first.filer, first.pk, reason=HelpReason.OTHER, text="My old login is not accepted on the new site.")
    cmecf_account_link(filer_at(montana, name="Ann B. Counsel"), by=montana_admin, source="admin")
    assert AuditEntry.objects.filter(court=montana).exists()
    NoticeTemplate.objects.create(court=montana, kind="reminder", subject="Reminder: link your account",
                                  text_body="Hello {{ filer_name }}", html_body="<p>Hello {{ filer_name }}</p>",
                                  updated_by=montana_admin)
    BouncedAddress.objects.create(email=first.filer.email, soft_bounces=1, last_bounce_at=dt.datetime.now(dt.timezone.utc))
    SoftwareVersionChange.objects.create(court=montana, old_version="6.3.3", new_version="NextGen 1.8",
                                         seen_on=dt.date(2021, 9, 27))
    AdminDigest.objects.create(user=montana_admin, week=dt.date(2026, 11, 23), state="failed", possible_duplicate=True,
                               last_error="SMTPRecipientsRefused: {'clerk@mtd.example.gov': (550, b'5.1.1 No such "
                                          "mailbox: the recipient's mail server does not know this address')}")
    # Discovered here, before the browser starts (Django's test client cannot run inside Playwright's loop).
    User = get_user_model()
    visitors = [Visitor("anonymous", None), Visitor("Montana administrator", "montana"), Visitor("superuser", "admin")]
    seen: set[str] = set()
    reached: set[str] = set()
    statuses: dict[str, set[int]] = {}
    for visitor in visitors:
        client = Client()
        user = None
        if visitor.username:
            user = User.objects.get(username=visitor.username)
            client.force_login(user)
        pages, others = _discover(user, client)
        visitor.pages = [p for p in pages if p not in seen]
        seen.update(pages)
        reached.update(pages)
        for path, status in others.items():
            statuses.setdefault(path, set()).add(status)
        if user is not None and user.is_staff:
            visitor.actions = _action_pages(user, client)
    # Every pattern either makes a page for someone, or is not one (a download, a form's POST target, a
    # redirect, a delete an admin does not offer): never an error, never a missing page from a bad sample.
    broken = sorted(p for p, codes in statuses.items() if p not in reached and (
        500 in codes or (404 in codes and not p.endswith("/delete/"))))
    assert not broken, f"pages no visitor could open: {broken}"
    connections.close_all()
    return visitors


# --- discovery ----------------------------------------------------------------------------------

def _patterns(resolvers, prefix="", namespace=""):
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            ns = ":".join(filter(None, [namespace, entry.namespace or ""]))
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern) and entry.name and not _allauth_page(entry):
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), entry


def _allauth_page(entry) -> bool:
    """django-allauth's own account pages besides log-in and log-out (e-mail confirmation, password
    reset keys, MFA): their sign-in pages have their own axe test in test_signin_webauthn_browser."""
    if entry.name in ("password_reset_confirm", "metrics"):  # a signed one-time link; a monitoring endpoint
        return True
    return (getattr(entry.callback, "__module__", "") or "").startswith("allauth") and entry.name not in ("login", "logout")


def _admin_model(url_name: str):
    """The model of an admin URL name such as admin:courts_golive_change (None for the site's own views)."""
    if not url_name.startswith("admin:"):
        return None
    for model in apps.get_models():
        if url_name.startswith(f"admin:{model._meta.app_label}_{model._meta.model_name}_"):
            return model
    return None


def _samples(url_name: str, param: str, user) -> list[str]:
    """Sample values for one URL parameter, as the given user would meet them."""
    from accounts.models import Filer
    from courts.models import Court
    from rollout.notices.models import NoticeKind

    filer = Filer.objects.filter(cmecf_accounts__court__court_id="MTDC").order_by("id").first()
    if param in ("object_id", "pk", "id"):
        model = _admin_model(url_name)
        model_admin = admin.site.get_model_admin(model)
        request = RequestFactory().get("/admin/")
        request.user = user
        obj = model_admin.get_queryset(request).order_by("pk").first() if user is not None else None
        if obj is None and model is not None:
            obj = model._default_manager.order_by("pk").first()
        return [str(obj.pk)] if obj is not None else []
    if param == "court_id":
        return ["mtdc"]
    if param == "circuit":
        return [Court.objects.get(court_id="MTDC").circuit]
    if param == "kind":
        return [value for value, _ in NoticeKind.choices]
    if param == "app_label":
        return sorted({m._meta.app_label for m in apps.get_models() if admin.site.is_registered(m)})
    if param == "token":  # signed with a timestamp: made once, so each visitor meets the same page
        if url_name not in _TOKENS:
            _TOKENS[url_name] = _token_for(url_name, filer)
        return [_TOKENS[url_name]]
    if param in ("url", "content_type_id"):  # the admin's catch-all and its "view on site" redirect
        return []
    raise AssertionError(f"No sample for the URL parameter {param!r} of {url_name}: add one to _samples.")


_TOKENS: dict[str, str] = {}


def _token_for(url_name: str, filer) -> str:
    from rollout.signed_links import email_change_token, email_undo_token, status_token
    from rollout.notices.tokens import unsubscribe_token

    if url_name.endswith("email_confirm"):
        return email_change_token(filer.pk, filer.email, "new." + filer.email, filer.email_changes)
    if url_name.endswith("unsubscribe"):
        return unsubscribe_token(filer.pk, filer.cmecf_accounts.first().court_id, filer.email)
    if url_name.endswith("email_undo"):
        return email_undo_token(filer.pk, "old." + filer.email, filer.email, filer.email_changes)
    return status_token(filer.pk, filer.email)


def _candidate_paths(user) -> tuple[list[str], set[str]]:
    paths, unfilled = [], set()
    for url_name, pattern in _patterns(get_resolver().url_patterns):
        params = list(pattern.pattern.regex.groupindex)
        combos = [{}]
        for param in params:
            if not combos:
                break
            values = _samples(url_name, param, user)
            combos = [dict(c, **{param: v}) for c in combos for v in values]
        if params and not combos:
            unfilled.add(url_name)
        for kwargs in combos:
            paths.append((url_name, reverse(url_name, kwargs=kwargs)))
    return paths, unfilled


def _discover(user, client: Client) -> tuple[list[str], dict[str, int]]:
    """Paths that answer this user 200 with an HTML page, and the status of every other one."""
    pages, others = [], {}
    paths, _ = _candidate_paths(user)
    for url_name, path in paths:
        response = client.get(path)
        kind = response.get("Content-Type", "")
        if response.status_code == 200 and kind.startswith("text/html"):
            pages.append(path)
        else:
            others[path] = response.status_code
    return pages, others


def _action_pages(user, client: Client) -> list[tuple[str, str, str]]:
    """(changelist, action, pk) for each admin action that answers with a page of its own (a
    confirmation), found by trying it on one row in a transaction that is rolled back."""
    found = []
    request = RequestFactory().get("/admin/")
    request.user = user
    for app in admin.site.get_app_list(request):
        for entry in app["models"]:
            model_admin = admin.site.get_model_admin(entry["model"])
            obj = model_admin.get_queryset(request).order_by("pk").first()
            if obj is None or not entry.get("admin_url"):
                continue
            for action in model_admin.get_actions(request):
                try:
                    with transaction.atomic():
                        response = client.post(entry["admin_url"], {"action": action, "_selected_action": [obj.pk], "index": 0})
                        raise _RollBack(response)
                except _RollBack as rolled_back:
                    response = rolled_back.response
                if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
                    found.append((entry["admin_url"], action, str(obj.pk)))
    return found


class _RollBack(Exception):
    def __init__(self, response):
        self.response = response


# --- the browser pass ----------------------------------------------------------------------------

def test_every_page_passes_axe_and_fits_at_both_widths(staff_world, live_server, chromium, axe_source,  # noqa: F811
                                                        pytestconfig):
    visitors = staff_world
    screenshots = pytestconfig.getoption("screenshots")
    connections.close_all()

    shots = Path(settings.VAR_DIR) / "screenshots" / "staff-pages"
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": WIDTHS[0], "height": 800})
    context.add_init_script(path=str(axe_source))
    page = context.new_page()
    csp_errors: list[str] = []
    page.on("console", lambda m: csp_errors.append(f"{page.url}: {m.text}") if "Content Security Policy" in m.text else None)
    # Nothing a page loads may be missing or fail (a favicon, a style sheet, a script). Counted while
    # the page loads only: axe itself re-reads the style sheets and resolves Django's forms.css
    # `@import url('widgets.css')` against the page, not the sheet (its request, not the page's).
    failed: list[str] = []
    loading = {"now": False}
    page.on("response", lambda r: failed.append(f"{page.url}: {r.status} for {r.url}")
            if r.status >= 400 and loading["now"] else None)
    violations: list[str] = []
    misfits: list[str] = []
    counted = {"pages": 0, "loads": 0, "violations": 0}

    icons: set[str] = set()

    def check(label: str, what: str) -> None:
        # Every page names its icon (else browsers ask for /favicon.ico, a 404); each is fetched below.
        found = page.eval_on_selector_all("link[rel~=icon]", "links => links.map(l => l.href)")
        if not found:
            misfits.append(f"[{label}] {what}: no favicon link")
        icons.update(found)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            counted["loads"] += 1
            for v in page.evaluate(AXE_RUN):
                counted["violations"] += v["nodes"]
                violations.append(f"[{label} {width}px] {what}: {v['id']} ×{v['nodes']} at {v['target']}: {v['html']}")
            misfits.extend(f"[{label} {width}px] {what}: {p}" for p in page.evaluate(FIT, width))
            if not screenshots:
                continue
            name = "_".join("token" if len(part) > 40 else part for part in what.strip("/").split("/"))
            name = name.replace("?", "_") or "home"
            page.screenshot(path=str(shots / f"{label.split()[0].lower()}-{name[:120]}-{width}.png"), full_page=True)
        page.set_viewport_size({"width": WIDTHS[0], "height": 800})

    for visitor in visitors:
        context.clear_cookies()
        if visitor.username:
            page.goto(f"{live_server.url}/accounts/login/")
            page.get_by_label("Username").fill(visitor.username)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_load_state()
        for path in visitor.pages:
            loading["now"] = True
            response = page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("load")
            loading["now"] = False
            assert response.status == 200, f"{visitor.label}: {path} answered {response.status}"
            counted["pages"] += 1
            check(visitor.label, path)
        for changelist, action, _pk in visitor.actions:
            page.goto(f"{live_server.url}{changelist}")
            page.locator("input[name=_selected_action]").first.check()
            page.locator("select[name=action]").first.select_option(action)
            page.locator("button[name=index]").first.click()
            page.wait_for_load_state()
            counted["pages"] += 1
            check(visitor.label, f"{changelist}?action={action}")
    failed.extend(f"favicon {href}: {context.request.get(href).status}" for href in sorted(icons)
                  if context.request.get(href).status != 200)
    context.close()
    print(f"\n{counted['pages']} pages, {counted['loads']} checks at {len(WIDTHS)} widths, "
          f"{counted['violations']} axe violations ({len(violations)} rule hits), {len(misfits)} fit problems")
    # Django's bundled jQuery tests the browser's features with inline styles when it loads; the policy
    # refuses them (as it should) and nothing on the page depends on them. Those reports are kept in
    # the report file; any other refusal (a script, a style sheet, a frame) fails the test.
    style_probes = sorted({e for e in csp_errors if "Applying inline style" in e})
    csp_errors = sorted({e for e in csp_errors if "Applying inline style" not in e})
    problems = violations + misfits + csp_errors + sorted(set(failed))
    (shots / "report.txt").write_text("\n".join(problems + style_probes) + "\n", encoding="utf-8")
    assert not problems, (
        f"{len(violations)} axe violations, {len(misfits)} fit problems and {len(csp_errors)} policy violations "
        f"on {counted['pages']} pages:\n" + "\n".join(problems))
