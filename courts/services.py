"""Writes about courts: the PACER feed import, time zones, and the go-live lifecycle.

The go-live lifecycle
---------------------
States: not scheduled → scheduled (moved: scheduled again, on a new date) → postponed → scheduled …
→ live; a live court's date can still be corrected. Every writer — the admin's forms and actions,
the demo seed, the beat task that flips due courts (`golives_mark_live_due`) — goes through
`golive_change` (by way of golive_schedule / _postpone / _mark_live / _unschedule / _set_blackout /
golive_set), which plans the change (`golive_plan`), checks every rule below, saves, records a
GoLiveChange (who or what, when, old and new, the reason) when the date or status changed, keeps
`live_at` in step with the date and the court's zone, and announces a date change. A broken rule is
a ValidationError naming the field, and nothing is written.

Rules (days are calendar days in the court's own time zone; "today" is today there):
1. A scheduled or live go-live has a date; one not scheduled has none. [constraint]
2. A blackout has a start and an end after it [constraint], lasts at most BLACKOUT_MAX_DAYS, and ends
   on the go-live day or within BLACKOUT_DAYS_AROUND days of it. Only a scheduled or live go-live
   has one [constraint]: postponing or unscheduling clears it (it was for a day that no longer holds).
   Its start and end lie well inside the instants Python and PostgreSQL can hold, in UTC and in any zone.
3. Moving the date moves the blackout by the same number of days, at the same wall-clock times in the
   court's zone: 17:00 the Friday before stays 17:00 the Friday before the new day, also across a
   daylight-saving change (the window is then an hour longer or shorter in absolute time). A time the
   new day does not have (in the spring-forward gap) becomes the same instant read after the change
   (02:30 → 03:30). Staff see the moved window before they confirm (the admin's previews).
4. A live court's date is never after today. "Mark live now" on a court whose date is still to come
   (or none, or a date a postponement voided) makes today the date and records the change with the
   reason ("Marked live on …, before its scheduled date …"); a blackout not yet over is cleared then,
   since it will not happen as announced. A correction of a live date may be any day up to today.
5. A date moved (or a court scheduled again) to a day before today is refused: it would make the
   court live at once, with no prepare notices. Today is allowed (the beat flips it live). To record
   a go-live that already happened, mark the court live with its day (`golive_mark_live(day=…)`).
6. A postponed go-live keeps the date it had, only as the date that no longer holds: every surface
   shows it as "postponed (was …)", never as a firm date, with no blackout. Postponing takes no new
   date; a new date is a move (rule 3 does not apply: there is no blackout left to move).
7. A court's zone changing keeps the go-live date and moves `live_at` to the new zone's midnight;
   staff's choice of zone is refused while a live court's date would be after today in it (rule 4).
8. A go-live date is at most GOLIVE_MAX_YEARS_AHEAD years after today, and not before GOLIVE_EARLIEST.
Rules 2 (in part), 4, 5 and 8 need the court's zone and today, so they live here and not in the database.
"""
from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from courts.formatting import format_day, format_instant
from courts.input_checks import CIRCUIT_SHAPE, bad_character, is_circuit, is_court_id, web_address_problem
from courts.models import (
    BLACKOUT_DAYS_AROUND, BLACKOUT_MAX_DAYS, FIRM, GOLIVE_EARLIEST, GOLIVE_MAX_YEARS_AHEAD, Court, GoLive, GoLiveChange,
    GoLiveStatus, SoftwareVersionChange, emergency_instructions_problem,
)
from courts.pacer_feed import HELP_DESK_MAX_LENGTH, OFFICE_TEXT_MAX_LENGTH, FeedCourt, FeedSkip, circuit_problem
from courts.models import Rollout
from courts.selectors import golive_live_q, rollout_current
from courts.signals import golive_date_changed

# Fields the feed owns: an import overwrites them. time_zone is handled apart (an override wins).
FEED_FIELDS = (
    "cmecf_code",
    "feed_name",
    "title",
    "court_type",
    "circuit",
    "state",
    "login_url",
    "web_url",
    "rss_url",
    "help_desk_phones",
    "locations",
    "software_version",
    "cmecf_start_text",
    "cmecf_start_date",
)


