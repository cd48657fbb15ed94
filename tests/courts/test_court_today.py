"""The feed import dates a court's software change by the court's own calendar."""
import datetime as dt
from dataclasses import replace

import pytest

from courts.models import SoftwareVersionChange
from courts.pacer_feed import load_feed, parse_feed
from courts.services import courts_import_feed
from tests.factories import guam_court, hawaii_court

pytestmark = pytest.mark.django_db
# 23:00 UTC on March 9 is 09:00 on March 10 in Guam, 19:00 on March 9 in New York (the site's zone)
# and 13:00 on March 9 in Honolulu.
NOW = dt.datetime(2026, 3, 9, 23, tzinfo=dt.timezone.utc)


def _records_with_new_version(feed_path, *courts):
    records, _ = parse_feed(load_feed(str(feed_path), timeout=5))
    by_id = {record.court_id: record for record in records}
    return [replace(by_id[court.court_id], time_zone=court.time_zone, software_version="NextGen 1.8") for court in courts]


def test_a_software_change_is_dated_with_each_courts_own_today(feed_path):
    guam, hawaii = guam_court(), hawaii_court()
    for court in (guam, hawaii):
        court.software_version = "6.3"
        court.save()
    courts_import_feed(_records_with_new_version(feed_path, guam, hawaii), now=NOW)
    seen = dict(SoftwareVersionChange.objects.values_list("court__court_id", "seen_on"))
    assert seen == {"GUDC": dt.date(2026, 3, 10), "HIDC": dt.date(2026, 3, 9)}


def test_a_given_seen_on_still_wins(feed_path):
    guam = guam_court()
    guam.software_version = "6.3"
    guam.save()
    courts_import_feed(_records_with_new_version(feed_path, guam), now=NOW, seen_on=dt.date(2026, 3, 1))
    assert SoftwareVersionChange.objects.get().seen_on == dt.date(2026, 3, 1)
