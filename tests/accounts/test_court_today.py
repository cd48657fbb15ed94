"""Imports judge "today" by the court's own calendar, not the server's."""
import datetime as dt
from unittest import mock

import pytest

from accounts.imports.link_report import link_report_import
from accounts.models import CmecfAccount
from courts.models import GoLiveStatus
from tests.factories import GoLiveFactory, filer_at, guam_court

pytestmark = pytest.mark.django_db
# 23:00 UTC on March 9 is 09:00 on March 10 in Guam and 19:00 on March 9 in New York (the site's zone).
NOW = dt.datetime(2026, 3, 9, 23, tzinfo=dt.timezone.utc)


def guam_link_report(tmp_path, linked_on: str, *, apply: bool):
    """A Guam court live since January with one login, and a link report dated `linked_on`, imported
    at NOW (the import's today comes from the clock: held there, as it takes no `now`)."""
    court = guam_court()
    GoLiveFactory(court=court, go_live_date=dt.date(2026, 1, 5), status=GoLiveStatus.LIVE)
    filer_at(court, login="gu0")
    path = tmp_path / "links.csv"
    path.write_text(f"cmecf_login,linked_on\ngu0,{linked_on}\n")
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        return court, link_report_import(court, path, apply=apply)


def test_a_link_report_takes_links_dated_the_courts_today_while_the_server_is_still_on_yesterday(tmp_path):
    court, report = guam_link_report(tmp_path, "2026-03-10", apply=True)
    assert report.errors == []
    assert CmecfAccount.objects.get(login="gu0").linked_at == court.local_midnight(dt.date(2026, 3, 10))


def test_a_link_report_still_refuses_a_date_after_the_courts_today(tmp_path):
    _, report = guam_link_report(tmp_path, "2026-03-11", apply=False)
    assert [e.reason for e in report.errors] == ["date 2026-03-11 is in the future"]
