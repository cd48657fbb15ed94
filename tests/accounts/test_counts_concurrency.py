"""Stored readiness counts equal a live recount after writes that race each other."""
import datetime as dt
import threading

import psycopg
import pytest
from django.db import connection

from accounts.counts import court_counts_refresh, stored_readiness_counts
from accounts.models import CmecfAccount
from accounts.selectors import readiness_counts
from accounts.services import pacer_account_upgrade
from tests.accounts.admin_helpers import live, montana_court
from tests.conftest import wait_until_blocked_or_done
from tests.factories import CmecfAccountFactory, FilerFactory, PacerAccountFactory, utah_court


@pytest.mark.django_db(transaction=True)
def test_a_pacer_account_upgraded_while_its_holder_gets_a_login_elsewhere_is_recounted_there(monkeypatch):
    """Another session adds a Utah login for the holder while the upgrade runs: had the upgrade read
    its courts before that login's commit and committed after Utah's recount, Utah would keep
    counting the account as legacy. The upgrade locks the holder, so the login's commit waits."""
    if connection.vendor != "postgresql":
        pytest.skip("two sessions need PostgreSQL")
    montana, utah = live(montana_court()), live(utah_court())
    pacer = PacerAccountFactory(username="leelegacy", holder_name="Lee Legacy", created_on=dt.date(2010, 1, 1))
    filer = FilerFactory(name="Lee Legacy", pacer_account=pacer)
    CmecfAccountFactory(court=montana, filer=filer, login="leemt", cmecf_name="Lee Legacy")
    court_counts_refresh()
    other = psycopg.connect(**connection.get_connection_params())
    other.execute(  # Utah's new login, not committed yet
        "INSERT INTO accounts_cmecfaccount (filer_id, court_id, login, cmecf_name, name_key, name_review, "
        "created_at, updated_at) VALUES (%s, %s, 'leeut', 'Lee Legacy', 'LEE LEGACY', '', now(), now())",
        [filer.pk, utah.pk])

    import accounts.services

    counted, release = threading.Event(), threading.Event()
    touch = accounts.services.court_counts_touch

    def held_touch(ids):  # the upgrade has read its courts: it waits here before committing
        counted.set()
        release.wait(30)
        touch(ids)

    monkeypatch.setattr(accounts.services, "court_counts_touch", held_touch)

    def upgrade():
        try:
            pacer_account_upgrade(pacer)
        finally:
            connection.close()

    worker = threading.Thread(target=upgrade)
    worker.start()
    assert counted.wait(30)

    def utah_commits():  # Utah's login lands, and Utah is recounted, as its service does after the commit
        try:
            other.commit()
            court_counts_refresh([utah.pk])
        finally:
            connection.close()

    committer = threading.Thread(target=utah_commits)
    committer.start()
    # Utah's commit either goes through at once, or waits for the upgrade's lock on the holder (its
    # deferred foreign-key check): then the upgrade may go on.
    wait_until_blocked_or_done(committer)
    release.set()
    worker.join(30)
    committer.join(30)
    other.close()
    assert stored_readiness_counts([montana.pk, utah.pk]) == readiness_counts(CmecfAccount.objects.all())
