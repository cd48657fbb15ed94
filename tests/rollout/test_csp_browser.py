"""With the Content-Security-Policy on (no inline script or style), every page still looks as meant
in a real Chromium: no policy violation reported, the stylesheets applied, the progress bars drawn."""
from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from tests.rollout.test_browser import chromium, montana_world  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

PAGES = ["/", "/courts/mtdc/", "/upcoming/", "/admin/", "/admin/accounts/cmecfaccount/", "/admin/courts/golive/",
         "/admin/accounts/cmecfaccount/import/", "/admin/courts/court/", "/admin/rollout/noticetemplate/",
         "/admin/rollout/noticetemplate/add/", "/admin/rollout/noticetemplate/defaults/reminder/preview/"]


def test_pages_render_under_the_policy_without_violations(montana_world, live_server, chromium, django_user_model):  # noqa: F811
    from django.db import connections

    django_user_model.objects.create_superuser("csp-admin", "csp@example.com", "csp-Pa55word-long")
    connections.close_all()  # (see montana_world: a connection opened here would outlive the test)
    shots = Path(settings.VAR_DIR) / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    violations = []
    page.on("console", lambda m: violations.append(f"{page.url}: {m.text}") if "Content Security Policy" in m.text else None)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("csp-admin")
    page.get_by_label("Password").fill("csp-Pa55word-long")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    for path in PAGES:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.screenshot(path=str(shots / f"csp{path.replace('/', '_') or '_'}.png"), full_page=True)
        if path in ("/", "/courts/mtdc/"):
            # site.css applied (its bar width), and the SVG bar drawn from its attribute.
            bar = page.locator("svg.bar").first
            assert bar.bounding_box()["width"] > 40
            assert page.locator("svg.bar rect").first.evaluate("r => r.getBBox().width") > 0
            # …and no bar stretches the page wider than the window.
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        if path == "/admin/courts/golive/":
            padding = page.locator("form.date-range-filter").first.evaluate("f => getComputedStyle(f).paddingLeft")
            assert padding == "15px"
    # An upload leads to its job's page, which follows the task by reloading itself (no script).
    page.goto(f"{live_server.url}/admin/accounts/cmecfaccount/import/")
    page.locator("select[name=court]").select_option(index=1)
    page.locator("input[name=file]").set_input_files(files=[{
        "name": "roster.csv", "mimeType": "text/csv",
        "buffer": b"name,email,cmecf_login,pacer_username,pacer_created_on,upgraded,shared_account\n"}])
    page.get_by_role("button", name="Dry run").click()
    page.wait_for_url("**job=**")
    assert page.locator("meta[http-equiv=refresh]").count() == 1
    assert "rows read so far" in page.content()
    page.screenshot(path=str(shots / "csp_import_job.png"), full_page=True)
    assert violations == []
    context.close()
