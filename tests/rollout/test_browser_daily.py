"""Court staff's daily work in a real Chromium, on the demo a new administrator sees with `make run`:
the overview, a court page, the go-live list and the CM/ECF account list at 1,280 px and at phone width
(390 px), saved under var/screenshots/ to be looked at."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections

from rollout.demo import demo_ensure_users
from tests.rollout.test_browser import chromium  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser
PAGES = {
    "overview": "/",
    "court": "/courts/mtdc/",
    "golive-list": "/admin/courts/golive/",
    "cmecf-accounts": "/admin/accounts/cmecfaccount/",
}


def _seed(filers: int) -> None:
    call_command("load_court_catalog")
    call_command("seed_demo", "--filers", str(filers), "--no-example-courts", "--seed", "1",
                 "--today", dt.date.today().isoformat())
    demo_ensure_users("rollout-demo")
    connections.close_all()


@pytest.fixture
def demo_world(transactional_db):
    """The demo's courts, go-lives and notice history with 1,500 filers (the example courts' thousands
    add set-up time and nothing these pages need)."""
    _seed(1500)


@pytest.fixture
def courts_world(transactional_db):
    """The demo's courts and go-lives, no filers: for pages about courts and notice templates."""
    _seed(0)


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("rollout-demo")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")


@pytest.fixture
def shots() -> Path:
    path = Path(settings.VAR_DIR) / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _fits(page, width: int) -> list[str]:
    """What a reader of the saved picture would see go wrong: a page that is not there, a heading out
    of the window, a page that scrolls sideways on a desktop."""
    problems = []
    heading = page.locator("h1").first.bounding_box()
    if not heading or heading["x"] < 0 or heading["x"] + heading["width"] > width:
        problems.append(f"{page.url}: the heading is not within {width} px ({heading})")
    if width >= 1280 and not page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"):
        problems.append(f"{page.url}: scrolls sideways at {width} px")
    return problems


