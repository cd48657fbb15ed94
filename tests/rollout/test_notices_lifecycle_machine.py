"""A go-live notice's deliveries under random sequences of senders dying, pausing, sweeps and time.

The "server" is an email backend that counts, per delivery, each message offered and each accepted.
A sender dies (`SenderDied`, a BaseException, so none of the send path's handlers runs: as a SIGKILL
leaves it) while a message is on the wire, before or after the server accepted it; a sender pauses
past the claim timeout with a message on the wire while the sweeper runs (and another sender, maybe,
sends what was taken back). After every step: a message
accepted twice is flagged `possible_duplicate`, a row marked sent was accepted, and no row counts more
tries than it was offered. At the end, with time passing and healthy senders, every row is final.
"""
import datetime as dt
import re
from collections import Counter

import pytest
from django.conf import settings as django_settings
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from courts.models import GoLiveStatus
from courts.selectors import court_ids_live
from rollout.notices.dispatch import deliveries_create, deliveries_reclaim_stale
from rollout.notices.models import DeliveryState, NoticeDelivery
from rollout.notices.sending import deliveries_send, new_claim_token
from tests.factories import GoLiveFactory, filer_at, montana_court

GO_LIVE = dt.date(2021, 9, 27)
RECIPIENTS = 6
MESSAGE_ID = re.compile(r"<delivery-(\d+)\.")


class SenderDied(BaseException):
    """The sender's process ends here: nothing after this line of the send path runs."""


class Server(BaseEmailBackend):
    """The relay, as the machine scripts it for the current sender (`plan`)."""

    offered: Counter = Counter()
    accepted: Counter = Counter()
    plan: dict = {}

    def send_messages(self, messages):
        for message in messages:
            delivery = int(MESSAGE_ID.match(message.extra_headers["Message-ID"]).group(1))
            position = self.plan["position"]
            self.plan["position"] += 1
            Server.offered[delivery] += 1
            if position == self.plan.get("die_at") and not self.plan["after_accepting"]:
                raise SenderDied
            Server.accepted[delivery] += 1
            if position == self.plan.get("die_at"):
                raise SenderDied
            if position == self.plan.get("pause_at"):
                self.plan["pause"]()
        return len(messages)


class NoticeDeliveries(RuleBasedStateMachine):
    @initialize()
    def setup(self):
        self.atomic = transaction.atomic()
        self.atomic.__enter__()  # each run rolls back in teardown
        Server.offered, Server.accepted = Counter(), Counter()
        court = montana_court()
        golive = GoLiveFactory(court=court, go_live_date=GO_LIVE, status=GoLiveStatus.SCHEDULED)
        for i in range(RECIPIENTS):
            filer_at(court, name=f"Filer {i} O'Brien")
        self.now = court.local_midnight(GO_LIVE) + dt.timedelta(hours=9)
        deliveries_create(golive, "golive", "golive", live_court_ids=court_ids_live(self.now))
        self.ids = list(NoticeDelivery.objects.order_by("id").values_list("id", flat=True))

    def teardown(self):
        if not hasattr(self, "atomic"):
            return
        try:
            self.recover()
        finally:
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

    def send(self, **plan):
        Server.plan = {"position": 0, "after_accepting": False, **plan}
        try:
            deliveries_send(self.ids, claimed_by=new_claim_token("machine"), now=self.now)
        except SenderDied:
            pass

    def sweep(self):
        deliveries_reclaim_stale(now=self.now)

    def pause_past_the_claim_timeout(self, another_sender: bool):
        self.now += dt.timedelta(seconds=django_settings.NOTICES_CLAIM_TIMEOUT_SECONDS + 1)
        self.sweep()
        if another_sender:  # the rows taken back are sent by someone else before the paused one wakes
            paused = Server.plan
            self.send()
            Server.plan = paused

    def recover(self):
        """Time passes, beat sweeps, healthy senders run: every row ends sent or failed."""
        for _ in range(3 * django_settings.NOTICES_MAX_RETRIES):
            if not NoticeDelivery.objects.filter(state__in=[DeliveryState.PENDING, DeliveryState.SENDING]).exists():
                break
            self.now += dt.timedelta(seconds=django_settings.NOTICES_CLAIM_TIMEOUT_SECONDS + 1)
            self.sweep()
            self.send()
        for row in NoticeDelivery.objects.all():
            assert row.state in (DeliveryState.SENT, DeliveryState.FAILED), (row.id, row.state)
            if row.state == DeliveryState.FAILED:  # only a message that killed its sender on every try
                assert row.attempts > django_settings.NOTICES_MAX_RETRIES and row.possible_duplicate, row.id

    # --- steps -------------------------------------------------------------------------------------

    @rule()
    def a_healthy_sender_runs(self):
        self.send()

    @rule(at=st.integers(0, RECIPIENTS - 1), after_accepting=st.booleans())
    def a_sender_dies_with_a_message_on_the_wire(self, at, after_accepting):
        self.send(die_at=at, after_accepting=after_accepting)

    @rule(at=st.integers(0, RECIPIENTS - 1), another_sender=st.booleans())
    def a_sender_pauses_past_the_claim_timeout_while_the_sweeper_runs(self, at, another_sender):
        self.send(pause_at=at, pause=lambda: self.pause_past_the_claim_timeout(another_sender))

    @rule(seconds=st.integers(1, 45))
    def time_passes_and_beat_sweeps(self, seconds):
        self.now += dt.timedelta(seconds=seconds)
        self.sweep()

    # --- what must hold after every step ----------------------------------------------------------

    @invariant()
    def a_message_accepted_twice_is_flagged(self):
        flagged = set(NoticeDelivery.objects.filter(possible_duplicate=True).values_list("id", flat=True))
        assert {d for d, n in Server.accepted.items() if n > 1} <= flagged

    @invariant()
    def a_row_marked_sent_was_accepted(self):
        sent = NoticeDelivery.objects.filter(state=DeliveryState.SENT).values_list("id", flat=True)
        assert all(Server.accepted[d] >= 1 for d in sent)

    @invariant()
    def no_row_counts_a_try_it_was_not_offered(self):
        for delivery, attempts in NoticeDelivery.objects.values_list("id", "attempts"):
            assert attempts <= Server.offered[delivery], delivery


@pytest.mark.django_db
def test_notice_deliveries_are_never_resent_silently_nor_lost(settings_override):
    run_state_machine_as_test(NoticeDeliveries, settings=settings(
        max_examples=20, stateful_step_count=12, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]))


@pytest.fixture
def settings_override(settings):
    settings.EMAIL_BACKEND = f"{__name__}.Server"
    settings.NOTICES_MAX_PER_SECOND = 0
    return settings
