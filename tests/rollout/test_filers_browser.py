"""A filer, then their court's administrator, in a real Chromium: the personal link from a real
email, every court with its next step, a self-reported link and a help request; then the dashboard's
counts, the help queue and the audit trail. Every filer-facing and public page passes an automated
accessibility check (axe-core from npm, injected into the page; no CDN)."""
from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect
from django.contrib.auth.models import Group, Permission
from django.db import connections

from accounts.models import CourtAdministrator
from courts.models import GoLiveStatus
from rollout.notices.dispatch import notices_dispatch
from rollout.notices.models import DeliveryState, NoticeDelivery
from rollout.notices.sending import deliveries_send
from tests.factories import (
    CmecfAccountFactory, GoLiveFactory, PacerAccountFactory, FilerFactory, guam_court, montana_administrator,
    montana_court, utah_court,
)
from tests.rollout.test_browser import chromium  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser
AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
MONTANA_LIVE = dt.date(2021, 9, 27)


@pytest.fixture
def axe():
    if not AXE.exists():
        if os.environ.get("ROLLOUT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{AXE} is missing: run `npm ci` (make test does).")
        pytest.skip(f"{AXE} is missing (npm ci)")

    def check(page, what: str) -> None:
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
            "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})")
        problems = [f"{v['id']}: {v['help']} ({len(v['nodes'])}× e.g. {v['nodes'][0]['html'][:120]})"
                    for v in result["violations"]]
        assert not problems, f"accessibility problems on {what}:\n" + "\n".join(problems)
    return check


@pytest.fixture
def filer_world(transactional_db, settings, live_server, smtp_sink):
    """Jane files at three courts: Montana (live, ready), Utah (scheduled: waiting), Guam (live, but
    CM/ECF holds another spelling of her name). Montana's go-live notice reaches the test mailbox."""
    settings.SITE_URL = live_server.url
    settings.NOTICES_CHUNK_SIZE = 50
    pacer = PacerAccountFactory(username="jqlawyer", holder_name="Jane Q. Lawyer")
    jane = FilerFactory(name="Jane Q. Lawyer", email="jane.lawyer@example.com", pacer_account=pacer)
    montana, utah, guam = montana_court(), utah_court(), guam_court()
    GoLiveFactory(court=montana, go_live_date=MONTANA_LIVE, status=GoLiveStatus.SCHEDULED)
    GoLiveFactory(court=utah, go_live_date=dt.date.today() + dt.timedelta(days=200), status=GoLiveStatus.SCHEDULED)
    GoLiveFactory(court=guam, go_live_date=dt.date(2022, 3, 1), status=GoLiveStatus.LIVE)
    CmecfAccountFactory(filer=jane, court=montana, login="lawyerjq", cmecf_name="Jane Q. Lawyer")
    CmecfAccountFactory(filer=jane, court=utah, login="jlawyer", cmecf_name="Jane Q. Lawyer")
    CmecfAccountFactory(filer=jane, court=guam, login="lawyerj", cmecf_name="Jane Lawyer-Smith")
    admin = montana_administrator()
    # A transactional test's flush removes the group the migrations made: make sure it holds what is used here.
    group, _ = Group.objects.get_or_create(name="Court administrators")
    group.permissions.add(*Permission.objects.filter(content_type__app_label="accounts", codename__in=[
        "view_helprequest", "change_helprequest", "view_auditentry", "view_cmecfaccount"]))
    admin.groups.add(group)
    CourtAdministrator.objects.get_or_create(user=admin, court=guam)
    notices_dispatch(montana.local_midnight(MONTANA_LIVE) + dt.timedelta(hours=9))
    deliveries_send(list(NoticeDelivery.objects.filter(state=DeliveryState.PENDING).values_list("id", flat=True)),
                    claimed_by="browser-test")
    (email,) = [m for m in smtp_sink.to("jane.lawyer@example.com") if ".mtdc@" in m.message_id]
    connections.close_all()
    return email


