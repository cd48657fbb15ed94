"""A realistic, reproducible demo: go-live dates over the past and the future, synthetic filers, and the
notices they were already sent.

Like a real rollout: go-lives fall on business days (a Monday, or the next business day when that
Monday is a federal holiday), a blackout starts at 17:00 on the business day before, links are recorded
on business days between 8:00 and 18:00 in the court's own zone, and live courts have a notice history
(prepare, go-live and the reminders already due) as sent NoticeDelivery rows, so every panel has data.
The known go-lives (KNOWN_LIVE) are the courts' own dates and kept as they are.

Same seed, same data (for the same `today`). Filers are generated and inserted in chunks with bulk
inserts, so memory stays flat from 5,000 to 1,000,000 filers.
"""
from __future__ import annotations

import bisect
import datetime as dt
import random
from dataclasses import dataclass
from typing import Callable

import holidays
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import reset_queries, transaction

from accounts.models import LEGACY_CUTOFF, CmecfAccount, CourtAdministrator, Filer, PacerAccount, PacerAccountType, normalize_name
from courts.models import Court, GoLive, GoLiveStatus
from courts.selectors import rollout_current
from courts.services import golive_mark_live, golive_postpone, golive_schedule, golive_set_blackout

FIRST = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan Joseph "
    "Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty Anthony Margaret Mark Sandra "
    "Donald Ashley Steven Kimberly Paul Emily Andrew Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Melissa "
    "George Deborah Timothy Stephanie Ronald Rebecca Jason Sharon Edward Laura Jeffrey Cynthia Ryan Kathleen Jacob "
    "Amy Gary Angela Nicholas Shirley Eric Anna Jonathan Brenda Stephen Pamela Larry Emma Justin Nicole Scott Helen "
    "Maria José Luis Ana Carlos Sofía Nguyen Mei Wei Priya Rahul Aisha Omar Fatima Hiroshi Yuki Olga Ivan"
).split()
LAST = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson "
    "Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson "
    "Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell "
    "Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris "
    "Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward "
    "Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders "
    "Patel Myers Long Ross Foster Jimenez O'Brien Attorney Byrne Yazzie Begay Kealoha Cruz-Santos"
).split()
FIRMS = (
    "Baker & Hall LLP", "Rivera Campbell PC", "Mountain West Legal", "Pacific Law Group", "Keystone Defenders",
    "Harbor Bankruptcy Associates", "Prairie Counsel LLC", "Bayou Litigation Partners", "Great Lakes Trustees",
    "Capitol Appellate Group", "Sierra Consumer Law", "Island Legal Services",
)

# Courts whose go-lives are facts from the courts' own notices.
KNOWN_LIVE = {"UTDC": dt.date(2020, 2, 1), "MTDC": dt.date(2021, 9, 27)}
# The two example courts at about the size of a real district's bar (registered CM/ECF filers),
# added to the filers spread over all courts.
EXAMPLE_SIZES = {"UTDC": 3400, "MTDC": 2600}


US_HOLIDAYS = holidays.US()  # federal holidays; fills in each year on first lookup
WORK_START, WORK_HOURS = 8, 10  # links are recorded from 8:00 to 17:59, court time


def is_business_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in US_HOLIDAYS


def business_day_on_or_after(day: dt.date) -> dt.date:
    while not is_business_day(day):
        day += dt.timedelta(days=1)
    return day


def business_day_before(day: dt.date) -> dt.date:
    day -= dt.timedelta(days=1)
    while not is_business_day(day):
        day -= dt.timedelta(days=1)
    return day


def golive_day(day: dt.date) -> dt.date:
    """The Monday on or after `day`, or the next business day when that Monday is a holiday."""
    return business_day_on_or_after(day + dt.timedelta(days=(7 - day.weekday()) % 7))


def working_instant(rng: random.Random, court: Court, start: dt.datetime, end: dt.datetime) -> dt.datetime | None:
    """A random moment between `start` and `end` on a business day, in working hours in the court's zone."""
    tz = court.tzinfo
    first, last = start.astimezone(tz).date(), (end.astimezone(tz) - dt.timedelta(hours=WORK_START + WORK_HOURS)).date()
    if last < first:
        return None
    day = first + dt.timedelta(days=rng.randrange((last - first).days + 1))
    day = business_day_on_or_after(day)
    if day > last:
        day = business_day_before(day)
    moment = dt.datetime.combine(day, dt.time(WORK_START), tzinfo=tz) + dt.timedelta(minutes=rng.randrange(WORK_HOURS * 60))
    return moment if start <= moment <= end else None


