"""The go-live lifecycle under random sequences of staff actions, the beat and time passing.

Courts in three zones (Guam: no daylight saving; New York and Denver: with it), clocks starting just
before a daylight-saving change or a year end. After every step the public page, the court pages,
the JSON and .ics feeds and the text of each notice kind are rendered as of that moment and checked:
no blackout on a postponed or unscheduled court, every blackout shown is the current one and lies
around the go-live day, no live court dated after today in its zone, SEQUENCE counts the revisions
(date, postponement and pause changes, new emergency instructions for a pause), a refused action
changed nothing.
"""
import datetime as dt
import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.test import RequestFactory
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from icalendar import Calendar

from courts.models import BLACKOUT_DAYS_AROUND, Court, GoLive, GoLiveChange, GoLiveStatus
from courts.selectors import golive_facts, rollout_current
from courts.services import (
    golive_blackout_moved, golive_change, golive_get_or_create, golive_mark_live, golive_postpone, golive_schedule, golive_set_blackout, golive_unschedule,
    golives_mark_live_due,
)
from rollout.notices.rendering import compile_source, default_source, notice_context
from rollout.status.views import feed_body, feed_calendar, index_context

UTC = dt.timezone.utc
ZONES = {"GUDC": "Pacific/Guam", "NYED": "America/New_York", "COD": "America/Denver"}
# Just before the US daylight-saving changes of 2027 and a year end (UTC noon).
STARTS = [dt.datetime(2027, 3, 10, 12, tzinfo=UTC), dt.datetime(2027, 11, 3, 12, tzinfo=UTC),
          dt.datetime(2026, 12, 27, 12, tzinfo=UTC)]
FIRM = (GoLiveStatus.SCHEDULED, GoLiveStatus.LIVE)
FIELDS = ("go_live_date", "status", "blackout_start", "blackout_end", "live_at", "emergency_filing_instructions")
INSTRUCTIONS = ["", "Email emergency filings to intake@uscourts.gov.", "Call 406-555-0199 for an emergency filing."]
WINDOW = re.compile(r"(?i:from) (\w+day, \w+ \d+, \d{4} at [\d:]+ [AP]M \w+) (?i:until) (\w+day, \w+ \d+, \d{4} at [\d:]+ [AP]M \w+)")
TAKEN_BACK = re.compile(r"The filing pause we told you of, from [^\n]*? will not happen")
KINDS = ("prepare", "golive", "reminder", "date_changed")
TEMPLATES = {kind: compile_source(default_source(kind)) for kind in KINDS}

court_index = st.integers(0, len(ZONES) - 1)