def test_a_filer_helps_themselves_and_the_court_sees_it(filer_world, live_server, chromium, axe):  # noqa: F811
    shots = Path(settings.VAR_DIR) / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    text = filer_world.message.get_body(("plain",)).get_content()
    (link,) = set(re.findall(r"http://\S+/me/[^\s]+/", text))

    # bypass_csp: axe is injected as a script of the test's own; the site's Content-Security-Policy
    # (no inline scripts) rightly refuses such a script otherwise.
    context = chromium.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    page = context.new_page()
    page.goto(link)
    assert page.get_by_role("heading", name="My NextGen CM/ECF status").is_visible()
    cards = {name: page.locator("section.login", has=page.get_by_role("heading", name=name))
             for name in ("District of Montana", "District of Utah", "District Court of Guam")}
    assert "Ready to link now" in cards["District of Montana"].inner_text()
    assert "Link this login now" in cards["District of Montana"].inner_text()
    assert "Wait until" in cards["District of Utah"].inner_text()
    assert "America/Denver time" in cards["District of Utah"].inner_text()
    assert "about the names" in cards["District Court of Guam"].inner_text()
    assert page.locator("input[type=password]").count() == 0
    axe(page, "the status page")
    page.screenshot(path=str(shots / "filer-status-phone.png"), full_page=True)

    with page.expect_navigation():
        cards["District of Montana"].get_by_role("button", name="I have linked lawyerjq").click()
    expect(page.get_by_role("status")).to_contain_text("we noted that you linked lawyerjq")

    guam = page.locator("section.login", has=page.get_by_role("heading", name="District Court of Guam"))
    guam.locator("summary").click()
    guam.get_by_label("The names on my CM/ECF and PACER accounts don't match").check()
    with page.expect_navigation():
        guam.get_by_role("button", name="Send to the District Court of Guam help desk").click()
    expect(page.get_by_role("status")).to_contain_text("Your request went to the District Court of Guam help desk")
    axe(page, "the status page after the filer's reports")

    assert "You told us on" in cards["District of Montana"].inner_text()
    page.goto(f"{live_server.url}/me/not-a-real-token/")
    assert "This link is not valid." in page.content()
    axe(page, "the refusal page")
    for path in ("/status/", "/status/mtdc/"):
        page.goto(live_server.url + path)
        axe(page, path)
    page.screenshot(path=str(shots / "status-court-phone.png"), full_page=True)
    context.close()

    # The court's administrator.
    admin = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = admin.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("montana-admin")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    help_card = page.locator("li.card", has_text="Open help requests")
    assert re.search(r"Open help requests\s*1", help_card.inner_text())
    page.goto(f"{live_server.url}/courts/mtdc/")
    reported = page.locator("tr", has_text="Linked by the filer's own report (unconfirmed)")
    assert reported.locator("td").inner_text().strip() == "1"

    page.goto(f"{live_server.url}/admin/accounts/helprequest/")
    page.get_by_role("link", name=re.compile(r"^\d+$")).first.click()
    page.wait_for_url("**/change/")
    assert "Jane Q. Lawyer" in page.content() and "lawyerj" in page.content()
    page.get_by_label("Status").select_option("resolved")
    page.get_by_label("Notes").fill("Called Jane: same person, verified.")
    page.get_by_label("Verify the names (same person)").check()
    page.screenshot(path=str(shots / "help-request-admin.png"), full_page=True)
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**/admin/accounts/helprequest/")
    assert "was changed successfully" in page.content()

    page.goto(f"{live_server.url}/admin/accounts/auditentry/")
    trail = page.locator("#result_list").inner_text()
    for text in ("link_reported_at", "filer status page", "status", "resolved", "name_review", "verified", "notes"):
        assert text in trail, text
    page.screenshot(path=str(shots / "audit-after-help.png"), full_page=True)
    admin.close()