@dataclass
class CourtImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[FeedSkip] = field(default_factory=list)
    version_changes: list[SoftwareVersionChange] = field(default_factory=list)
    # (court_id, why): the feed's new zone is not taken yet; a later import takes it.
    zones_kept: list[tuple[str, str]] = field(default_factory=list)
    # Stored courts the feed does not list (dropped, or listed under a new court_id): kept as they are.
    not_in_feed: list[str] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        return bool(self.created or self.updated)


@transaction.atomic
def courts_import_feed(
    courts: list[FeedCourt], *, skipped: list[FeedSkip] | None = None, seen_on: dt.date | None = None,
    only_create: bool = False, now: dt.datetime | None = None,
) -> CourtImportResult:
    """Create or update courts from feed records in one transaction, one import at a time
    (`_wait_for_other_imports`).

    Steps: load every existing court once; for each record compare the feed-owned fields and write
    only what differs (those columns alone); record a SoftwareVersionChange when the release changed; keep an
    administrator's name and time-zone overrides; keep the old zone while the feed's would put a live
    court's date in the future (as staff are refused; a later import takes it); recompute go-live
    instants when a zone changed; name the stored courts no record (nor skipped entry) matches, which
    are kept with their go-lives and history. With `only_create` (the built-in catalog) existing courts
    are left as they are. A record finds its court ignoring case (the feed's MTDC updates a court stored as
    mtdc, whose id stays as it is); of two stored courts differing only in case, the one spelled
    exactly like the record.
    """
    _wait_for_other_imports()
    result = CourtImportResult(skipped=list(skipped or []))
    stored = list(Court.objects.all())
    existing = {court.court_id: court for court in stored}
    existing_any_case: dict[str, Court] = {}
    for court in stored:
        existing_any_case.setdefault(court.court_id.upper(), court)
    to_create: list[Court] = []
    matched: set[int] = set()
    for record in courts:
        court = existing.get(record.court_id) or existing_any_case.get(record.court_id.upper())
        if court is None:
            court = Court(court_id=record.court_id, time_zone=record.time_zone, name=record.name)
            for name in FEED_FIELDS:
                setattr(court, name, getattr(record, name))
            to_create.append(court)
            result.created.append(record.court_id)
            continue
        matched.add(court.pk)
        if only_create:
            result.unchanged.append(record.court_id)
            continue
        changed = [name for name in FEED_FIELDS if getattr(court, name) != getattr(record, name)]
        if not court.name_overridden and court.name != record.name:
            changed.append("name")  # the display name follows the feed unless an administrator set it
        zone_changed = not court.time_zone_overridden and court.time_zone != record.time_zone
        if zone_changed and (clash := _live_date_ahead_in(court, record.time_zone, now)):
            today, ahead = clash
            result.zones_kept.append((record.court_id, (
                f"time zone stays {court.time_zone} for now: the feed gives {record.time_zone}, where it is still "
                f"{format_day(today)}, so the court's live date, {format_day(ahead)}, would be in the future. "
                f"The first import from that date takes it.")))
            zone_changed = False
        if not changed and not zone_changed:
            result.unchanged.append(record.court_id)
            continue
        if "software_version" in changed and record.software_version:
            result.version_changes.append(
                SoftwareVersionChange(
                    court=court, old_version=court.software_version, new_version=record.software_version,
                    seen_on=seen_on or court.local_today(now),  # the court's own date, not the server's
                )
            )
        for name in changed:
            setattr(court, name, getattr(record, name))
        if zone_changed:
            court.time_zone = record.time_zone
            changed.append("time_zone")
        # Only what the feed changed: the court was read at the start, and an administrator's rename
        # or choice of zone committed since then (with its override flag) is kept.
        court.save(update_fields=[*changed, "updated_at"])
        if zone_changed:
            golives_recompute_live_at(court)
        result.updated.append(record.court_id)
    if not only_create:
        skipped_ids = {skip.court_id.upper() for skip in result.skipped}
        result.not_in_feed = sorted(court.court_id for court in stored
                                    if court.pk not in matched and court.court_id.upper() not in skipped_ids)
    Court.objects.bulk_create(to_create)
    SoftwareVersionChange.objects.bulk_create(result.version_changes)
    return result


