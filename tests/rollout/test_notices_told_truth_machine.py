"""What each filer was last told stays true after any sequence of staff changes.

Random sequences of what staff do to a go-live a few weeks ahead — move the date, postpone it, set
it again, take its date away, set or clear the filing pause, change the emergency-filing instructions, mark the court
live early (and the beat's dispatch of the go-live notice), withdraw "live" by postponing or by
setting a date again, keep a court template written before some of the facts a notice must tell
existed — with filers joining the roster at any time, days passing (the beat turns the court live on
its day and dispatches the go-live notice and reminders), and the send queue drained at random
moments (as of that moment). Whenever the queue has been drained, the last
email each filer received that states the go-live date says the date that holds (or that the switch
is postponed), and the last one that states the filing pause gives the pause that holds, with the
instructions that hold, or says there is none.
"""
import datetime as dt
import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from courts.models import GoLive, GoLiveStatus
from courts.selectors import golive_facts
from courts.services import (
    golive_change, golive_mark_live, golive_postpone, golive_schedule, golive_set, golive_set_blackout,
    golive_unschedule, golives_mark_live_due,
)
from rollout.notices.dispatch import notices_dispatch
from rollout.notices.models import DeliveryState, NoticeDelivery, NoticeKind, NoticeTemplate
from rollout.notices.rendering import TOLD_FACTS, TemplateSource, default_source
from rollout.notices.sending import deliveries_send, new_claim_token
from tests.factories import GoLiveFactory, filer_at, montana_court

UTC = dt.timezone.utc
START = dt.datetime(2027, 4, 1, 18, tzinfo=UTC)
FIRST_DAY = dt.date(2027, 4, 26)  # a Monday, 25 days ahead: the prepare notice is due at once
INSTRUCTIONS = ["", "Email emergency filings to intake@mtd.uscourts.gov.",
                "Call the clerk's office at 406-555-0199 for an emergency filing."]
STATES_DATE = (NoticeKind.PREPARE, NoticeKind.DATE_CHANGED, NoticeKind.GOLIVE, NoticeKind.REMINDER)
STATES_PAUSE = (NoticeKind.PREPARE, NoticeKind.DATE_CHANGED, NoticeKind.BLACKOUT_CHANGED, NoticeKind.GOLIVE)
DELIVERY_ID = re.compile(r"<delivery-(\d+)\.")
MOMENT = r"\w+day, \w+ \d+, \d{4} at \d+:\d\d [AP]M \w+"
# The pause a notice states as the one that holds (not the one it replaces, nor one called off).
STATED_PAUSE = re.compile(rf"(?:pauses|will pause|will now pause|is paused|stays as we wrote to you:) "
                          rf"from (?P<start>{MOMENT}) until (?P<end>{MOMENT})")


def instant(text: str, tz) -> dt.datetime:
    """ "Friday, April 23, 2027 at 5:00 PM MDT" in the court's zone."""
    return dt.datetime.strptime(text.rsplit(" ", 1)[0], "%A, %B %d, %Y at %I:%M %p").replace(tzinfo=tz)


def flat(text: str) -> str:
    return " ".join(text.split())


def written_before(source: str, facts) -> str:
    """A template part as it read before `facts` existed: its tags name other variables, so the
    conditions on those facts are false, as they were then."""
    def older(tag):
        return re.sub(rf"\b({'|'.join(facts)})\b", r"\1_not_yet", tag.group(0))
    return re.sub(r"{{.*?}}|{%.*?%}", older, source, flags=re.S) if facts else source


