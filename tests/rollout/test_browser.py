"""A real browser (Debian's Chromium, headless, driven by Playwright) walks the dashboard as a
court administrator: log in, filter the overview, open a court, filter its accounts, download the CSV."""
from __future__ import annotations

import csv
import datetime as dt
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from accounts.counts import court_counts_refresh
from accounts.models import CourtAdministrator
from courts.models import CourtType
from tests.factories import CourtFactory, court_with_accounts, montana_administrator, montana_court, utah_court

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
UTC = dt.timezone.utc

pytestmark = pytest.mark.browser


@pytest.fixture
def chromium():
    if not CHROMIUM.exists():
        if os.environ.get("ROLLOUT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium is required here (ROLLOUT_REQUIRE_BROWSER=1) but {CHROMIUM} is missing.")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run in one
    # unless told it is safe, which it is here (one thread, used synchronously).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def montana_world(transactional_db):
    user = montana_administrator()
    montana = court_with_accounts(montana_court(), live_on=dt.date(2021, 9, 27), per_state=3,
                                  linked_at=[dt.datetime(2021, 9, 28, 18, tzinfo=UTC) + dt.timedelta(days=d) for d in range(0, 60, 3)])
    bankruptcy = court_with_accounts(CourtFactory(court_id="MTBK", cmecf_code="mtb", name="Bankruptcy Court of Montana",
                                                  court_type=CourtType.BANKRUPTCY), live_on=None)
    CourtAdministrator.objects.get_or_create(user=user, court=bankruptcy)
    court_with_accounts(utah_court(), live_on=dt.date(2020, 2, 1))  # someone else's court
    court_counts_refresh()
    # Playwright's event loop gives the test its own context, so the connection opened here would
    # otherwise outlive the test and keep PostgreSQL from dropping the test database.
    connections.close_all()
    return montana


def test_court_administrator_filters_opens_a_court_and_downloads_its_csv(montana_world, live_server, chromium, tmp_path):
    shots = Path(settings.VAR_DIR) / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()

    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill("montana-admin")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")

    courts_table = page.locator("table.courts")
    assert "Bankruptcy Court of Montana" in courts_table.inner_text()
    assert "District of Utah" not in page.content()
    page.get_by_role("combobox", name="Type").select_option("district")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**court_type=district**")
    assert "District of Montana" in courts_table.inner_text()
    assert "Bankruptcy Court of Montana" not in courts_table.inner_text()
    page.screenshot(path=str(shots / "overview.png"), full_page=True)

    page.get_by_role("link", name="District of Montana").click()
    page.wait_for_url("**/courts/mtdc/")
    assert page.get_by_role("heading", name="Linked accounts since go-live").is_visible()
    page.get_by_role("combobox", name="Readiness").select_option("legacy")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**readiness=legacy**")
    rows = page.locator("table.accounts tbody tr")
    assert rows.count() == 3
    assert all("Legacy PACER account" in text for text in rows.all_inner_texts())
    page.screenshot(path=str(shots / "court.png"), full_page=True)

    with page.expect_download() as download_info:
        page.locator("section", has=page.get_by_role("heading", name="CM/ECF accounts")).get_by_role("link", name="CSV").click()
    target = tmp_path / "accounts.csv"
    download_info.value.save_as(target)
    with target.open(encoding="utf-8-sig", newline="") as handle:
        exported = list(csv.reader(handle))
    assert exported[0][:3] == ["Filer", "Name in CM/ECF", "CM/ECF login"]
    assert sorted(row[2] for row in exported[1:]) == ["mtdclegacy0", "mtdclegacy1", "mtdclegacy2"]
    assert {row[4] for row in exported[1:]} == {"Legacy PACER account to upgrade"}

    # The same two pages at phone width: they fit the width, every court and account row is shown in
    # full, and axe (WCAG 2.1 A/AA, under the site's policy: an init script) finds nothing.
    phone = chromium.new_context(viewport={"width": 390, "height": 844}, storage_state=context.storage_state())
    axe = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
    if axe.exists():
        phone.add_init_script(path=str(axe))
    phone_page = phone.new_page()
    for path, rows, shot in (("/", "table.courts tbody tr", "overview-phone.png"),
                             ("/courts/mtdc/", "table.accounts tbody tr", "court-phone.png")):
        phone_page.goto(f"{live_server.url}{path}")
        phone_page.screenshot(path=str(shots / shot), full_page=True)
        assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        boxes = [phone_page.locator(rows).nth(i).bounding_box() for i in range(phone_page.locator(rows).count())]
        assert boxes and all(b["x"] >= 0 and b["x"] + b["width"] <= 390 and b["height"] > 10 for b in boxes), path
        if axe.exists():
            found = phone_page.evaluate("async () => (await axe.run(document, {runOnly: {type: 'tag', values: "
                                        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations.map(v => v.id)")
            assert found == [], f"{path}: {found}"
    phone.close()
    context.close()