def _wait_for_other_imports() -> None:
    """Wait until another feed or catalog import has committed, and hold the others off until this
    transaction ends. Two at once would each read the courts before the other wrote, and the second
    would add again the courts the first added (a duplicate court id). The lock goes with the
    transaction, so a failed import releases it. SQLite already lets one writing transaction in at a
    time (transaction_mode IMMEDIATE)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('courts.services.courts_import_feed'))")


@transaction.atomic
def court_set_name(court: Court, name: str) -> Court:
    """An administrator's display name for the court: kept across feed imports."""
    court.name = name
    court.name_overridden = True
    court.full_clean(validate_unique=False)
    court.save(update_fields=["name", "name_overridden", "updated_at"])
    return court


# What a court's change form may write, checked as the feed's records are (courts.pacer_feed):
# pages, emails and calendars build on these, so one stray line break or a phone list that is not a
# list breaks every page of the court, not just its form.
_COURT_TEXT_FIELDS = ("court_id", "cmecf_code", "name", "feed_name", "title", "circuit", "state",
                      "software_version", "cmecf_start_text")
_COURT_ADDRESS_FIELDS = ("login_url", "web_url", "rss_url")
LOCATION_KEYS = ("name", "address", "email", "hours", "phone")


def court_field_problems(values: dict) -> dict[str, str]:
    """{field: why} for the values of a court (a change form's cleaned data) that cannot be stored:
    a court id that is not letters and digits, a character no field may hold, an address that is
    not http(s), a circuit that is not letters and digits (it is in the address of its public page and
    calendar) or not one of `CIRCUITS`, help-desk phones that are not a list of texts, locations that
    are not a list of offices (objects of `LOCATION_KEYS` with text values), a phone or an office's
    text longer than the feed's import takes (`HELP_DESK_MAX_LENGTH`, `OFFICE_TEXT_MAX_LENGTH`)."""
    problems: dict[str, str | None] = {}
    court_id = values.get("court_id")
    if court_id is not None and not is_court_id(court_id):
        problems["court_id"] = "a court id is letters and digits only (at most 16), e.g. MTDC"
    for name in _COURT_TEXT_FIELDS:
        problems.setdefault(name, bad_character(values.get(name) or ""))
    circuit = values.get("circuit") or ""
    if circuit and not problems["circuit"] and not is_circuit(circuit):
        problems["circuit"] = CIRCUIT_SHAPE
    # The status pages and filters group courts by circuit: "9" would be a circuit of its own, apart
    # from the Ninth's ("09").
    problems["circuit"] = problems["circuit"] or circuit_problem(circuit)
    for name in _COURT_ADDRESS_FIELDS:
        problems[name] = web_address_problem(values.get(name) or "")
    if "help_desk_phones" in values:
        problems["help_desk_phones"] = _texts_problem(
            values["help_desk_phones"], 'give the phone numbers as a list of texts, e.g. ["406-555-0100"]',
            HELP_DESK_MAX_LENGTH)
    if "locations" in values:
        problems["locations"] = _locations_problem(values["locations"])
    return {name: _sentence(problem) for name, problem in problems.items() if problem}


def _texts_problem(values, shape: str, limit: int) -> str | None:
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        return shape
    too_long = next((value for value in values if len(value) > limit), None)
    if too_long is not None:
        return f"{too_long[:40]!r}… is longer than {limit} characters"
    return next(filter(None, map(bad_character, values)), None)


def _locations_problem(locations) -> str | None:
    shape = 'give a list of offices, e.g. [{"name": "Helena", "phone": "406-555-0100"}]'
    if not isinstance(locations, list) or not all(isinstance(office, dict) for office in locations):
        return shape
    for number, office in enumerate(locations, 1):
        unknown = sorted(set(office) - set(LOCATION_KEYS))
        if unknown:
            return f"office {number} has {', '.join(map(repr, unknown))}; an office has {', '.join(LOCATION_KEYS)}"
        problem = _texts_problem(list(office.values()), f"office {number}: each value is a text",
                                 OFFICE_TEXT_MAX_LENGTH)
        if problem:
            return f"office {number}: {problem}" if not problem.startswith("office") else problem
    return None


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


