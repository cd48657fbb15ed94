"""The stored per-court counts the dashboard reads stay equal to a live recount under concurrent writes."""
from __future__ import annotations

import datetime as dt
import random
import threading
import time

import pytest
from django.db import OperationalError, connection, connections, transaction

from accounts.counts import court_counts_refresh, court_counts_touch, stored_readiness_counts
from accounts.models import CmecfAccount, Filer, PacerAccount, normalize_name
from accounts.readiness import Readiness
from accounts.selectors import cmecf_accounts_with_readiness, readiness_counts
from accounts.services import (
    LinkRefused, cmecf_account_link, cmecf_account_set_name_review, cmecf_account_unlink, pacer_account_upgrade,
)
from courts.models import Court
from tests.factories import CourtFactory, court_with_accounts, montana_court, utah_court

UTC = dt.timezone.utc
OPERATIONS_PER_THREAD = 25


def _retrying(operation, *args):
    """SQLite serializes writers (an in-memory test database even refuses instead of waiting):
    retry a refused write, as a web request would be retried. PostgreSQL never needs it here."""
    for attempt in range(200):
        try:
            return operation(*args)
        except OperationalError as exc:
            if "locked" not in str(exc) or connection.vendor != "sqlite":
                raise
            time.sleep(0.005 + random.random() * 0.01)
    raise AssertionError(f"{operation.__name__} kept finding the database locked")


def _link(rng: random.Random, court_ids: list[int]) -> None:
    ready = list(cmecf_accounts_with_readiness(CmecfAccount.objects.filter(court_id__in=court_ids))
                 .filter(readiness=Readiness.READY).values_list("pk", flat=True)[:20])
    if ready:
        try:
            cmecf_account_link(CmecfAccount.objects.get(pk=rng.choice(ready)))
        except LinkRefused:
            pass  # another thread linked it first: the service refused, as it should


def _unlink(rng: random.Random, court_ids: list[int]) -> None:
    linked = list(CmecfAccount.objects.filter(court_id__in=court_ids, linked_at__isnull=False).values_list("pk", flat=True)[:20])
    if linked:
        cmecf_account_unlink(CmecfAccount.objects.get(pk=rng.choice(linked)))


def _import(rng: random.Random, court_ids: list[int]) -> None:
    """Like a bulk import: new filers and accounts over two courts, touched once after the batch.
    One of the two is always the last court, which nothing but imports changes: an import that
    forgot to touch its courts would leave that court's stored counts behind."""
    tag = f"{threading.get_ident()}-{time.monotonic_ns()}-{rng.randrange(10**9)}"
    chosen = [rng.choice(court_ids[:-1]), court_ids[-1]]
    with transaction.atomic():
        pacer = PacerAccount.objects.create(username=f"imp-{tag}", holder_name=f"Imported {tag}",
                                            created_on=rng.choice([dt.date(2009, 1, 1), dt.date(2018, 1, 1)]),
                                            upgraded=rng.random() < 0.5)
        filer = Filer.objects.create(name=f"Imported {tag}", email=f"imp-{tag}@example.com",
                                     pacer_account=pacer if rng.random() < 0.8 else None)
        CmecfAccount.objects.bulk_create([
            CmecfAccount(filer=filer, court_id=court_id, login=f"imp{tag}", cmecf_name=filer.name,
                         name_key=normalize_name(filer.name))
            for court_id in chosen
        ])
        court_counts_touch(chosen)


def _upgrade(rng: random.Random, court_ids: list[int]) -> None:
    legacy = list(PacerAccount.objects.filter(upgraded=False, created_on__lt=dt.date(2014, 8, 11),
                                              filers__cmecf_accounts__court_id__in=court_ids)
                  .exclude(username__startswith="imp-").values_list("pk", flat=True)[:20])
    if legacy:
        pacer_account_upgrade(PacerAccount.objects.get(pk=rng.choice(legacy)))


def _flag(rng: random.Random, court_ids: list[int]) -> None:
    pk = CmecfAccount.objects.filter(court_id__in=court_ids).order_by("?").values_list("pk", flat=True).first()
    if pk:
        cmecf_account_set_name_review(CmecfAccount.objects.get(pk=pk), rng.choice(["", "flagged", "verified"]))


def _recount(rng: random.Random, court_ids: list[int]) -> None:
    """The nightly safety-net recount of many courts, running while the writers work."""
    court_counts_refresh(rng.sample(court_ids, len(court_ids)))


OPERATIONS = [_link, _link, _unlink, _import, _upgrade, _flag, _recount]


def _worker(seed: int, court_ids: list[int], errors: list[BaseException]) -> None:
    rng = random.Random(seed)
    try:
        for _ in range(OPERATIONS_PER_THREAD):
            operation = rng.choice(OPERATIONS)
            _retrying(operation, rng, court_ids if operation is _import else court_ids[:-1])
    except BaseException as exc:  # reported by the main thread
        errors.append(exc)
    finally:
        connections.close_all()


def _nonzero(counts: dict[int, dict[str, int]]) -> dict[int, dict[str, int]]:
    return {court: per for court, per in counts.items() if any(per.values())}


@pytest.mark.django_db(transaction=True)
def test_stored_counts_equal_a_live_recount_after_concurrent_links_unlinks_and_imports():
    courts = [court_with_accounts(montana_court(), live_on=dt.date(2021, 9, 27), per_state=4,
                                  linked_at=[dt.datetime(2021, 10, 1, 18, tzinfo=UTC)] * 3),
              court_with_accounts(utah_court(), live_on=dt.date(2020, 2, 1), per_state=4),
              court_with_accounts(CourtFactory(court_id="CCDC", name="Concurrency District"), live_on=dt.date(2022, 3, 1), per_state=4)]
    court_counts_refresh()
    court_ids = [court.id for court in courts]
    threads_count = 3 if connection.vendor == "sqlite" else 8
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_worker, args=(seed, court_ids, errors)) for seed in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    live = readiness_counts(CmecfAccount.objects.all())
    assert _nonzero(stored_readiness_counts()) == _nonzero(live)
    assert sum(sum(per.values()) for per in live.values()) > 15 * 3  # the imports happened
    assert Court.objects.count() == 3


def _recount_many(seed: int, court_ids: list[int], errors: list[BaseException]) -> None:
    rng = random.Random(seed)
    try:
        for _ in range(40):
            _retrying(court_counts_refresh, rng.sample(court_ids, 6))
    except BaseException as exc:
        errors.append(exc)
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_concurrent_recounts_of_overlapping_courts_never_deadlock():
    """Each recount locks its courts' counter rows; locked in different orders, two recounts of
    overlapping courts would wait on each other and PostgreSQL would abort one (a lost recount)."""
    court_ids = [CourtFactory(court_id=f"D{i:02d}DC", name=f"Deadlock District {i}").id for i in range(20)]
    court_counts_refresh(court_ids)
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_recount_many, args=(seed, court_ids, errors))
               for seed in range(3 if connection.vendor == "sqlite" else 10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