@dataclass
class DemoResult:
    filers: int = 0
    pacer_accounts: int = 0
    cmecf_accounts: int = 0
    golives: int = 0


def _golive_plan(court: Court, rng: random.Random, today: dt.date) -> tuple[str, dt.date | None, dt.date | None]:
    """(status, go-live date, the earlier date a postponement moved away from)."""
    if court.court_id in KNOWN_LIVE:
        return GoLiveStatus.LIVE, KNOWN_LIVE[court.court_id], None
    roll = rng.random()
    if roll < 0.50:
        day = golive_day(dt.date(2019, 6, 1) + dt.timedelta(days=rng.randrange((today - dt.date(2019, 6, 1)).days - 30)))
        return GoLiveStatus.LIVE, day, None
    if roll < 0.56:  # going live within the next month: prepare notices are due
        return GoLiveStatus.SCHEDULED, golive_day(today + dt.timedelta(days=rng.randrange(3, 24))), None
    if roll < 0.80:
        return GoLiveStatus.SCHEDULED, golive_day(today + dt.timedelta(days=rng.randrange(31, 400))), None
    if roll < 0.88:
        old = golive_day(today + dt.timedelta(days=rng.randrange(-20, 60)))
        return GoLiveStatus.POSTPONED, golive_day(old + dt.timedelta(days=rng.randrange(60, 240))), old
    return GoLiveStatus.NOT_SCHEDULED, None, None


@transaction.atomic
def demo_schedule_golives(today: dt.date, seed: int) -> int:
    """Give every court a go-live on the current rollout, with its history, from the seed."""
    rng = random.Random(f"golives-{seed}")
    rollout = rollout_current()
    now = dt.datetime.combine(today, dt.time(12), tzinfo=dt.timezone.utc)
    count = 0
    for court in Court.objects.order_by("court_id"):
        status, day, postponed_from = _golive_plan(court, rng, today)
        golive, _ = GoLive.objects.get_or_create(court=court, rollout=rollout)
        golive.court = court
        # Start unscheduled: the history below sets the date and status through the services.
        golive.status = GoLiveStatus.NOT_SCHEDULED
        golive.go_live_date = None
        golive.live_at = None
        golive.prepare_days_before = 30
        golive.reminder_days_after = [7, 14, 30]
        blackout = status in (GoLiveStatus.LIVE, GoLiveStatus.SCHEDULED) and rng.random() < 0.5 and day
        golive.blackout_start = golive.blackout_end = None
        golive.emergency_filing_instructions = ""
        golive.save()
        golive.changes.all().delete()
        _demo_history(golive, rng, status, day, postponed_from, today)
        if blackout:
            # From 17:00 on the business day before (never a holiday) to 8:00 on the go-live day.
            golive.emergency_filing_instructions = (
                "During the blackout, email emergency filings as PDF attachments to "
                f"emergency-filings@{court.cmecf_code or 'court'}.uscourts.gov"
                + (f" and call the help desk at {court.help_desk_phone}." if court.help_desk_phone else ".")
            )
            try:
                golive.full_clean(exclude=["court", "rollout"], validate_unique=False)
            except ValidationError:  # a help-desk number the check does not read as one: email only
                golive.emergency_filing_instructions = (
                    "During the blackout, email emergency filings as PDF attachments to "
                    f"emergency-filings@{court.cmecf_code or 'court'}.uscourts.gov.")
            golive.save(update_fields=["emergency_filing_instructions"])
            golive_set_blackout(golive, golive.court.local_midnight(business_day_before(day)).replace(hour=17),
                                golive.court.local_midnight(day).replace(hour=8), now=now)
        count += 1
    return count


ANNOUNCED = "court announcement"


