"""Two PACER feed imports at the same moment: the second waits for the first and finds its courts."""
import threading

import pytest
from django.db import connection, transaction

from courts.models import Court
from courts.pacer_feed import parse_feed
from courts.services import courts_import_feed
from tests.conftest import wait_until_blocked_or_done

FEED = {"data": [
    {"court_id": "MTDC", "type": "District", "circuit": "09", "title": "Montana District Court",
     "court_name": "District of Montana", "login_url": "https://ecf.mtd.uscourts.gov"},
    {"court_id": "UTDC", "type": "District", "circuit": "10", "title": "Utah District Court",
     "court_name": "District of Utah", "login_url": "https://ecf.utd.uscourts.gov"},
]}


@pytest.mark.django_db(transaction=True)
def test_a_second_import_while_the_first_is_not_committed_waits_and_finds_its_courts():
    """Two people (or a deploy and `make setup`) importing at once: the second read no courts before
    the first committed, and stopped on the first's new court ids with a database error instead of
    finding them."""
    if connection.vendor != "postgresql":
        pytest.skip("two sessions need PostgreSQL; SQLite lets one writer in at a time")
    courts, _ = parse_feed(FEED)
    imported, release = threading.Event(), threading.Event()
    results, errors = {}, []

    def run(name, hold=False):
        try:
            with transaction.atomic():  # the import's transaction, kept open while the test looks
                results[name] = courts_import_feed(courts)
                if hold:
                    imported.set()
                    release.wait(30)
        except Exception as exc:  # reported by the assertions below, not lost in the thread
            errors.append(exc)
        finally:
            imported.set()
            connection.close()

    first = threading.Thread(target=run, args=("first", True))
    first.start()
    assert imported.wait(30)
    second = threading.Thread(target=run, args=("second",))
    second.start()
    # The second import either waits for the first's transaction, or (had it not) goes on at once.
    wait_until_blocked_or_done(second)
    release.set()
    first.join(30)
    second.join(30)
    assert errors == []
    assert sorted(results["first"].created) == ["MTDC", "UTDC"]
    assert (results["second"].created, sorted(results["second"].unchanged)) == ([], ["MTDC", "UTDC"])
    assert Court.objects.count() == 2
