"""Writes about courts: the PACER feed import, time zones, and go-live scheduling.

Every change of a go-live's date or status goes through `_golive_apply`, which records a
GoLiveChange (who or what, when, old and new) and keeps `live_at` in step with the date and the
court's time zone.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from courts.models import Court, GoLive, GoLiveChange, GoLiveStatus, SoftwareVersionChange
from courts.pacer_feed import FeedCourt, FeedSkip
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

    @property
    def changed_anything(self) -> bool:
        return bool(self.created or self.updated)


@transaction.atomic
def courts_import_feed(
    courts: list[FeedCourt], *, skipped: list[FeedSkip] | None = None, seen_on: dt.date | None = None,
    only_create: bool = False,
) -> CourtImportResult:
    """Create or update courts from feed records in one transaction.

    Steps: load every existing court once; for each record compare the feed-owned fields and write
    only what differs; record a SoftwareVersionChange when the release changed; keep an
    administrator's name and time-zone overrides; recompute go-live instants when a zone changed.
    With `only_create` (the built-in catalog) existing courts are left as they are.
    """
    seen_on = seen_on or timezone.localdate()
    result = CourtImportResult(skipped=list(skipped or []))
    existing = {court.court_id: court for court in Court.objects.all()}
    to_create: list[Court] = []
    for record in courts:
        court = existing.get(record.court_id)
        if court is None:
            court = Court(court_id=record.court_id, time_zone=record.time_zone, name=record.name)
            for name in FEED_FIELDS:
                setattr(court, name, getattr(record, name))
            to_create.append(court)
            result.created.append(record.court_id)
            continue
        if only_create:
            result.unchanged.append(record.court_id)
            continue
        changed = [name for name in FEED_FIELDS if getattr(court, name) != getattr(record, name)]
        if not court.name_overridden and court.name != record.name:
            changed.append("name")  # the display name follows the feed unless an administrator set it
        zone_changed = not court.time_zone_overridden and court.time_zone != record.time_zone
        if not changed and not zone_changed:
            result.unchanged.append(record.court_id)
            continue
        if "software_version" in changed and record.software_version:
            result.version_changes.append(
                SoftwareVersionChange(
                    court=court, old_version=court.software_version, new_version=record.software_version, seen_on=seen_on
                )
            )
        for name in changed:
            setattr(court, name, getattr(record, name))
        if zone_changed:
            court.time_zone = record.time_zone
        court.save()
        if zone_changed:
            golives_recompute_live_at(court)
        result.updated.append(record.court_id)
    Court.objects.bulk_create(to_create)
    SoftwareVersionChange.objects.bulk_create(result.version_changes)
    return result


@transaction.atomic
def court_set_name(court: Court, name: str) -> Court:
    """An administrator's display name for the court: kept across feed imports."""
    court.name = name
    court.name_overridden = True
    court.full_clean(validate_unique=False)
    court.save(update_fields=["name", "name_overridden", "updated_at"])
    return court


@transaction.atomic
def court_set_time_zone(court: Court, time_zone: str) -> Court:
    """An administrator's choice of zone: kept across feed imports; go-live instants follow it."""
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


def _golive_apply(
    golive: GoLive,
    *,
    new_date: dt.date | None,
    new_status: str,
    by=None,
    source: str = "",
    reason: str = "",
    at: dt.datetime | None = None,
) -> GoLiveChange | None:
    """Write a go-live's new date and status, record the change, and announce a date change.

    Returns None (and writes nothing) when neither the date nor the status changes.
    """
    old_date, old_status = golive.go_live_date, golive.status
    if old_date == new_date and old_status == new_status:
        return None
    golive.go_live_date = new_date
    golive.status = new_status
    golive.live_at = golive.compute_live_at()
    golive.full_clean(exclude=["court", "rollout"], validate_unique=False)
    golive.save()
    change = GoLiveChange.objects.create(
        golive=golive,
        old_date=old_date,
        new_date=new_date,
        old_status=old_status,
        new_status=new_status,
        changed_by=by if getattr(by, "pk", None) else None,
        source=source[:120],
        reason=reason[:255],
        changed_at=at or timezone.now(),
    )
    if old_date != new_date:
        golive_date_changed.send(sender=GoLive, golive=golive, change=change)
    return change


@transaction.atomic
def golive_schedule(
    golive: GoLive, go_live_date: dt.date, *, by=None, source: str = "", reason: str = ""
) -> GoLiveChange | None:
    """Set (or move) a court's go-live date; the court becomes scheduled.

    A court already live keeps its status: the date is then a correction of the record.
    """
    status = GoLiveStatus.LIVE if golive.status == GoLiveStatus.LIVE else GoLiveStatus.SCHEDULED
    return _golive_apply(golive, new_date=go_live_date, new_status=status, by=by, source=source, reason=reason)


# The name the rest of the code and the admin use for moving an existing date.
golive_reschedule = golive_schedule


@transaction.atomic
def golive_postpone(
    golive: GoLive, *, new_date: dt.date | None = None, by=None, source: str = "", reason: str = ""
) -> GoLiveChange | None:
    """Postpone a go-live, to a new date when one is known (the old one is kept until then)."""
    return _golive_apply(
        golive, new_date=new_date or golive.go_live_date, new_status=GoLiveStatus.POSTPONED, by=by, source=source,
        reason=reason,
    )


@transaction.atomic
def golive_mark_live(
    golive: GoLive, *, by=None, source: str = "", reason: str = "", now: dt.datetime | None = None
) -> GoLiveChange | None:
    """Mark a court live now; with no date yet, the go-live date becomes today in the court's zone."""
    day = golive.go_live_date or golive.court.local_today(now)
    return _golive_apply(golive, new_date=day, new_status=GoLiveStatus.LIVE, by=by, source=source, reason=reason)


@transaction.atomic
def golive_unschedule(golive: GoLive, *, by=None, source: str = "", reason: str = "") -> GoLiveChange | None:
    return _golive_apply(golive, new_date=None, new_status=GoLiveStatus.NOT_SCHEDULED, by=by, source=source, reason=reason)


def golives_mark_live_due(now: dt.datetime | None = None) -> int:
    """Flip every scheduled go-live whose local start has passed to live (run by beat). Returns how many."""
    now = now or timezone.now()
    rollout = rollout_current()
    count = 0
    due = GoLive.objects.filter(golive_live_q(now), rollout=rollout, status=GoLiveStatus.SCHEDULED)
    for golive in due.select_related("court"):
        with transaction.atomic():
            locked = GoLive.objects.select_for_update().select_related("court").get(pk=golive.pk)
            if locked.status != GoLiveStatus.SCHEDULED:
                continue  # another run got there first
            if _golive_apply(locked, new_date=locked.go_live_date, new_status=GoLiveStatus.LIVE, source="schedule"):
                count += 1
    return count


def golive_get_or_create(court: Court, rollout: Rollout | None = None) -> GoLive:
    """The court's go-live on the current rollout, created (not scheduled) when missing."""
    rollout = rollout or rollout_current()
    golive, _ = GoLive.objects.get_or_create(court=court, rollout=rollout, defaults={"reminder_days_after": [7, 14, 30]})
    return golive