def rollout_field_problems(values: dict) -> dict[str, str]:
    """{field: why} for the values of a rollout that cannot be stored: a name holding a character no
    field may hold. The name is in every status page, calendar feed (its name and each event) and
    notice attachment: the calendar library refuses a line break in a calendar's name, so one would
    break every feed. (The slug's own validator takes letters, digits, - and _ only.)"""
    problem = bad_character(values.get("name") or "")
    return {"name": _sentence(problem)} if problem else {}


@transaction.atomic
def rollout_save(rollout: Rollout) -> Rollout:
    """Store a rollout, refused (ValidationError naming the field) when `rollout_field_problems` finds
    one; nothing is written then."""
    problems = rollout_field_problems({"name": rollout.name})
    if problems:
        raise ValidationError(problems)
    rollout.full_clean(validate_unique=False)
    rollout.save()
    return rollout


@transaction.atomic
def court_time_zone_problems(court: Court, time_zone: str, now: dt.datetime | None = None) -> dict[str, str]:
    """{"time_zone": why} when the court may not take `time_zone` now: a live go-live dated today in
    the old zone can be tomorrow's date in the new one, and a live court's date is never in the future."""
    clash = _live_date_ahead_in(court, time_zone, now)
    if clash is None:
        return {}
    today, ahead = clash
    return {"time_zone": (f"In {time_zone} it is still {format_day(today)}, so the court's live date, "
                          f"{format_day(ahead)}, would be in the future. Choose this zone again from that date.")}