def _demo_history(golive: GoLive, rng: random.Random, status: str, day: dt.date | None,
                  postponed_from: dt.date | None, today: dt.date) -> None:
    """The go-live's history as a real one reads, written through the go-live services and dated when
    it happened: announced months ahead (at 10:00 court time on a business day), for about one court
    in four moved once, then marked live by the schedule at the start of the day; a postponed court
    announced, then postponed."""
    if day is None:
        return
    court = golive.court

    def at(when: dt.date, hour: int = 10) -> dt.datetime:
        """10:00 court time on the business day of `when` (never after the demo's today)."""
        moment = dt.datetime.combine(business_day_before(when + dt.timedelta(days=1)), dt.time(hour), tzinfo=court.tzinfo)
        return min(moment, _noon(today))

    first = postponed_from or day
    announced = first - dt.timedelta(days=rng.randrange(90, 200))
    if postponed_from is None and status == GoLiveStatus.LIVE and rng.random() < 0.25:
        # Announced for an earlier date, moved later once (a slipped training schedule, say).
        earlier = golive_day(day - dt.timedelta(days=rng.randrange(21, 70)))
        announced = earlier - dt.timedelta(days=rng.randrange(90, 180))
        golive_schedule(golive, earlier, source=ANNOUNCED, reason="Announced by the court", now=at(announced))
        moved = earlier - dt.timedelta(days=rng.randrange(14, 45))
        golive_schedule(golive, day, source=ANNOUNCED, reason="Moved by the court", now=at(moved))
    else:
        golive_schedule(golive, first, source=ANNOUNCED, reason="Announced by the court", now=at(announced))
    if postponed_from is not None:
        # Postponed a week or two before the old date; the new one is not known yet.
        golive_postpone(golive, source=ANNOUNCED, reason="Postponed by the court",
                        now=at(min(postponed_from - dt.timedelta(days=rng.randrange(5, 20)), today)))
    elif status == GoLiveStatus.LIVE:
        # Marked live by the schedule at the start of its day.
        golive_mark_live(golive, source="schedule", now=min(court.local_midnight(day), _noon(today)))


def _noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.timezone.utc)


def _court_picker(rng: random.Random) -> tuple[list[Court], Callable[[], Court]]:
    """Courts with a seeded size: big districts and bankruptcy courts get most filers."""
    courts = list(Court.objects.exclude(court_type="national").order_by("court_id"))
    weights = []
    for court in courts:
        base = {"district": 3.0, "bankruptcy": 2.0, "appellate": 0.6}.get(court.court_type, 0.2)
        weights.append(base * rng.lognormvariate(0, 0.8))
    cumulative, total = [], 0.0
    for w in weights:
        total += w
        cumulative.append(total)

    def pick() -> Court:
        return courts[bisect.bisect_left(cumulative, rng.random() * total)]

    return courts, pick


def demo_seed_filers(
    count: int, *, seed: int, today: dt.date, chunk_size: int = 5000, progress: Callable[[int], None] | None = None,
    example_courts: bool = False,
) -> DemoResult:
    """Insert `count` synthetic filers with PACER and CM/ECF accounts, chunk by chunk (flat memory);
    with `example_courts`, then the example courts' own filers (EXAMPLE_SIZES)."""
    rng = random.Random(f"filers-{seed}")
    result = DemoResult()
    courts, pick_court = _court_picker(rng)
    if not courts:
        raise ValueError("No courts yet: run import_pacer_courts or load_court_catalog first.")
    rollout = rollout_current()
    live = {
        g.court_id: g.live_at
        for g in GoLive.objects.filter(rollout=rollout, status=GoLiveStatus.LIVE).exclude(live_at=None)
    }
    now = dt.datetime.combine(today, dt.time(12), tzinfo=dt.timezone.utc)
    firm_accounts: dict[str, PacerAccount] = {}
    for name in FIRMS:
        username = "firm_" + normalize_name(name).lower().replace(" ", "")[:20]
        firm_accounts[name], _ = PacerAccount.objects.get_or_create(
            username=username, defaults={"account_type": PacerAccountType.SHARED, "holder_name": name}
        )
    start = Filer.objects.count()
    for chunk_start in range(0, count, chunk_size):
        n = min(chunk_size, count - chunk_start)
        reset_queries()  # DEBUG keeps every SQL string; a long seed must not grow with it
        with transaction.atomic():
            _seed_chunk(rng, start + chunk_start, n, pick_court, live, firm_accounts, now, result)
        if progress:
            progress(chunk_start + n)
    if example_courts:
        for court in Court.objects.filter(court_id__in=list(EXAMPLE_SIZES)).order_by("court_id"):
            offset = Filer.objects.count()
            with transaction.atomic():
                _seed_chunk(rng, offset, EXAMPLE_SIZES[court.court_id], lambda court=court: court, live, firm_accounts,
                            now, result)
    return result