class GoLiveLifecycle(RuleBasedStateMachine):
    @initialize(start=st.sampled_from(STARTS), hours=st.integers(0, 47),
                plans=st.lists(st.one_of(st.none(), st.integers(0, 30)), min_size=len(ZONES), max_size=len(ZONES)))
    def setup(self, start, hours, plans):
        self.atomic = transaction.atomic()
        self.atomic.__enter__()  # each run rolls back in teardown
        self.now = start + dt.timedelta(hours=hours)
        self.rollout = rollout_current()
        self.courts = [Court.objects.create(court_id=cid, name=f"Court {cid}", court_type="district", circuit="09",
                                            time_zone=zone, login_url=f"https://ecf.{cid.lower()}.uscourts.gov",
                                            help_desk_phones=["866-555-0100"])
                       for cid, zone in ZONES.items()]
        self.golives = [golive_get_or_create(court, self.rollout) for court in self.courts]
        self.sequence = [0] * len(self.courts)  # the model's own count of calendar revisions
        self.ever_dated = [False] * len(self.courts)
        for i, days in enumerate(plans):  # most courts start scheduled with the usual blackout
            if days is not None:
                self.attempt(i, lambda g: golive_schedule(g, self.today(i) + dt.timedelta(days=days), now=self.now))
                self.usual_blackout(i)

    @rule(i=court_index)
    def usual_blackout(self, i):
        """17:00 the day before to 08:00 on the go-live day, court time."""
        golive = self.fresh(i)
        if golive.go_live_date is None:
            return
        tz, day = self.courts[i].tzinfo, golive.go_live_date
        start = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(17), tzinfo=tz)
        self.attempt(i, lambda g: golive_set_blackout(g, start, dt.datetime.combine(day, dt.time(8), tzinfo=tz),
                                                      now=self.now))

    def teardown(self):
        if hasattr(self, "atomic"):
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

    # --- helpers ---------------------------------------------------------------------------------

    def today(self, i):
        return self.courts[i].local_today(self.now)

    def fresh(self, i) -> GoLive:
        golive = GoLive.objects.select_related("court", "rollout").get(pk=self.golives[i].pk)
        self.golives[i] = golive
        return golive

    def attempt(self, i, write):
        """Run one service; a refusal names fields and changes nothing; a change updates the model."""
        golive = self.fresh(i)
        before = tuple(getattr(golive, f) for f in FIELDS)
        try:
            write(golive)
        except ValidationError as exc:
            self.refused = set(exc.message_dict)
            assert self.refused <= {"go_live_date", "status", "blackout_start", "blackout_end"}
            assert tuple(getattr(self.fresh(i), f) for f in FIELDS) == before
            return None
        after = self.fresh(i)
        old_date, old_status = before[0], before[1]
        self.count_revision(i, old_date, old_status, after.go_live_date, after.status)
        self.count_pause_revision(i, before, after)
        return before, after

    def count_pause_revision(self, i, before, after):
        """The pause alone, or its emergency instructions while one is set, changed on a dated,
        scheduled or live go-live while the old or the new pause was still to end: recorded, and the
        event's description changes with it."""
        old_window, new_window = before[2:4], (after.blackout_start, after.blackout_end)
        new_instructions = before[5] != after.emergency_filing_instructions and new_window[0] is not None
        if ((before[0], before[1]) == (after.go_live_date, after.status) and after.go_live_date is not None
                and (old_window != new_window or new_instructions) and after.status in FIRM
                and any(end and end > self.now for end in (old_window[1], new_window[1]))):
            self.sequence[i] += 1

    def count_revision(self, i, old_date, old_status, new_date, new_status):
        postponed = (old_status == GoLiveStatus.POSTPONED) != (new_status == GoLiveStatus.POSTPONED)
        if (old_date or new_date) and (old_date != new_date or postponed):
            if old_date is None and not self.ever_dated[i]:
                pass  # the first date ever set: revision 0
            else:
                self.sequence[i] += 1
        self.ever_dated[i] |= new_date is not None

    # --- staff actions, the beat, time --------------------------------------------------------------

    @rule(i=court_index, days=st.integers(-2, 45))
    def schedule(self, i, days):
        day = self.today(i) + dt.timedelta(days=days)
        result = self.attempt(i, lambda g: golive_schedule(g, day, now=self.now))
        if days < 0 and result and result[0][1] != GoLiveStatus.LIVE:
            raise AssertionError("a not-live go-live was scheduled into the past")

    @rule(i=court_index, delta=st.integers(-21, 21))
    def move(self, i, delta):
        golive = self.fresh(i)
        if golive.go_live_date is None or golive.status not in FIRM:
            return
        old_start, old_end = golive.blackout_start, golive.blackout_end
        new_date = golive.go_live_date + dt.timedelta(days=delta)
        # A scheduled court's pause moved with its date to a time already past is refused (staff give it).
        moved_start = (golive_blackout_moved(golive, new_date, GoLiveStatus.SCHEDULED, now=self.now)[0]
                       if golive.status == GoLiveStatus.SCHEDULED and delta else None)
        self.refused = set()
        result = self.attempt(i, lambda g: golive_schedule(g, new_date, now=self.now))
        if moved_start is not None and moved_start < self.now and new_date >= self.today(i):
            assert self.refused == {"blackout_start"} and result is None, "a pause moved into the past was written"
            return
        assert not self.refused & {"blackout_start", "blackout_end"}, "a move refused because of its own blackout"
        if result and old_start and result[1].blackout_start and result[1].status == result[0][1]:
            tz, after = self.courts[i].tzinfo, result[1]
            moved = (after.go_live_date - result[0][0]).days
            for old, new in ((old_start, after.blackout_start), (old_end, after.blackout_end)):
                assert (new.astimezone(tz).date() - old.astimezone(tz).date()).days == moved
                if new.astimezone(tz).time() != old.astimezone(tz).time():  # only a spring-forward gap moves it
                    assert new.astimezone(tz).time().hour == old.astimezone(tz).time().hour + 1

    @rule(i=court_index)
    def postpone(self, i):
        result = self.attempt(i, lambda g: golive_postpone(g, now=self.now))
        if result:
            assert result[1].blackout_start is None

    @rule(i=court_index)
    def mark_live(self, i):
        result = self.attempt(i, lambda g: golive_mark_live(g, now=self.now))
        if result:
            (old_date, old_status, *_), after = result
            assert after.status == GoLiveStatus.LIVE and after.go_live_date <= self.today(i)
            if old_status == GoLiveStatus.SCHEDULED and old_date and old_date > self.today(i):
                assert after.go_live_date == self.today(i)
                change = GoLiveChange.objects.filter(golive=after).first()
                assert "before its scheduled date" in change.reason

    @rule(i=court_index)
    def unschedule(self, i):
        result = self.attempt(i, lambda g: golive_unschedule(g, now=self.now))
        if result:
            assert (result[1].go_live_date, result[1].blackout_start) == (None, None)

    @rule(i=court_index, start_day=st.integers(-5, 2), start_hour=st.sampled_from([0, 2, 8, 17, 23]),
          hours=st.integers(1, 100))
    def set_blackout(self, i, start_day, start_hour, hours):
        golive = self.fresh(i)
        if golive.go_live_date is None:
            return
        start = dt.datetime.combine(golive.go_live_date + dt.timedelta(days=start_day), dt.time(start_hour),
                                    tzinfo=self.courts[i].tzinfo)
        self.attempt(i, lambda g: golive_set_blackout(g, start, start + dt.timedelta(hours=hours), now=self.now))

    @rule(i=court_index, text=st.sampled_from(INSTRUCTIONS))
    def change_emergency_instructions(self, i, text):
        self.attempt(i, lambda g: golive_change(g, new_date=g.go_live_date, new_status=g.status, emergency=text,
                                                now=self.now))

    @rule(i=court_index)
    def clear_blackout(self, i):
        self.attempt(i, lambda g: golive_set_blackout(g, None, None, now=self.now))

    @rule()
    def beat(self):
        before = {g.pk: (g.go_live_date, g.status) for g in GoLive.objects.filter(pk__in=[g.pk for g in self.golives])}
        golives_mark_live_due(self.now)
        for i, golive in enumerate(self.golives):
            after = self.fresh(i)
            old_date, old_status = before[golive.pk]
            self.count_revision(i, old_date, old_status, after.go_live_date, after.status)

    @rule(hours=st.integers(1, 24 * 12))
    def time_passes(self, hours):
        self.now += dt.timedelta(hours=hours)

    # --- every surface, after every step -----------------------------------------------------------

    @invariant()
    def every_surface_tells_the_truth(self):
        if not hasattr(self, "now"):
            return
        request = RequestFactory().get("/status/")
        index = render_to_string("status/index.html", index_context(
            self.rollout, {"circuit": "", "state": "", "nextgen": ""}, now=self.now), request=request)
        feed = json.loads(json.dumps(feed_body(self.rollout, None, now=self.now)))
        feed_courts = {c["court_id"]: c for c in feed["courts"]}
        events = {str(e["UID"]).split("-")[2].split("@")[0].upper(): e
                  for e in Calendar.from_ical(feed_calendar(self.rollout, now=self.now).to_ical()).walk("VEVENT")}
        for i, court in enumerate(self.courts):
            golive = self.fresh(i)
            tz, today = court.tzinfo, self.today(i)
            facts = golive_facts(golive, now=self.now)
            # The stored row keeps the rules.
            if golive.status in FIRM:
                assert golive.go_live_date is not None
            if golive.status == GoLiveStatus.LIVE:
                assert golive.go_live_date <= today, "a live court dated after today"
            if golive.blackout_start:
                assert golive.status in FIRM and golive.blackout_end > golive.blackout_start
                assert abs((golive.blackout_end.astimezone(tz).date() - golive.go_live_date).days) <= BLACKOUT_DAYS_AROUND
            # The facts every surface reads.
            if facts.status not in FIRM:
                assert facts.go_live_date is None and not facts.has_blackout
            if facts.live:
                assert facts.go_live_date <= today
            page = render_to_string("status/court.html", {"rollout": self.rollout, "court": court, "facts": facts},
                                    request=request)
            assert facts.status_text in index and facts.status_text.replace("'", "&#x27;") in page
            shown = {m.groups() for m in WINDOW.finditer(page)}
            assert shown == ({(facts.blackout_start_text, facts.blackout_end_text)} if facts.has_blackout else set())
            # JSON: the same facts, times with the court's offset.
            item = feed_courts[court.court_id]
            assert item["nextgen_status"] == facts.status
            assert item["go_live_date"] == (facts.go_live_date.isoformat() if facts.go_live_date else None)
            if facts.has_blackout:
                for key, value in (("blackout_start", facts.blackout_start), ("blackout_end", facts.blackout_end)):
                    parsed = dt.datetime.fromisoformat(item[key])
                    assert parsed == value and parsed.utcoffset() == value.astimezone(tz).utcoffset()
            else:
                assert item["blackout_start"] is None and item["blackout_end"] is None
            assert item["sequence"] == self.sequence[i]
            # .ics: one event per dated go-live; a postponed one cancelled; SEQUENCE the revisions.
            event = events.get(court.court_id)
            assert (event is not None) == (facts.calendar_date is not None)
            if event is not None:
                assert event.decoded("dtstart") == facts.calendar_date
                assert str(event["STATUS"]) == ("CANCELLED" if facts.postponed else "CONFIRMED")
                assert int(event["SEQUENCE"]) == self.sequence[i]
            self.check_notices(court, golive, facts, today)

    def check_notices(self, court, golive, facts, today):
        change = GoLiveChange.objects.filter(golive=golive).first()
        for kind in KINDS:
            if kind == "date_changed" and change is None:
                continue
            context = notice_context(filer_name="Seán O'Brien", court=court, golive=golive, readiness="legacy",
                                     change=change if kind == "date_changed" else None, today=today,
                                     status_url="https://tracker.example/me/x/", now=self.now)
            subject, text, html = TEMPLATES[kind].render(context)
            # Windows stated as holding; one named as taken back ("… will not happen") is not.
            windows = {m.groups() for m in WINDOW.finditer(TAKEN_BACK.sub("", text))}
            assert windows <= {(facts.blackout_start_text, facts.blackout_end_text)}, (kind, windows)
            if not facts.has_blackout:
                assert not windows
            if kind == "golive" and facts.live:
                assert f"(since {facts.date_text}, in the court's time zone, {court.time_zone})" in text
            if kind == "prepare" and facts.status == GoLiveStatus.SCHEDULED:
                assert facts.date_text in subject
            if kind == "date_changed" and change.new_status in FIRM and change.new_date == facts.go_live_date:
                assert f"The new go-live date is {facts.date_text} (from midnight in the court's time zone, {court.time_zone})." in text


@pytest.mark.django_db
def test_the_go_live_lifecycle_keeps_every_surface_true():
    run_state_machine_as_test(GoLiveLifecycle, settings=settings(
        max_examples=15, stateful_step_count=15, deadline=None, derandomize=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]))