def _live_date_ahead_in(court: Court, time_zone: str, now: dt.datetime | None) -> tuple[dt.date, dt.date] | None:
    """(today in `time_zone`, the court's live date) when that date is after today there."""
    try:
        today = (now or timezone.now()).astimezone(ZoneInfo(time_zone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return None  # the model's own validation names an unknown zone
    ahead = (GoLive.objects.filter(court=court, status=GoLiveStatus.LIVE, go_live_date__gt=today)
             .values_list("go_live_date", flat=True).first())
    return None if ahead is None else (today, ahead)


def court_set_time_zone(court: Court, time_zone: str, now: dt.datetime | None = None) -> Court:
    """An administrator's choice of zone: kept across feed imports; go-live instants follow it.
    Refused (ValidationError on time_zone) when a live go-live's date would be after today in it."""
    problems = court_time_zone_problems(court, time_zone, now)
    if problems:
        raise ValidationError(problems)
    court.time_zone = time_zone
    court.time_zone_overridden = True
    court.full_clean(validate_unique=False)
    court.save(update_fields=["time_zone", "time_zone_overridden", "updated_at"])
    golives_recompute_live_at(court)
    return court


def golives_recompute_live_at(court: Court) -> None:
    for golive in GoLive.objects.filter(court=court).select_related("court"):
        golive.court = court
        live_at = golive.compute_live_at()
        if live_at != golive.live_at:
            golive.live_at = live_at
            golive.save(update_fields=["live_at", "updated_at"])


_KEEP = object()  # "leave the blackout to the rules" (moved with the date, or cleared)

# Instants a blackout may have: a stored one must read back (PostgreSQL keeps year 10000, Python cannot
# read it) and be shown in any court's zone with a day to spare either side for the calendars.
_INSTANT_MIN = dt.datetime.min.replace(tzinfo=dt.timezone.utc) + dt.timedelta(days=2)
_INSTANT_MAX = dt.datetime.max.replace(tzinfo=dt.timezone.utc) - dt.timedelta(days=2)


def golive_latest_date(court: Court, now: dt.datetime | None = None) -> dt.date:
    """The latest go-live date allowed: GOLIVE_MAX_YEARS_AHEAD years after today in the court's zone (rule 8)."""
    today = court.local_today(now)
    try:
        return today.replace(year=today.year + GOLIVE_MAX_YEARS_AHEAD)
    except ValueError:  # 29 February, in a year that has none
        return today.replace(year=today.year + GOLIVE_MAX_YEARS_AHEAD, day=28)


def _same_day_in_zone(value: dt.datetime, days: int, tz) -> dt.datetime:
    """`value` moved by `days` calendar days keeping its wall-clock time in `tz` (rule 3)."""
    local = value.astimezone(tz)
    moved = dt.datetime.combine(local.date() + dt.timedelta(days=days), local.time().replace(tzinfo=None), tzinfo=tz)
    return moved.astimezone(dt.timezone.utc).astimezone(tz)  # a time in a spring-forward gap → the valid one after


def golive_blackout_moved(golive: GoLive, new_date: dt.date | None, new_status: str, *, now: dt.datetime | None = None
                          ) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The blackout the go-live would have at (new_date, new_status) when staff give no new one (rules 3–5)."""
    start, end = golive.blackout_start, golive.blackout_end
    if start is None or end is None or new_date is None or new_status not in FIRM:
        return None, None
    old_date = golive.go_live_date
    if old_date is None or old_date == new_date:
        return start, end
    if new_status == GoLiveStatus.LIVE and golive.status != GoLiveStatus.LIVE and end > (now or timezone.now()):
        # Marked live before the announced blackout was over (rule 4): it will not happen as announced.
        # The announced window decides, not the moved one (moved to an earlier day it may look over).
        return None, None
    days = (new_date - old_date).days
    tz = golive.court.tzinfo
    return _same_day_in_zone(start, days, tz), _same_day_in_zone(end, days, tz)


def golive_problems(golive: GoLive, *, old_date: dt.date | None, old_status: str, now: dt.datetime | None = None
                    ) -> dict[str, str]:
    """{field: what is wrong} for a go-live about to be written ({} = it may be written)."""
    now = now or timezone.now()
    court = golive.court
    today = court.local_today(now)
    problems: dict[str, str] = {}
    day, status = golive.go_live_date, golive.status
    if status in FIRM and day is None:
        problems["go_live_date"] = "A scheduled or live court needs a go-live date."
    if status == GoLiveStatus.NOT_SCHEDULED and day is not None:
        problems["go_live_date"] = "A court that is not scheduled has no go-live date; choose Scheduled to set one."
    if status == GoLiveStatus.LIVE and day and day > today:
        problems["go_live_date"] = (
            f"A live court's go-live date cannot be after today ({format_day(today)} in {court.time_zone}); "
            f"{format_day(day)} is still to come.")
    moved = day != old_date or (status == GoLiveStatus.SCHEDULED and old_status != GoLiveStatus.SCHEDULED)
    if status == GoLiveStatus.SCHEDULED and day and moved and day < today:
        problems["go_live_date"] = (
            f"{format_day(day)} is before today ({format_day(today)} in {court.time_zone}). To record a go-live "
            "that already happened, mark the court live and correct its date.")
    if status == GoLiveStatus.POSTPONED and day != old_date:
        problems["go_live_date"] = "A postponed go-live has no new date: to set one, choose Scheduled."
    latest = golive_latest_date(court, now)
    if day and day > latest and "go_live_date" not in problems:
        problems["go_live_date"] = (
            f"A go-live date is at most {GOLIVE_MAX_YEARS_AHEAD} years after today, so no later than "
            f"{format_day(latest)} ({court.time_zone}); {format_day(day)} is too far off.")
    if day and day < GOLIVE_EARLIEST and "go_live_date" not in problems:
        problems["go_live_date"] = f"A go-live date is on or after {format_day(GOLIVE_EARLIEST)}."
    start, end = golive.blackout_start, golive.blackout_end
    if (start is None) != (end is None):
        problems["blackout_end" if end is None else "blackout_start"] = "Give both the start and the end of the blackout."
    elif start is not None:
        if status not in FIRM:
            problems["blackout_start"] = ("A postponed or unscheduled court has no filing blackout: clear it, "
                                          "or schedule a date first.")
        elif not (_INSTANT_MIN <= start <= _INSTANT_MAX and _INSTANT_MIN <= end <= _INSTANT_MAX):
            # Checked before the others: they read the instants in the court's zone, which may not hold them.
            for name, value in (("blackout_start", start), ("blackout_end", end)):
                if not _INSTANT_MIN <= value <= _INSTANT_MAX:
                    what = "start" if name == "blackout_start" else "end"
                    problems[name] = (f"The blackout {what} ({value:%Y-%m-%d %H:%M}) is out of range: a blackout "
                                      "is on or around the go-live day.")
        elif end <= start:
            problems["blackout_end"] = "The blackout must end after it starts."
        elif end - start > dt.timedelta(days=BLACKOUT_MAX_DAYS):
            problems["blackout_start"] = f"A blackout lasts at most {BLACKOUT_MAX_DAYS} days."
        elif day and abs((end.astimezone(court.tzinfo).date() - day).days) > BLACKOUT_DAYS_AROUND:
            problems["blackout_end"] = (
                f"The blackout must end on the go-live day ({format_day(day)}) or within {BLACKOUT_DAYS_AROUND} days "
                f"of it; it ends {format_instant(end, court.tzinfo)}.")
    return problems


def golive_plan(
    golive: GoLive, *, new_date: dt.date | None, new_status: str, blackout=_KEEP, now: dt.datetime | None = None,
) -> GoLive:
    """The go-live as it would be after a change, unsaved (`golive` itself is not touched).

    Steps: a live court's date in the future becomes today (mark live now); the blackout is the one
    given, else moved with the date or cleared (rules 3–5); then every rule is checked and a
    ValidationError names each field at fault.
    """
    now = now or timezone.now()
    if new_status == GoLiveStatus.LIVE and golive.status != GoLiveStatus.LIVE:
        # Mark live now: with no date, a date still to come or one a postponement voided, it is today.
        today = golive.court.local_today(now)
        unchanged = new_date == golive.go_live_date
        if new_date is None or (unchanged and (new_date > today or golive.status == GoLiveStatus.POSTPONED)):
            new_date = today
    if blackout is not _KEEP:
        start, end = blackout
    elif new_date is not None and new_date > golive_latest_date(golive.court, now):
        start, end = None, None  # the date is refused below; a blackout moved that far may not fit a datetime
    else:
        start, end = golive_blackout_moved(golive, new_date, new_status, now=now)
        if (new_status == GoLiveStatus.SCHEDULED and start is not None and start != golive.blackout_start
                and start < now and new_date >= golive.court.local_today(now)):
            # Moved with the date to a time already past (a date moved to today or tomorrow; a date
            # moved into the past is refused for that, below): filers
            # would be told of a pause that began before they were told, and the one they were told
            # of would never be taken back. Staff give the pause its times, or mark the court live.
            raise ValidationError({"blackout_start": (
                f"Moved with the date, the filing pause would start {format_instant(start, golive.court.tzinfo)}, "
                "which has passed. Give the pause its new start and end (or clear it) with the new date, or mark "
                "the court live if it went live early.")})
    plan = copy.copy(golive)
    plan.go_live_date, plan.status = new_date, new_status
    plan.blackout_start, plan.blackout_end = start, end
    plan.live_at = plan.compute_live_at()
    problems = golive_problems(plan, old_date=golive.go_live_date, old_status=golive.status, now=now)
    if problems:
        raise ValidationError(problems)
    return plan


def golive_change(
    golive: GoLive,
    *,
    new_date: dt.date | None,
    new_status: str,
    blackout=_KEEP,
    emergency=_KEEP,
    by=None,
    source: str = "",
    reason: str = "",
    now: dt.datetime | None = None,
) -> GoLiveChange | None:
    """The one write of a go-live's date, status, blackout and emergency filing instructions: plan
    and check (`golive_plan`), save, record a GoLiveChange when the date or status changed, and
    announce a date change.

    Returns None when nothing is recorded: the date, status and blackout stay (or only the blackout of
    a go-live neither scheduled nor live changed). A change of the blackout alone of a scheduled or live
    go-live is recorded (`GoLiveChange.blackout_only`): filers told the old window hear the new one.
    So is a change of the emergency instructions alone while a pause is announced and not over:
    filers told what to do during it hear the new instructions.
    Raises ValidationError naming the field, writing nothing, when a rule is broken.
    """
    now = now or timezone.now()
    with transaction.atomic():
        plan = golive_plan(golive, new_date=new_date, new_status=new_status, blackout=blackout, now=now)
        old_date, old_status = golive.go_live_date, golive.status
        old_blackout = (golive.blackout_start, golive.blackout_end)
        old_emergency = golive.emergency_filing_instructions or ""
        new_emergency = old_emergency if emergency is _KEEP else (emergency or "")
        problem = emergency_instructions_problem(new_emergency) if new_emergency != old_emergency else ""
        if problem:
            raise ValidationError({"emergency_filing_instructions": problem})
        fields = ("go_live_date", "status", "blackout_start", "blackout_end", "live_at")
        if all(getattr(plan, f) == getattr(golive, f) for f in fields) and new_emergency == old_emergency:
            return None
        if plan.status == GoLiveStatus.LIVE and old_status != GoLiveStatus.LIVE and old_date and plan.go_live_date < old_date:
            early = (f"Marked live on {format_day(plan.go_live_date)}, before its scheduled date "
                     f"{format_day(old_date)}")
            reason = f"{early}: {reason}" if reason else early
        for name in fields:
            setattr(golive, name, getattr(plan, name))
        golive.emergency_filing_instructions = new_emergency
        golive.save()
        new_blackout = (golive.blackout_start, golive.blackout_end)
        blackout_only = (old_date, old_status) == (golive.go_live_date, golive.status)
        # Instructions are only ever shown beside a pause: changed with none, nobody hears of them.
        told_changed = old_blackout != new_blackout or (new_emergency != old_emergency and new_blackout[0] is not None)
        # A pause that changed alone is recorded (and announced) while it matters to filers: a scheduled
        # or live go-live, and the old or the new window not over yet.
        if blackout_only and (not told_changed or golive.status not in FIRM
                              or not any(end and end > now for end in (old_blackout[1], new_blackout[1]))):
            return None
        if blackout_only:
            # The history says what changed; a reason given (the admin form's) follows it.
            what = "Filing pause changed" if old_blackout != new_blackout else "Emergency filing instructions changed"
            reason = f"{what} ({reason})" if reason else what
        change = GoLiveChange.objects.create(
            golive=golive,
            old_date=old_date,
            new_date=golive.go_live_date,
            old_status=old_status,
            new_status=golive.status,
            changed_by=by if getattr(by, "pk", None) else None,
            source=source[:120],
            reason=reason[:255],
            changed_at=now,
            old_blackout_start=old_blackout[0], old_blackout_end=old_blackout[1],
            new_blackout_start=new_blackout[0], new_blackout_end=new_blackout[1],
            old_emergency_instructions=old_emergency, new_emergency_instructions=new_emergency,
        )
        if old_date != golive.go_live_date:
            golive_date_changed.send(sender=GoLive, golive=golive, change=change)
        return change


def golive_schedule(
    golive: GoLive, go_live_date: dt.date, *, by=None, source: str = "", reason: str = "",
    now: dt.datetime | None = None,
) -> GoLiveChange | None:
    """Set or move a court's go-live date; the court becomes scheduled (the blackout moves with the date).

    A court already live keeps its status: the date is then a correction of the record (never after today).
    """
    status = GoLiveStatus.LIVE if golive.status == GoLiveStatus.LIVE else GoLiveStatus.SCHEDULED
    return golive_change(golive, new_date=go_live_date, new_status=status, by=by, source=source, reason=reason, now=now)


# The name the rest of the code and the admin use for moving an existing date.
golive_reschedule = golive_schedule


def golive_postpone(
    golive: GoLive, *, by=None, source: str = "", reason: str = "", now: dt.datetime | None = None,
) -> GoLiveChange | None:
    """Postpone a go-live: its date no longer holds (kept as the date it was) and its blackout is cleared.
    A new date, once known, is set with `golive_schedule`."""
    return golive_change(golive, new_date=golive.go_live_date, new_status=GoLiveStatus.POSTPONED, by=by,
                         source=source, reason=reason, now=now)


def golive_mark_live(
    golive: GoLive, *, day: dt.date | None = None, by=None, source: str = "", reason: str = "",
    now: dt.datetime | None = None,
) -> GoLiveChange | None:
    """Mark a court live now. Its go-live date becomes today in the court's zone when it had none or
    one still to come (recorded with the reason); `day` records a go-live that happened earlier."""
    return golive_change(golive, new_date=day or golive.go_live_date, new_status=GoLiveStatus.LIVE, by=by,
                         source=source, reason=reason, now=now)


def golive_unschedule(
    golive: GoLive, *, by=None, source: str = "", reason: str = "", now: dt.datetime | None = None,
) -> GoLiveChange | None:
    """No date any more (and so no blackout)."""
    return golive_change(golive, new_date=None, new_status=GoLiveStatus.NOT_SCHEDULED, by=by, source=source,
                         reason=reason, now=now)


def golive_set_blackout(
    golive: GoLive, start: dt.datetime | None, end: dt.datetime | None, *, now: dt.datetime | None = None,
) -> GoLive:
    """Set (or clear, with None, None) the filing blackout of a scheduled or live go-live."""
    golive_change(golive, new_date=golive.go_live_date, new_status=golive.status, blackout=(start, end), now=now)
    return golive


def golive_set(
    golive: GoLive, new_date: dt.date | None, new_status: str, *, blackout=_KEEP, emergency=_KEEP, by=None,
    source: str = "", reason: str = "", now: dt.datetime | None = None,
) -> GoLiveChange | None:
    """Bring a go-live to (new_date, new_status) as an administrator chose it in a form.

    Live with an unchanged date still to come is "mark live now" (today); a postponement keeps the
    date it had; not scheduled has no date.
    """
    if new_status == GoLiveStatus.NOT_SCHEDULED:
        new_date = None
    return golive_change(golive, new_date=new_date, new_status=new_status, blackout=blackout, emergency=emergency,
                         by=by, source=source, reason=reason, now=now)


def golives_mark_live_due(now: dt.datetime | None = None) -> int:
    """Flip every scheduled go-live whose local start has passed to live (run by beat). Returns how many."""
    now = now or timezone.now()
    rollout = rollout_current()
    count = 0
    due = GoLive.objects.filter(golive_live_q(now), rollout=rollout, status=GoLiveStatus.SCHEDULED)
    for golive in due.select_related("court"):
        with transaction.atomic():
            locked = GoLive.objects.select_for_update().select_related("court", "rollout").get(pk=golive.pk)
            if locked.status != GoLiveStatus.SCHEDULED:
                continue  # another run got there first
            if golive_mark_live(locked, source="schedule", now=now):
                count += 1
    return count


_NEW_GOLIVE_DEFAULTS = {"reminder_days_after": [7, 14, 30]}


def golive_get_or_create(court: Court, rollout: Rollout | None = None) -> GoLive:
    """The court's go-live on the current rollout, created (not scheduled) when missing."""
    rollout = rollout or rollout_current()
    golive, _ = GoLive.objects.get_or_create(court=court, rollout=rollout, defaults=_NEW_GOLIVE_DEFAULTS)
    return golive


def golive_or_unsaved(court: Court, rollout: Rollout) -> GoLive:
    """The court's go-live on `rollout`, or the one it would get, NOT saved: what a preview shows,
    so looking at (or mistyping) a change creates nothing. `golive_saved` makes it real when a change
    is applied."""
    existing = GoLive.objects.filter(court=court, rollout=rollout).select_related("court", "rollout").first()
    return existing or GoLive(court=court, rollout=rollout, **copy.deepcopy(_NEW_GOLIVE_DEFAULTS))


def golive_saved(golive: GoLive) -> GoLive:
    """`golive` itself, or for one from `golive_or_unsaved`, the row (created now if still missing).
    Call it inside the transaction of the change, so a refused change leaves no row behind."""
    return golive if golive.pk else golive_get_or_create(golive.court, golive.rollout)
