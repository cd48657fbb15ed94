"""Reads about notices for the court page and the overview (fixed number of queries)."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

from django.conf import settings
from django.db.models import Count, Min, OuterRef, Subquery
from django.utils import timezone

from courts.models import GoLiveChange
from rollout.notices.models import DeliveryState, NoticeDelivery, NoticeKind

RENDER_FAILED = "Rendering failed"  # how sending starts the error of a message its template could not render


def last_announcements(court_ids: Iterable[int] | None) -> dict[int, tuple[str, object]]:
    """{court id: (notice kind label, sent_at)} of the latest notice sent per court, in one query.

    Each court's latest row is found by a backward scan of the partial index on sent rows
    (court, sent_at), so the cost follows the number of courts, not the millions of deliveries.
    """
    from courts.models import Court

    latest = NoticeDelivery.objects.filter(court_id=OuterRef("pk"), state=DeliveryState.SENT).order_by("-sent_at")
    courts = Court.objects.all() if court_ids is None else Court.objects.filter(id__in=list(court_ids))
    rows = courts.order_by().annotate(
        last_kind=Subquery(latest.values("kind")[:1]), last_at=Subquery(latest.values("sent_at")[:1])
    ).filter(last_at__isnull=False).values_list("id", "last_kind", "last_at")
    return {court_id: (NoticeKind(kind).label, sent_at) for court_id, kind, sent_at in rows}


def notice_summary(court) -> dict[str, dict[str, int]]:
    """{notice kind: {"sent", "due", "failed", "skipped"}} for one court's go-live in the current
    rollout (an earlier rollout's notices are its own): one grouped query.
    "due" counts rows created and not yet sent (pending or being sent)."""
    summary: dict[str, dict[str, int]] = defaultdict(lambda: {"sent": 0, "due": 0, "failed": 0, "skipped": 0})
    rows = (
        NoticeDelivery.objects.filter(court=court, golive__rollout__is_current=True).order_by()
        .values("kind", "state").annotate(n=Count("id"))
    )
    for row in rows:
        bucket = {
            DeliveryState.PENDING: "due", DeliveryState.SENDING: "due", DeliveryState.SENT: "sent",
            DeliveryState.FAILED: "failed", DeliveryState.SKIPPED: "skipped", DeliveryState.BOUNCED: "failed",
        }[row["state"]]
        summary[row["kind"]][bucket] += row["n"]
    return {kind: dict(summary[kind]) for kind in NoticeKind.values if kind in summary}


ACTIVE = (DeliveryState.PENDING, DeliveryState.SENDING)


def notice_backlog_ages(now=None) -> tuple[dt.timedelta | None, dt.timedelta | None]:
    """(age of the oldest due notice not sent yet, age of the oldest delivery left `sending`), None
    when there is none: two index reads, for /healthz and monitoring.

    A due notice is a pending or sending row; its age counts from its creation, so a campaign held
    up by retries or a dead sender shows. A sending row's age counts from its claim (renewed by a
    live sender every quarter of NOTICES_CLAIM_TIMEOUT_SECONDS), so a value well over that timeout
    means the sweeper is not running.
    """
    now = now or timezone.now()
    oldest_due = NoticeDelivery.objects.filter(state__in=ACTIVE).aggregate(at=Min("created_at"))["at"]
    oldest_sending = NoticeDelivery.objects.filter(state=DeliveryState.SENDING).aggregate(at=Min("claimed_at"))["at"]
    return (now - oldest_due if oldest_due else None, now - oldest_sending if oldest_sending else None)


@dataclass
class CourtNoticeHealth:
    stalled_since: dt.datetime | None = None  # creation of the oldest notice due longer than the threshold
    stalled: int = 0  # how many such notices
    unreachable: int = 0  # filers whose address is undeliverable
    render_failures: int = 0
    render_error: str = ""


def courts_notice_health(court_ids: Iterable[int], now=None) -> dict[int, CourtNoticeHealth]:
    """Per court: notices due for longer than NOTICES_STALL_AFTER_SECONDS, filers with an
    undeliverable address. Two grouped queries whatever the number of courts."""
    from accounts.models import CmecfAccount
    from rollout.notices.bounces import undeliverable_emails

    now = now or timezone.now()
    ids = list(court_ids)
    health: dict[int, CourtNoticeHealth] = defaultdict(CourtNoticeHealth)
    cutoff = now - dt.timedelta(seconds=settings.NOTICES_STALL_AFTER_SECONDS)
    stalled = (NoticeDelivery.objects.filter(court_id__in=ids, state__in=ACTIVE, created_at__lt=cutoff).order_by()
               .values("court_id").annotate(n=Count("id"), oldest=Min("created_at")))
    for row in stalled:
        health[row["court_id"]].stalled, health[row["court_id"]].stalled_since = row["n"], row["oldest"]
    unreachable = (CmecfAccount.objects.filter(court_id__in=ids, filer__email__in=undeliverable_emails()).order_by()
                   .values("court_id").annotate(n=Count("filer_id", distinct=True)))
    for row in unreachable:
        health[row["court_id"]].unreachable = row["n"]
    return dict(health)


def unreachable_filers_count(court_ids: Iterable[int]) -> int:
    """Filers at any of these courts whose address is undeliverable, each once: a filer at several
    courts is one person to reach, not one per court (the per-court figures count them at each)."""
    from accounts.models import CmecfAccount
    from rollout.notices.bounces import undeliverable_emails

    return (CmecfAccount.objects.filter(court_id__in=list(court_ids), filer__email__in=undeliverable_emails())
            .order_by().aggregate(n=Count("filer_id", distinct=True))["n"])


def court_notice_health(court, now=None) -> CourtNoticeHealth:
    """The court page's alerts: stalls, unreachable filers, and messages of the current rollout a
    template failed to render (with the latest error), in three queries."""
    health = courts_notice_health([court.id], now).get(court.id, CourtNoticeHealth())
    failures = NoticeDelivery.objects.filter(court=court, golive__rollout__is_current=True, state=DeliveryState.FAILED,
                                             last_error__startswith=RENDER_FAILED)
    health.render_failures = failures.count()
    if health.render_failures:
        health.render_error = failures.order_by("-id").values_list("last_error", flat=True)[0][:300]
    return health


def date_as_told(day, status) -> tuple:
    """A go-live's date and status as a notice tells them: postponed (its old date kept or not) and
    not scheduled read the same, "the switch is postponed; we will write again"."""
    from courts.models import GoLiveStatus

    if status in (GoLiveStatus.POSTPONED, GoLiveStatus.NOT_SCHEDULED):
        return None, GoLiveStatus.POSTPONED
    return day, status


# The notices that tell a filer the go-live's date: "switches on …", "live since …" (the go-live
# notice and every reminder). A change of the date is announced to whoever got one.
DATE_STATING_KINDS = (NoticeKind.PREPARE, NoticeKind.GOLIVE, NoticeKind.REMINDER)


# What each change notice corrects: the notices that state what it changes.
STATING = {NoticeKind.DATE_CHANGED: (*DATE_STATING_KINDS, NoticeKind.DATE_CHANGED),
           NoticeKind.BLACKOUT_CHANGED: (NoticeKind.PREPARE, NoticeKind.GOLIVE, NoticeKind.DATE_CHANGED,
                                         NoticeKind.BLACKOUT_CHANGED)}
# `deliveries_dates_told` for a change notice whose filer was sent nothing yet that states what it
# changes (what was due to them failed or was set aside): there is nothing to correct.
NOTHING_TOLD = ()
# ... for one whose filer has an earlier notice stating what it changes still queued or being sent by
# another run: sent first, the correction would arrive before what it corrects, and the filer would be
# left with the old fact. It waits.
WAIT_FOR_EARLIER = ("wait for an earlier notice",)


def deliveries_dates_told(rows: Iterable[NoticeDelivery]) -> dict[int, tuple]:
    """For each date-changed row: the go-live date and status its filer was last told and the pause
    told with them, as {row id: (date, status, (start, end, emergency instructions))}; for each
    filing-pause row: the pause they were last told, as {row id: (start, end, emergency
    instructions)}; NOTHING_TOLD when nothing stating them reached the filer; WAIT_FOR_EARLIER while
    one stating them, outside `rows`, is still pending or sending; in one query for the chunk.

    Steps: read each (filer, go-live)'s notices that state the date (prepare, go-live, reminder,
    date-changed) or the pause (prepare, go-live, date-changed, filing-pause) in id order (ids follow
    creation); the last sent one before the row is what the filer last heard. When it recorded the
    go-live's last change as its facts were read (`told_as_of`), it told that change's outcome;
    otherwise (marked sent by another path, or before the mark recorded it) the outcome of the last
    change made before it was sent, or with none the go-live as it was before its first change
    (one more query for the chunk: the go-lives' changes). So a notice
    never says "we wrote to you" about a date or a pause the filer never received, also when a change
    in between was announced by another kind of notice (marked live early) or not at all.
    """
    wanted = [r for r in rows if r.kind in STATING]
    if not wanted:
        return {}
    history = (NoticeDelivery.objects
               .filter(filer_id__in={r.filer_id for r in wanted}, golive_id__in={r.golive_id for r in wanted},
                       kind__in={kind for kinds in STATING.values() for kind in kinds})
               .order_by("id").values_list("id", "filer_id", "golive_id", "kind", "state",
                                           "change__old_date", "change__old_status",
                                           "change__old_blackout_start", "change__old_blackout_end",
                                           "change__old_emergency_instructions", "told_as_of_id",
                                           "told_as_of__new_date", "told_as_of__new_status",
                                           "told_as_of__new_blackout_start", "told_as_of__new_blackout_end",
                                           "told_as_of__new_emergency_instructions", "sent_at", "message_id"))
    by_pair: dict[tuple[int, int], list[tuple]] = defaultdict(list)
    for (row_id, filer_id, golive_id, kind, state, old_date, old_status, old_start, old_end, old_emergency,
         as_of, as_of_date, as_of_status, as_of_start, as_of_end, as_of_emergency, sent_at, message_id) in history:
        # What a sent row told, when it recorded it: ((date, status), pause); else None. The sender's
        # mark always records it, so a row it marked (with a Message-ID) and none told the go-live
        # before any change; a row marked by another path is judged by its send time.
        outcome = ((as_of_date, as_of_status), (as_of_start, as_of_end, as_of_emergency or "")) if as_of else None
        sent_at = None if message_id else sent_at
        by_pair[(filer_id, golive_id)].append((row_id, kind, state, (old_date, old_status),
                                               (old_start, old_end, old_emergency or ""), outcome, sent_at))

    # The changes of these go-lives, in order: what a row sent with no change recorded told.
    changes: dict[int, list[tuple]] = defaultdict(list)
    for golive_id, changed_at, *values in (
            GoLiveChange.objects.filter(golive_id__in={r.golive_id for r in wanted}).order_by("id")
            .values_list("golive_id", "changed_at", "old_date", "old_status", "old_blackout_start", "old_blackout_end",
                         "old_emergency_instructions", "new_date", "new_status", "new_blackout_start",
                         "new_blackout_end", "new_emergency_instructions")):
        old, new = values[:5], values[5:]
        changes[golive_id].append((changed_at, ((old[0], old[1]), (old[2], old[3], old[4] or "")),
                                   ((new[0], new[1]), (new[2], new[3], new[4] or ""))))

    def told_without_record(golive_id: int, sent_at, part: int) -> tuple | None:
        """What a row sent with no change recorded told: for a row marked sent by another path (no
        send time here for the sender's own), the outcome of the last change made before it was
        sent; else the go-live as it was before its first change."""
        made = changes.get(golive_id, [])
        before = [c for c in made if sent_at is not None and c[0] < sent_at]
        if before:
            return before[-1][2][part]
        return made[0][1][part] if made else None

    def last_told(row, kinds, part: int) -> tuple | None:
        entries = [e for e in by_pair[(row.filer_id, row.golive_id)] if e[1] in kinds]
        sent = [e for e in entries if e[2] == DeliveryState.SENT and e[0] < row.id]
        if not sent:
            return None
        if sent[-1][5] is not None:
            return sent[-1][5][part]
        return told_without_record(row.golive_id, sent[-1][6], part)

    chunk = {r.id for r in rows}
    told = {}
    for row in wanted:
        unsent_before = (e for e in by_pair[(row.filer_id, row.golive_id)] if e[0] < row.id and e[0] not in chunk
                         and e[2] in (DeliveryState.PENDING, DeliveryState.SENDING))
        if any(e[1] in STATING[row.kind] for e in unsent_before):
            told[row.id] = WAIT_FOR_EARLIER
            continue
        if row.kind == NoticeKind.BLACKOUT_CHANGED:
            pause = last_told(row, STATING[row.kind], 1)
            told[row.id] = NOTHING_TOLD if pause is None else pause
            continue
        date = last_told(row, STATING[row.kind], 0)
        # The pause told beside that date: the same steps over the notices that state the pause.
        pause = last_told(row, STATING[NoticeKind.BLACKOUT_CHANGED], 1)
        told[row.id] = NOTHING_TOLD if date is None else (*date, pause or (None, None, ""))
    return told
