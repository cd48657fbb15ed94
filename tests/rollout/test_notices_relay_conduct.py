"""How a sender copes with a relay that is slow, refuses the sender, refuses the configuration, or is
given an address it cannot take; and that the sweeper flags only what it took back."""
import datetime as dt
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Filer
from rollout.notices import dispatch
from rollout.notices.models import BouncedAddress, DeliveryState, NoticeDelivery
from rollout.notices.relay import relay_last_connection
from rollout.notices.sending import deliveries_claim, deliveries_send, new_claim_token
from tests.rollout.test_notices_delivery import go_live_rows

pytestmark = pytest.mark.django_db(transaction=True)


def outcomes(ids):
    rows = NoticeDelivery.objects.in_bulk(ids)
    return [(rows[i].state, rows[i].attempts, rows[i].possible_duplicate) for i in ids]


def test_a_relay_slower_than_the_claim_timeout_gets_each_message_once(smtp_sink, settings, monkeypatch):
    """Each message waits about 2 s on the relay (RCPT, then DATA), longer than a 1.5 s claim
    timeout; the sweeper runs every 0.3 s and publishes what it takes back to a new sender, as a
    worker would. The sender's claim is kept while it waits, so nothing is taken back."""
    import asyncio

    settings.NOTICES_CLAIM_TIMEOUT_SECONDS = 1.5
    smtp_sink.delay = 1.0

    async def slow_rcpt(server, session, envelope, address, rcpt_options):
        await asyncio.sleep(1.0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    smtp_sink.handle_RCPT = slow_rcpt
    senders = []

    def sender(ids):
        try:
            deliveries_send(ids, claimed_by=new_claim_token("test"))
        finally:
            connection.close()

    def publish(ids):
        senders.append(threading.Thread(target=sender, args=(ids,)))
        senders[-1].start()

    monkeypatch.setattr(dispatch, "_publish", publish)
    court, now, ids = go_live_rows(3)
    publish(ids)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and NoticeDelivery.objects.exclude(state=DeliveryState.SENT).exists():
        time.sleep(0.3)
        dispatch.deliveries_reclaim_stale()
    for thread in senders:
        thread.join()
    assert sorted(smtp_sink.per_recipient().values()) == [1, 1, 1]
    assert outcomes(ids) == [(DeliveryState.SENT, 1, False)] * 3
    assert len(senders) == 1


def test_an_address_whose_domain_has_no_ascii_form_fails_alone_and_is_marked_undeliverable(smtp_sink):
    court, now, ids = go_live_rows(4)
    bad = "anna@" + "é" * 60 + ".example"  # a label over 63 characters once in IDNA
    Filer.objects.filter(id=NoticeDelivery.objects.get(id=ids[0]).filer_id).update(email=bad)
    deliveries_send(ids, claimed_by="run", now=now)
    assert outcomes(ids) == [(DeliveryState.FAILED, 0, False)] + [(DeliveryState.SENT, 1, False)] * 3
    assert "IDNA" in NoticeDelivery.objects.get(id=ids[0]).last_error
    assert BouncedAddress.objects.get(email=bad).undeliverable_at is not None
    assert len(smtp_sink.messages) == 3


def test_a_relay_refusing_the_sender_costs_no_try_names_the_relay_and_sends_all_once_it_takes_them(
        smtp_sink, settings):
    """451 at every MAIL FROM (its queue full) for more rounds than there are tries: nothing fails,
    /healthz's relay record names the refusal, and each message goes once the relay takes mail."""
    settings.NOTICES_MAX_RETRIES = 2
    refusing = {"on": True}

    async def handle_MAIL(server, session, envelope, address, mail_options):
        if refusing["on"]:
            return "451 4.3.1 Insufficient system storage"
        envelope.mail_from = address
        return "250 OK"

    smtp_sink.handle_MAIL = handle_MAIL
    court, now, ids = go_live_rows(3)
    for round_ in range(settings.NOTICES_MAX_RETRIES + 3):
        result = deliveries_send(ids, claimed_by=f"round {round_}", now=now)
        assert result.released == 3
        NoticeDelivery.objects.update(next_attempt_at=None)  # their retry time has come
    assert outcomes(ids) == [(DeliveryState.PENDING, 0, False)] * 3
    assert "451" in NoticeDelivery.objects.get(id=ids[0]).last_error
    age, error = relay_last_connection()
    assert error == "SMTPSenderRefused 451"
    refusing["on"] = False
    deliveries_send(ids, claimed_by="after", now=now)
    assert sorted(smtp_sink.per_recipient().values()) == [1, 1, 1]
    assert outcomes(ids) == [(DeliveryState.SENT, 1, False)] * 3


def test_a_relay_that_does_not_offer_starttls_ends_the_rows_failed_after_their_tries(smtp_sink, settings):
    """A configuration the relay refuses is not a passing outage: the rows count tries and end
    failed with the error, instead of cycling for ever."""
    settings.EMAIL_USE_TLS = True  # the sink offers no STARTTLS
    settings.NOTICES_MAX_RETRIES = 1
    court, now, ids = go_live_rows(2)
    for round_ in range(settings.NOTICES_MAX_RETRIES + 1):
        deliveries_send(ids, claimed_by=f"round {round_}", now=now)
        NoticeDelivery.objects.update(next_attempt_at=None)
    assert outcomes(ids) == [(DeliveryState.FAILED, 2, False)] * 2
    assert "STARTTLS" in NoticeDelivery.objects.get(id=ids[0]).last_error
    assert smtp_sink.messages == []


def test_the_sweeper_flags_and_charges_only_rows_it_took_back(settings, monkeypatch):
    """The sender marks its first row sent and renews the rest between the sweeper's look at the
    stale rows and its update: nothing is taken back, flagged or charged."""
    court, now, ids = go_live_rows(3)
    deliveries_claim(ids, "slow", now=timezone.now() - dt.timedelta(seconds=settings.NOTICES_CLAIM_TIMEOUT_SECONDS + 10))
    atomic = dispatch.transaction.atomic
    landed = []

    def sender_lands_first(*args, **kwargs):
        if not landed:
            landed.append(True)
            NoticeDelivery.objects.filter(id=ids[0]).update(state=DeliveryState.SENT, attempts=1)
            NoticeDelivery.objects.filter(id__in=ids[1:]).update(claimed_at=timezone.now())
        return atomic(*args, **kwargs)

    monkeypatch.setattr(dispatch.transaction, "atomic", sender_lands_first)
    assert dispatch.deliveries_reclaim_stale() == []
    assert outcomes(ids) == [(DeliveryState.SENT, 1, False)] + [(DeliveryState.SENDING, 0, False)] * 2