LINK_SHARE = 0.93       # of the filers who can link, most do in the end
LINK_MEAN_DAYS = 35     # the typical court: most links in the first weeks after go-live


def _court_speed(court: Court) -> float:
    """How fast this court's filers link, against the typical court (1.0): most courts near it, a few
    clearly ahead or behind (log-normal), the same for a court whatever the seed or chunk."""
    return random.Random(f"speed-{court.court_id}").lognormvariate(0, 0.3)


def _link_moment(rng: random.Random, court: Court, live_at: dt.datetime, now: dt.datetime, speed: float) -> dt.datetime | None:
    """When a filer who can link does so: most in the first weeks after go-live, fewer later (an
    exponential wait), in working hours on a business day; None when not (yet) linked."""
    if rng.random() >= LINK_SHARE:
        return None
    wait = dt.timedelta(days=rng.expovariate(speed / LINK_MEAN_DAYS))
    start = live_at + wait
    if start >= now:
        return None
    return working_instant(rng, court, start, min(start + dt.timedelta(days=4), now))


def _seed_chunk(rng, offset, n, pick_court, live, firm_accounts, now, result: DemoResult) -> None:
    people = []
    pacers: list[PacerAccount | None] = []
    for i in range(offset, offset + n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        middle = rng.choice("ABCDEFGHJKLMNPRSTW")
        name = f"{first} {middle}. {last}"
        email = f"{normalize_name(first).lower()}.{normalize_name(last).lower().replace(' ', '')}.{i}@example.com"
        kind = rng.random()
        pacer = None
        if kind < 0.07:
            pacer = None  # never registered an individual account
        elif kind < 0.13:
            pacer = firm_accounts[rng.choice(FIRMS)]
        else:
            created = dt.date(2001, 1, 1) + dt.timedelta(days=rng.randrange(9000))
            created = min(created, now.date() - dt.timedelta(days=30))
            upgraded = created >= LEGACY_CUTOFF or rng.random() < 0.75
            pacer = PacerAccount(
                username=f"{normalize_name(first)[:1].lower()}{normalize_name(last).lower().replace(' ', '')[:10]}{i}",
                account_type=PacerAccountType.INDIVIDUAL,
                holder_name=name,
                name_key=normalize_name(name),
                created_on=created,
                upgraded=upgraded and created < LEGACY_CUTOFF,
            )
        people.append((first, middle, last, name, email))
        pacers.append(pacer)
    new_pacers = [p for p in pacers if p is not None and p.pk is None]
    PacerAccount.objects.bulk_create(new_pacers, batch_size=5000)
    result.pacer_accounts += len(new_pacers)
    filers = [
        Filer(name=name, email=email, pacer_account=pacer)
        for (first, middle, last, name, email), pacer in zip(people, pacers)
    ]
    Filer.objects.bulk_create(filers, batch_size=5000)
    result.filers += len(filers)
    accounts = []
    for filer, pacer, (first, middle, last, name, email), i in zip(filers, pacers, people, range(offset, offset + n)):
        how_many = 1 + (rng.random() < 0.25) + (rng.random() < 0.08)
        chosen = {pick_court() for _ in range(how_many)}
        for court in chosen:
            cmecf_name = name
            if rng.random() < 0.04:  # a maiden name or a dropped middle initial on the old account
                cmecf_name = f"{first} {rng.choice(LAST)}" if rng.random() < 0.5 else f"{first} {last}"
            login = f"{normalize_name(last).lower().replace(' ', '')[:6]}{first[0].lower()}{middle.lower()}{i}"
            linked_at = None
            good_pacer = pacer is not None and not pacer.is_shared and not pacer.is_legacy
            live_at = live.get(court.id)
            if good_pacer and live_at and normalize_name(cmecf_name) == pacer.name_key and live_at < now:
                linked_at = _link_moment(rng, court, live_at, now, _court_speed(court))
            accounts.append(
                CmecfAccount(filer=filer, court=court, login=login, cmecf_name=cmecf_name,
                             name_key=normalize_name(cmecf_name), linked_at=linked_at)
            )
    CmecfAccount.objects.bulk_create(accounts, batch_size=5000)
    result.cmecf_accounts += len(accounts)


def demo_ensure_users(password: str) -> list[tuple[str, str]]:
    """A superuser and two court administrators (Montana, Utah) for trying the product."""
    User = get_user_model()
    made = []
    specs = [
        ("admin", "Rollout coordinator (every court)", True, []),
        ("montana", "District of Montana administrator", False, ["MTDC", "MTBK"]),
        ("utah", "District of Utah administrator", False, ["UTDC", "UTBK"]),
    ]
    for username, role, superuser, court_ids in specs:
        user, created = User.objects.get_or_create(username=username, defaults={"is_staff": True, "is_superuser": superuser,
                                                                                  "email": f"{username}@localhost"})
        if created:
            user.set_password(password)
            user.save()
        for court in Court.objects.filter(court_id__in=court_ids):
            CourtAdministrator.objects.get_or_create(user=user, court=court)
        if court_ids:  # the admin's model permissions for court staff (accounts migration 0004)
            from django.contrib.auth.models import Group

            group = Group.objects.filter(name="Court administrators").first()
            if group:
                user.groups.add(group)
        made.append((username, role))
    return made


NOTICE_HOUR = 9  # notices went out at 9:00 court time


def demo_notice_history(today: dt.date, *, chunk_size: int = 5000) -> int:
    """Sent NoticeDelivery rows for what a real rollout would already have sent, as of `today`.

    Steps: per go-live, the occurrences already due — prepare (prepare_days_before days ahead), the
    go-live notice and each reminder day — each on a business day at 9:00 court time; then, per
    CM/ECF account of those courts (read in chunks), one sent row per occurrence the filer would have
    received (reminders only while not linked). Rows are written directly: no email is sent.
    """
    from accounts.selectors import cmecf_accounts_with_readiness
    from rollout.notices.models import DeliveryState, NoticeDelivery, NoticeKind

    rollout = rollout_current()
    now = dt.datetime.combine(today, dt.time(12), tzinfo=dt.timezone.utc)
    plans: dict[int, tuple[GoLive, list[tuple[str, str, dt.datetime]]]] = {}
    golives = GoLive.objects.filter(rollout=rollout, status__in=[GoLiveStatus.LIVE, GoLiveStatus.SCHEDULED],
                                    go_live_date__isnull=False).select_related("court")
    for golive in golives:
        court, day = golive.court, golive.go_live_date

        def at(d: dt.date) -> dt.datetime:
            return dt.datetime.combine(d, dt.time(NOTICE_HOUR), tzinfo=court.tzinfo)

        due = [(NoticeKind.PREPARE, "prepare", at(business_day_before(day - dt.timedelta(days=golive.prepare_days_before - 1))))]
        due.append((NoticeKind.GOLIVE, "golive", at(day)))
        for n in golive.reminder_days_after or []:
            due.append((NoticeKind.REMINDER, f"reminder_{n}", at(business_day_on_or_after(day + dt.timedelta(days=n)))))
        due = [item for item in due if item[2] <= now]
        if due:
            plans[court.id] = (golive, due)
    live_ids = list(GoLive.objects.filter(rollout=rollout, status=GoLiveStatus.LIVE).values_list("court_id", flat=True))
    accounts = (cmecf_accounts_with_readiness(CmecfAccount.objects.filter(court_id__in=list(plans)), now=now,
                                              live_court_ids=live_ids)
                .order_by("id").values_list("filer_id", "court_id", "linked_at", "readiness"))
    written, rows = 0, []
    for filer_id, court_id, linked_at, readiness in accounts.iterator(chunk_size=chunk_size):
        golive, due = plans[court_id]
        for kind, notice, sent_at in due:
            if kind == NoticeKind.REMINDER and linked_at is not None and linked_at <= sent_at:
                continue
            # The variant is the readiness when the notice went out: linked later means ready then.
            variant = readiness
            if readiness == "linked" and (linked_at is None or linked_at > sent_at):
                variant = "ready"
            if kind == NoticeKind.PREPARE and variant in ("ready", "linked"):
                variant = "waiting"  # before go-live nothing could be linked yet
            rows.append(NoticeDelivery(filer_id=filer_id, court_id=court_id, golive=golive, kind=kind, notice=notice,
                                       variant=variant, state=DeliveryState.SENT, attempts=1, sent_at=sent_at,
                                       queued_at=sent_at))
        if len(rows) >= chunk_size:
            NoticeDelivery.objects.bulk_create(rows, ignore_conflicts=True)
            written, rows = written + len(rows), []
    NoticeDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    return written + len(rows)
