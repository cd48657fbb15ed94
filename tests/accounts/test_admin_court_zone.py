"""The CM/ECF account, filer and audit pages of the admin show a court's times in that court's zone, and
say so; the audit trail's date filter cuts days at each court's midnight. The viewer is in New York (the
site's zone, no preference of their own); Guam keeps ChST (UTC+10)."""
import datetime as dt
import re

import pytest
from django.urls import reverse

from accounts.audit import audit_record
from accounts.self_service import cmecf_account_report_linked
from courts.models import GoLiveStatus
from tests.factories import GoLiveFactory, filer_at, guam_court, montana_court

pytestmark = pytest.mark.django_db
UTC = dt.timezone.utc
# 2026-03-10 09:00 in Guam is 2026-03-09 19:00 in New York.
GUAM_TUESDAY_MORNING = dt.datetime(2026, 3, 9, 23, 0, tzinfo=UTC)



@pytest.fixture
def guam_account():
    court = guam_court()
    GoLiveFactory(court=court, go_live_date=dt.date(2026, 1, 5), status=GoLiveStatus.LIVE)
    return filer_at(court, login="gu1")


def _page(response) -> str:
    assert response.status_code == 200
    return response.content.decode().replace("&#x27;", "'")


def test_account_pages_recent_changes_show_a_stored_time_in_the_courts_zone(client, viewer, guam_account):
    cmecf_account_report_linked(guam_account.filer, guam_account.pk, now=GUAM_TUESDAY_MORNING)
    page = _page(client.get(reverse("admin:accounts_cmecfaccount_change", args=[guam_account.pk])))
    table = re.search(r"<table><tr><th>when</th>.*?</table>", page, re.S).group(0)
    assert "<td>link_reported_at</td><td>—</td><td>2026-03-10 09:00 ChST</td>" in table
    assert "2026-03-09T" not in table


def test_filer_page_shows_each_accounts_link_time_in_its_courts_zone(client, viewer, guam_account):
    guam_account.linked_at = GUAM_TUESDAY_MORNING
    guam_account.save()
    page = _page(client.get(reverse("admin:accounts_filer_change", args=[guam_account.filer.pk])))
    cell = re.search(r'class="field-linked_at_local">(.*?)</td>', page, re.S)
    assert cell and cell.group(1).strip() == "<p>2026-03-10 09:00 ChST</p>"
    assert "Linked at (court time)" in page
    assert "2026-03-09 19:00 EDT" not in page


def test_audit_entry_page_shows_its_time_in_the_courts_zone_and_says_so(client, viewer, guam_account):
    entry = audit_record(guam_account, "name_review", "automatic", "flagged", source="t", at=GUAM_TUESDAY_MORNING)
    page = _page(client.get(reverse("admin:accounts_auditentry_change", args=[entry.pk])))
    assert "2026-03-10 09:00 ChST" in page
    assert "2026-03-09 19:00 EDT" not in page
    assert "Times on this page are in GUDC's time zone, Pacific/Guam" in page


def _listed(client, **params) -> set[int]:
    response = client.get(reverse("admin:accounts_auditentry_changelist"), params)
    assert response.status_code == 200
    return {entry.pk for entry in response.context["cl"].result_list}


def test_audit_trail_filters_a_day_by_each_courts_own_midnight(client, viewer, guam_account):
    guam = audit_record(guam_account, "name_review", "automatic", "flagged", source="t", at=GUAM_TUESDAY_MORNING)
    montana = audit_record(filer_at(montana_court(), login="mt1"), "name_review", "automatic", "flagged", source="t",
                           at=dt.datetime(2026, 3, 10, 2, 0, tzinfo=UTC))  # Montana Monday 20:00 MDT
    # No court: the viewer's own day (New York Monday 22:00).
    courtless = audit_record(guam_account.filer, "name", "A", "B", source="t",
                             at=dt.datetime(2026, 3, 10, 2, 0, tzinfo=UTC))
    assert courtless.court_id is None
    assert _listed(client, court_day="2026-03-10") == {guam.pk}
    assert _listed(client, court_day="2026-03-09") == {montana.pk, courtless.pk}


def test_audit_trail_offers_no_filter_by_the_viewers_days(client, viewer, guam_account):
    audit_record(guam_account, "name_review", "automatic", "flagged", source="t", at=GUAM_TUESDAY_MORNING)
    page = _page(client.get(reverse("admin:accounts_auditentry_changelist")))
    assert "at__day" not in page and "at__gte" not in page and "at__month" not in page
    assert "date (court time)" in page
    assert client.get(reverse("admin:accounts_auditentry_changelist"), {"court_day": "abc"}).status_code == 302