class ToldTruth(RuleBasedStateMachine):
    @initialize(older_kind=st.sampled_from(STATES_PAUSE), older_facts=st.sets(st.sampled_from(sorted(TOLD_FACTS))))
    def setup(self, older_kind, older_facts):
        self.atomic = transaction.atomic()
        self.atomic.__enter__()  # each run rolls back in teardown
        self.now = START
        self.court = montana_court()
        tz = self.court.tzinfo
        self.golive = GoLiveFactory(
            court=self.court, go_live_date=FIRST_DAY, status=GoLiveStatus.SCHEDULED, prepare_days_before=30,
            blackout_start=dt.datetime.combine(FIRST_DAY - dt.timedelta(days=3), dt.time(17), tzinfo=tz),
            blackout_end=dt.datetime.combine(FIRST_DAY, dt.time(8), tzinfo=tz),
            emergency_filing_instructions=INSTRUCTIONS[1])
        self.filers = [filer_at(self.court, login=f"mt{i}", email=f"filer{i}@example.com").filer for i in range(2)]
        self.last = {}  # email -> {"date": (kind, body), "pause": (kind, body)}
        if older_facts:  # the court's wording of one notice is older than some of the facts it must tell
            self.keep_older_template(older_kind, older_facts)
        mail.outbox = []
        self.dispatch()
        self.drained = False
        self.send()

    def dispatch(self):
        """The beat's dispatch of the notices due now."""
        notices_dispatch(self.now)
        self.dispatched_at = self.now

    def teardown(self):
        if hasattr(self, "atomic"):
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

    def fresh(self) -> GoLive:
        self.golive = GoLive.objects.select_related("court", "rollout").get(pk=self.golive.pk)
        return self.golive

    def attempt(self, write):
        try:
            write(self.fresh())
        except ValidationError:
            pass  # a refused change changes nothing (checked by the go-live lifecycle machine)
        self.drained = False

    def send(self, limit=None):
        ids = list(NoticeDelivery.objects.filter(state=DeliveryState.PENDING).order_by("id")
                   .values_list("id", flat=True))
        rest = ids[limit:] if limit is not None else []
        ids = ids[:limit] if limit is not None else ids
        if ids:
            deliveries_send(ids, claimed_by=new_claim_token(), now=self.now)
        kinds = dict(NoticeDelivery.objects.values_list("id", "kind"))
        for message in mail.outbox:
            kind = kinds[int(DELIVERY_ID.search(message.extra_headers["Message-ID"]).group(1))]
            told = self.last.setdefault(message.to[0], {})
            if kind in STATES_DATE:
                told["date"] = (kind, flat(message.body))
            if kind in STATES_PAUSE and "pause" in message.body.lower():
                # What the filer last read about the pause: a notice silent on it changes nothing
                # they hold (a postponement that says nothing leaves the pause they were told).
                told["pause"] = (kind, flat(message.body))
        mail.outbox = []
        self.drained = not rest

    # --- what staff do, and the queue -----------------------------------------------------------------

    @rule(days=st.integers(-14, 14))
    def move_the_date(self, days):
        # Never today or earlier: a date moved to today makes the court live (the go-live notice's
        # business, checked elsewhere).
        earliest = self.court.local_today(self.now) + dt.timedelta(days=2)
        day = max(earliest, (self.fresh().go_live_date or FIRST_DAY) + dt.timedelta(days=days))
        self.attempt(lambda g: golive_schedule(g, day, now=self.now))

    @rule()
    def postpone(self):
        self.attempt(lambda g: golive_postpone(g, now=self.now))

    @rule()
    def unschedule(self):
        self.attempt(lambda g: golive_unschedule(g, now=self.now))

    @rule(days_before=st.integers(1, 3), start_hour=st.sampled_from([0, 12, 17]), ends_next_day=st.booleans())
    def set_the_pause(self, days_before, start_hour, ends_next_day):
        day, tz = self.fresh().go_live_date, self.court.tzinfo
        if day is None:
            return
        start = dt.datetime.combine(day - dt.timedelta(days=days_before), dt.time(start_hour), tzinfo=tz)
        end = dt.datetime.combine(day + dt.timedelta(days=int(ends_next_day)), dt.time(8), tzinfo=tz)
        self.attempt(lambda g: golive_set_blackout(g, start, end, now=self.now))

    @rule()
    def clear_the_pause(self):
        self.attempt(lambda g: golive_set_blackout(g, None, None, now=self.now))

    @rule(text=st.sampled_from(INSTRUCTIONS))
    def change_the_emergency_instructions(self, text):
        self.attempt(lambda g: golive_change(g, new_date=g.go_live_date, new_status=g.status, emergency=text,
                                             now=self.now))

    @rule()
    def mark_live_now(self):
        self.attempt(lambda g: golive_mark_live(g, now=self.now))
        self.dispatch()  # the beat: the go-live notice is due from the go-live day

    @rule(days=st.integers(2, 90))
    def set_a_date_again_on_a_live_court(self, days):
        """"Live" withdrawn by giving the court a date to come (it was marked live by mistake)."""
        if self.fresh().status != GoLiveStatus.LIVE:
            return
        day = self.court.local_today(self.now) + dt.timedelta(days=days)
        self.attempt(lambda g: golive_set(g, day, GoLiveStatus.SCHEDULED, now=self.now))

    @rule()
    def a_filer_joins_the_roster(self):
        n = len(self.filers)
        self.filers.append(filer_at(self.court, login=f"mt{n}", email=f"filer{n}@example.com").filer)
        self.drained = False

    @rule(days=st.integers(1, 30))
    def days_pass(self, days):
        """The beat, each day: the court turns live on its day, the notices due are dispatched and sent."""
        for _ in range(days):
            self.now += dt.timedelta(days=1)
            golives_mark_live_due(self.now)
            self.dispatch()
            self.send()

    @rule(kind=st.sampled_from(STATES_PAUSE), facts=st.sets(st.sampled_from(sorted(TOLD_FACTS)), min_size=1))
    def the_court_keeps_an_older_template(self, kind, facts):
        self.keep_older_template(kind, facts)

    def keep_older_template(self, kind, facts):
        """The court's own wording of one notice, from before some facts were added to the default
        (the bodies; the subject says no fact the invariants read)."""
        source = default_source(kind)
        older = TemplateSource(source.subject, written_before(source.text_body, facts),
                               written_before(source.html_body, facts))
        NoticeTemplate.objects.update_or_create(court=self.court, kind=kind, defaults=dict(
            subject=older.subject, text_body=older.text_body, html_body=older.html_body))

    @rule(rows=st.integers(1, 3))
    def a_sender_takes_part_of_the_queue(self, rows):
        """Some notices go, the rest wait: later changes meet notices of earlier ones half sent."""
        self.send(limit=rows)

    @rule(minutes=st.integers(1, 600))
    def time_passes_and_the_queue_drains(self, minutes):
        self.now += dt.timedelta(minutes=minutes)
        self.send()

    # --- what each filer was last told -----------------------------------------------------------------

    @invariant()
    def the_last_date_each_filer_was_told_holds(self):
        if not self.drained:
            return
        facts = golive_facts(self.fresh(), now=self.now)
        for filer in self.filers:
            if "date" not in self.last.get(filer.email, {}):
                continue  # joined the roster since, and told nothing yet
            kind, body = self.last[filer.email]["date"]
            if facts.status in (GoLiveStatus.POSTPONED, GoLiveStatus.NOT_SCHEDULED):
                assert "The switch is postponed" in body, (kind, body)
            elif facts.status == GoLiveStatus.LIVE and self.dispatched_at >= self.golive.live_at:
                assert kind in (NoticeKind.GOLIVE, NoticeKind.REMINDER) and re.search(
                    rf"live on NextGen CM/ECF \(?since {facts.date_text}", body), (kind, body)
            else:
                # Scheduled; or live by the clock since the beat last dispatched (the go-live notice
                # goes at its next run): the date told is the one that holds.
                assert facts.status in (GoLiveStatus.SCHEDULED, GoLiveStatus.LIVE)
                if kind == NoticeKind.PREPARE:
                    assert f"to NextGen CM/ECF on {facts.date_text}" in body, (kind, body)
                else:
                    assert re.search(rf"The (new )?go-live date is {facts.date_text}", body), (kind, body)

    @invariant()
    def the_last_pause_each_filer_was_told_holds(self):
        """The pause last stated is the one that holds, with its instructions; with none holding now,
        a pause last stated must be over (what it said stays true)."""
        if not self.drained:
            return
        golive = self.fresh()
        facts = golive_facts(golive, now=self.now)
        for filer in self.filers:
            if "pause" not in self.last.get(filer.email, {}):
                continue  # joined the roster since, and told nothing yet
            kind, body = self.last[filer.email]["pause"]
            stated = STATED_PAUSE.search(body)
            if facts.has_blackout:
                assert stated and (stated["start"], stated["end"]) == (
                    facts.blackout_start_text, facts.blackout_end_text), (facts.blackout_text, kind, body)
                if golive.emergency_filing_instructions:
                    assert golive.emergency_filing_instructions in body, (kind, body)
                else:
                    assert not any(text and text in body for text in INSTRUCTIONS), (kind, body)
            elif stated:
                assert instant(stated["end"], self.court.tzinfo) <= self.now, (kind, body)