def test_daily_pages_at_desktop_and_phone_width(demo_world, live_server, chromium, shots):  # noqa: F811
    """Each daily page opens with its heading in view at both widths (and is saved to be looked at)."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _login(page, live_server.url, "admin")
    problems = []
    for name, url in PAGES.items():
        assert page.goto(live_server.url + url).status == 200, url
        problems += _fits(page, 1280)
        page.screenshot(path=str(shots / f"daily-{name}-1280.png"), full_page=True)
        page.screenshot(path=str(shots / f"daily-{name}-1280-top.png"))
    phone = chromium.new_context(viewport={"width": 390, "height": 844}, storage_state=context.storage_state())
    phone_page = phone.new_page()
    for name, url in PAGES.items():
        assert phone_page.goto(live_server.url + url).status == 200, url
        problems += _fits(phone_page, 390)
        phone_page.screenshot(path=str(shots / f"daily-{name}-390.png"), full_page=True)
        phone_page.screenshot(path=str(shots / f"daily-{name}-390-top.png"))
    phone.close()
    context.close()
    assert not problems, "\n".join(problems)


def test_go_live_list_shows_its_editable_columns_within_1280_px(courts_world, live_server, chromium):  # noqa: F811
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _login(page, live_server.url, "admin")
    page.goto(live_server.url + PAGES["golive-list"])
    for field in ("go_live_date", "status"):
        box = page.locator(f"#result_list [name$='-{field}']").first.bounding_box()
        assert box and box["x"] + box["width"] <= 1280, field
    assert "server time" not in page.locator("#result_list").inner_text()
    context.close()


def test_court_filter_narrows_as_one_types(courts_world, live_server, chromium):  # noqa: F811
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _login(page, live_server.url, "admin")
    page.goto(live_server.url + PAGES["cmecf-accounts"])
    items = page.locator("ul.court-filter li")
    assert items.count() > 200
    page.locator("input[data-court-filter]").fill("utah")
    visible = [t for t in items.all_inner_texts() if t.strip()]
    shown = page.locator("ul.court-filter li:visible")
    assert 1 <= shown.count() <= 3 and all("Utah" in t for t in shown.all_inner_texts()), visible[:5]
    context.close()


def test_phone_court_chart_shows_both_axes_and_today(demo_world, live_server, chromium):  # noqa: F811
    from django.db.models import Count, Q

    from courts.models import Court, GoLiveStatus

    # The live court with the most links: which courts the demo's filers land at depends on the day.
    court = (Court.objects.filter(golives__status=GoLiveStatus.LIVE)
             .annotate(linked=Count("cmecf_accounts", filter=Q(cmecf_accounts__linked_at__isnull=False)))
             .order_by("-linked", "court_id").first())
    connections.close_all()  # (as demo_world: a connection opened here would outlive the test)
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    _login(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/courts/{court.court_id.lower()}/")
    labels = page.locator("svg.burnup text").all_text_contents()
    # The whole chart in the width: today's mark, the go-live mark and the count axis all in view.
    for label in ("today", "go-live"):
        assert any(label in text for text in labels), (court.court_id, labels)
        box = page.locator("svg.burnup text", has_text=label).first.bounding_box()
        assert box and 0 <= box["x"] and box["x"] + box["width"] <= 390, label
    ticks = page.locator("svg.burnup text.tick")
    assert ticks.count() >= 3
    assert all(0 <= ticks.nth(i).bounding_box()["x"] for i in range(ticks.count()))
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    context.close()


EDITOR_PAGES = {
    "notice-templates": "/admin/rollout/noticetemplate/",
    "notice-template-add": "/admin/rollout/noticetemplate/add/?kind=reminder",
    "notice-default-preview": "/admin/rollout/noticetemplate/defaults/reminder/preview/",
}


def _demo_roster(path: Path, court) -> tuple[Path, int]:
    """A roster for `court` as staff would upload it: three new filers, up to three renamed CM/ECF
    accounts of the demo (returned: how many), two rows the import refuses."""
    import csv

    from accounts.models import CmecfAccount

    rows = [["name", "email", "cmecf_login", "pacer_username", "pacer_created_on", "upgraded", "shared_account",
             "cmecf_name"]]
    rows += [[f"New Filer {i}", f"new.filer{i}@example.com", f"newfiler{i}", "", "", "no", "no", ""] for i in range(3)]
    existing = list(CmecfAccount.objects.filter(court=court).select_related("filer").order_by("login")[:3])
    rows += [[a.filer.name, a.filer.email, a.login, "", "", "no", "no", f"{a.cmecf_name} Jr."] for a in existing]
    rows += [["Bad Email", "not-an-address", "badmail", "", "", "no", "no", ""],
             ["Spaced Login", "spaced@example.com", "spaced login", "", "", "maybe", "no", ""]]
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path, len(existing)


def test_import_dry_run_and_template_editor_at_desktop_and_phone_width(  # noqa: F811
        demo_world, live_server, chromium, shots, tmp_path, eager_imports):
    from django.db.models import Count

    from courts.models import Court

    # The court with the most accounts: which courts the demo's filers land at depends on the day.
    court = Court.objects.annotate(accounts=Count("cmecf_accounts")).order_by("-accounts", "court_id").first()
    roster, changed = _demo_roster(tmp_path / "roster.csv", court)
    assert changed
    court_label = str(court)
    connections.close_all()  # (as demo_world: a connection opened here would outlive the test)
    for width, height in ((1280, 900), (390, 844)):
        context = chromium.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        _login(page, live_server.url, "admin")
        page.goto(live_server.url + "/admin/accounts/cmecfaccount/import/")
        page.select_option("#id_court", label=court_label)
        page.set_input_files("#id_file", str(roster))
        page.get_by_role("button", name="Dry run").click()
        page.wait_for_selector("#refused-rows")
        page.screenshot(path=str(shots / f"daily-import-dry-run-{width}.png"), full_page=True)
        text = page.inner_text("#content")
        assert "Would be created (3)" in text and f"Would change ({changed})" in text and "Refused rows (2)" in text
        for name, url in EDITOR_PAGES.items():
            page.goto(live_server.url + url)
            page.screenshot(path=str(shots / f"daily-{name}-{width}.png"), full_page=True)
        context.close()


def test_choosing_a_kind_loads_its_default_in_the_template_editor(courts_world, live_server, chromium):  # noqa: F811
    from rollout.notices.rendering import default_source

    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _login(page, live_server.url, "admin")
    page.goto(live_server.url + "/admin/rollout/noticetemplate/add/?kind=prepare")
    assert page.input_value("#id_subject") == default_source("prepare").subject
    page.select_option("#id_kind", "reminder")
    assert page.input_value("#id_subject") == default_source("reminder").subject
    assert page.input_value("#id_text_body") == default_source("reminder").text_body
    context.close()


def test_choosing_a_readiness_in_a_default_preview_shows_it(courts_world, live_server, chromium):  # noqa: F811
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _login(page, live_server.url, "admin")
    page.goto(live_server.url + "/admin/rollout/noticetemplate/defaults/reminder/preview/")
    with page.expect_navigation():
        page.select_option("#preview-readiness", "legacy")
    assert page.url.endswith("readiness=legacy")
    assert "legacy account" in page.frame_locator("iframe.notice-preview-html").locator("body").inner_text()
    context.close()
