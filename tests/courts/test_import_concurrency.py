"""Imports at the same moment as another import or an administrator's edit: the second import waits for
the first and finds its courts; an import writes only what it changes, so the edit is kept."""
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


@pytest.mark.django_db(transaction=True)
def test_an_administrators_rename_made_while_an_import_runs_is_kept():
    """A superuser renames a court while an import that changes another of its fields runs: the
    import had read the court before the rename, and wrote all its fields back, the old name and
    "not overridden" with them, so the rename was lost and later imports went on writing the feed's name."""
    if connection.vendor != "postgresql":
        pytest.skip("two sessions need PostgreSQL; SQLite lets one writer in at a time")
    from courts.services import court_set_name

    courts_import_feed(parse_feed(FEED)[0])
    retitled, _ = parse_feed({"data": [{**FEED["data"][0], "title": "Montana District Court (Helena)"},
                                       FEED["data"][1]]})
    locked, release = threading.Event(), threading.Event()
    errors = []

    def administrator():
        try:
            with transaction.atomic():
                # The court's row held, so the import's write waits for the rename that follows.
                court = Court.objects.select_for_update().get(court_id="MTDC")
                locked.set()
                release.wait(30)
                court_set_name(court, "Montana federal district court")
        except Exception as exc:  # reported by the assertions below, not lost in the thread
            errors.append(exc)
        finally:
            locked.set()
            connection.close()

    def importer():
        try:
            courts_import_feed(retitled)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    renaming = threading.Thread(target=administrator)
    renaming.start()
    assert locked.wait(30)
    importing = threading.Thread(target=importer)
    importing.start()
    # The import has read the courts once it waits for the court's row (or, had it finished, it did).
    wait_until_blocked_or_done(importing)
    release.set()
    renaming.join(30)
    importing.join(30)
    assert errors == []
    court = Court.objects.get(court_id="MTDC")
    assert (court.name, court.name_overridden) == ("Montana federal district court", True)
    assert court.title == "Montana District Court (Helena)"