@pytest.mark.django_db
def test_a_court_live_by_the_clock_before_the_beat_runs_leaves_the_date_told_standing(settings):
    """Found by the machine: the date moved three days ahead, then the go-live day begins between two
    runs of the beat. The new date told holds; the go-live notice goes at the beat's next run."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    state = ToldTruth()
    try:
        state.setup(older_kind=NoticeKind.PREPARE, older_facts=set())
        state.time_passes_and_the_queue_drains(minutes=548)
        state.move_the_date(days=-21)
        state.days_pass(days=3)
        state.time_passes_and_the_queue_drains(minutes=269)
        assert golive_facts(state.fresh(), now=state.now).status == GoLiveStatus.LIVE
        state.the_last_date_each_filer_was_told_holds()
        state.days_pass(days=1)  # the beat: the go-live notice
        state.the_last_date_each_filer_was_told_holds()
        assert all(state.last[f.email]["date"][0] == NoticeKind.GOLIVE for f in state.filers)
    finally:
        state.teardown()


@pytest.mark.django_db
def test_what_each_filer_was_last_told_stays_true_after_any_staff_changes(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    run_state_machine_as_test(ToldTruth, settings=settings_for_machine())


def settings_for_machine():
    return settings(max_examples=50, stateful_step_count=15, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])
