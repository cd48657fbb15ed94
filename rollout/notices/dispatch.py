"""Finding due notices and creating their delivery rows, set-based; publishing send tasks in chunks.

See the package docstring (`rollout.notices`) for the whole design.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from functools import partial

from celery import current_app
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import CmecfAccount
from accounts.readiness import Readiness
from accounts.selectors import cmecf_accounts_with_readiness
from courts.models import REMINDER_DAYS_MAX, GoLive, GoLiveStatus
from courts.selectors import court_ids_live, rollout_current
from rollout.notices.models import UNDELIVERABLE, DeliveryState, NoticeDelivery, NoticeKind, NoticeUnsubscribe

log = logging.getLogger(__name__)

INSERT_BATCH = 2000
# New rows after which the planner's statistics are refreshed before publishing (`deliveries_analyze`).
ANALYZE_AFTER_ROWS = 10_000


@dataclass(frozen=True)
class DueNotice:
    golive: GoLive
    kind: str
    notice: str


@dataclass
class DispatchResult:
    due: list[str] = field(default_factory=list)  # "MTDC golive", …
    rows_considered: int = 0
    tasks_published: int = 0


def notices_due(golive: GoLive, now: dt.datetime) -> list[DueNotice]:
    """The notices due for one go-live at `now`, reckoned in the court's own calendar.

    - prepare: from `prepare_days_before` days before the date until the court is live
      (a scheduled go-live only: a postponed date is not announced);
    - go-live: from the start of the go-live date for NOTICES_CATCH_UP_DAYS;
    - reminder: the latest reminder day that has come, for NOTICES_CATCH_UP_DAYS after it
      (a missed earlier day is not sent late once a later one is due).
    """
    day = golive.go_live_date
    if day is None or golive.status not in (GoLiveStatus.SCHEDULED, GoLiveStatus.LIVE):
        return []
    today = golive.court.local_today(now)
    catch_up = dt.timedelta(days=settings.NOTICES_CATCH_UP_DAYS)
    if not golive.is_live(now):
        if golive.status == GoLiveStatus.SCHEDULED and today >= day - dt.timedelta(days=golive.prepare_days_before):
            return [DueNotice(golive, NoticeKind.PREPARE, "prepare")]
        return []
    due = []
    if today <= day + catch_up:
        due.append(DueNotice(golive, NoticeKind.GOLIVE, "golive"))
    # Out-of-range days saved before GoLive.clean refused them are skipped: one would overflow the date
    # arithmetic and stop the dispatch of every court.
    days = sorted(
        d for d in (golive.reminder_days_after or [])
        if isinstance(d, int) and 0 < d <= REMINDER_DAYS_MAX and day + dt.timedelta(days=d) <= today
    )
    if days and today <= day + dt.timedelta(days=days[-1]) + catch_up:
        due.append(DueNotice(golive, NoticeKind.REMINDER, f"reminder_{days[-1]}"))
    return due


def reminder_day(golive: GoLive, notice: str) -> dt.date | None:
    """The court day a reminder's key stands for: `reminder_<N>` the N-th day after the go-live,
    `reminder_manual_<date>` (sent by hand) that date."""
    if notice.startswith("reminder_manual_"):
        try:
            return dt.date.fromisoformat(notice.removeprefix("reminder_manual_"))
        except ValueError:
            return None
    days = notice.removeprefix("reminder_")
    if golive.go_live_date is None or not (days.isascii() and days.isdigit()) or int(days) > REMINDER_DAYS_MAX:
        return None
    return golive.go_live_date + dt.timedelta(days=int(days))


def recipients_for(
    kind: str, golive: GoLive, notice: str, *, live_court_ids: list[int], accounts: QuerySet[CmecfAccount] | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[CmecfAccount]:
    """CM/ECF accounts at the go-live's court that should get `notice` and do not have it yet.

    Linked accounts get nothing (they are done); unsubscribed filers get no reminder, nor one whose
    every unlinked login they reported linked lately, nor a second reminder on one court day (see
    `reminder_day`); an undeliverable address (it bounced) gets nothing until the filer's address is
    changed. "Lately" is as of `now` (the dispatch's moment), like the rest of the dispatch.
    """
    from rollout.notices.bounces import undeliverable_emails

    qs = CmecfAccount.objects.filter(court_id=golive.court_id) if accounts is None else accounts
    qs = cmecf_accounts_with_readiness(qs, live_court_ids=live_court_ids).exclude(readiness=Readiness.LINKED)
    qs = qs.exclude(filer__email__in=undeliverable_emails())
    if kind == NoticeKind.REMINDER:
        qs = qs.exclude(
            filer_id__in=NoticeUnsubscribe.objects.filter(court_id=golive.court_id).values("filer_id")
        )
        # A login its filer reported as linked lately gets no reminder (FILERS_SELF_REPORT_PAUSE_DAYS).
        from accounts.self_service import reminder_paused_q

        qs = qs.exclude(reminder_paused_q(now or timezone.now(), settings.FILERS_SELF_REPORT_PAUSE_DAYS))
        # One reminder a court day, and none for a day already passed by a later one: a filer who has
        # a reminder for this day or a later one (another key after the days were edited, or one sent
        # by hand) is not reminded for this day.
        day = reminder_day(golive, notice)
        reminders = NoticeDelivery.objects.filter(court_id=golive.court_id, golive=golive, kind=NoticeKind.REMINDER)
        later = [key for key in reminders.order_by().values_list("notice", flat=True).distinct()
                 if key != notice and day is not None and (other := reminder_day(golive, key)) and other >= day]
        if later:
            qs = qs.exclude(filer_id__in=reminders.filter(notice__in=later).exclude(state=DeliveryState.SKIPPED)
                            .values("filer_id"))
        if day is not None:
            # Nor one whose earlier day's reminder went out on this court day (caught up late), or was
            # made this court day and is still going out: its key names the day it was for, not the
            # day it was sent. (One made on an earlier day and still waiting does not count: sending
            # may never take it, and this day's reminder must not wait on it.)
            court = golive.court
            start, end = court.local_midnight(day), court.local_midnight(day + dt.timedelta(days=1))
            qs = qs.exclude(filer_id__in=reminders.exclude(notice=notice).filter(
                Q(sent_at__gte=start, sent_at__lt=end)
                | Q(state__in=[DeliveryState.PENDING, DeliveryState.SENDING], created_at__gte=start, created_at__lt=end)
            ).values("filer_id"))
    return qs.exclude(
        # The court too, for the (court, notice, state) index: a court has few go-lives.
        filer_id__in=NoticeDelivery.objects.filter(court_id=golive.court_id, golive=golive, notice=notice)
        .values("filer_id")
    )


def deliveries_create(
    golive: GoLive, kind: str, notice: str, *, live_court_ids: list[int], accounts: QuerySet[CmecfAccount] | None = None,
    created_by=None, change=None, now: dt.datetime | None = None,
) -> int:
    """Insert the missing delivery rows for one notice: keyset pages of recipients, one INSERT … ON
    CONFLICT DO NOTHING per page. Returns rows considered (a concurrent dispatcher may have inserted
    some of them first; the constraint keeps one)."""
    qs = recipients_for(kind, golive, notice, live_court_ids=live_court_ids, accounts=accounts, now=now).order_by("id")
    considered, last_id = 0, 0
    while True:
        page = list(qs.filter(id__gt=last_id).values_list("id", "filer_id", "readiness")[:INSERT_BATCH])
        if not page:
            return considered
        last_id = page[-1][0]
        NoticeDelivery.objects.bulk_create(
            [
                NoticeDelivery(
                    filer_id=filer_id, court_id=golive.court_id, golive=golive, kind=kind, notice=notice,
                    variant=readiness, created_by=created_by, change=change,
                )
                for _, filer_id, readiness in page
            ],
            ignore_conflicts=True,
        )
        considered += len(page)


def deliveries_analyze(created: int) -> bool:
    """PostgreSQL: refresh the planner's statistics of NoticeDelivery after `created` (≥
    ANALYZE_AFTER_ROWS) new rows, before their send tasks are published. Returns whether it ran.

    Why: each send task claims its chunk by id with `state = pending`. Planned with statistics
    from before a large insert, PostgreSQL believes almost no row is pending and reads the whole
    partial index of pending rows (and each of them) for every chunk: with 100,000 new rows about
    0.1–0.9 s per chunk of 500 instead of a few milliseconds by primary key. Autovacuum's own
    ANALYZE comes later than the first chunks (or never, when it is off). ANALYZE reads a fixed
    sample (about 30,000 rows), well under a second even for millions of deliveries.
    """
    if created < ANALYZE_AFTER_ROWS or connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {NoticeDelivery._meta.db_table}")
    return True


def deliveries_insert_select(
    golive: GoLive, kind: str, notice: str, *, live_court_ids: list[int], accounts: QuerySet[CmecfAccount],
    created_by=None, now: dt.datetime | None = None,
) -> int:
    """Insert the missing delivery rows for one notice to a chosen set of accounts in ONE
    INSERT … SELECT … ON CONFLICT DO NOTHING (the admin's "send a reminder now" on all N
    matching: 100,000 recipients are one statement, not 50 pages). Returns rows inserted.

    Same recipients as `deliveries_create` (`recipients_for`); the unique (filer, go-live, notice)
    constraint keeps one row per filer when a concurrent dispatcher, or a second login of the same
    filer at the court, offers the same one.
    """
    now = now or timezone.now()
    recipients = recipients_for(kind, golive, notice, live_court_ids=live_court_ids, accounts=accounts, now=now)
    select_sql, select_params = recipients.order_by().values_list("filer_id", "readiness").query.sql_with_params()
    qn = connection.ops.quote_name
    given = {"court_id": golive.court_id, "golive_id": golive.id, "kind": kind, "notice": notice,
             "state": DeliveryState.PENDING, "created_at": now, "created_by_id": getattr(created_by, "pk", None)}
    # Every other column as the model would fill it (its default, "" or NULL): read from the model,
    # so a new field cannot be forgotten here.
    fields = {
        f.column: f.get_db_prep_save(given[f.attname] if f.attname in given else f.get_default(), connection)
        for f in NoticeDelivery._meta.concrete_fields
        if not f.primary_key and f.attname not in ("filer_id", "variant")
    }
    columns = ", ".join(qn(c) for c in ("filer_id", "variant", *fields))
    values = ", ".join(["%s"] * len(fields))
    # "WHERE true": SQLite needs it to read ON CONFLICT after INSERT … SELECT as the upsert clause.
    sql = (
        f"INSERT INTO {qn(NoticeDelivery._meta.db_table)} ({columns}) "
        f"SELECT r.filer_id, r.readiness, {values} FROM ({select_sql}) AS r WHERE true ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*fields.values(), *select_params))
        return cursor.rowcount


SEND_TASK = "rollout.notices.tasks.send_deliveries"


def _publish(ids: list[int]) -> None:
    current_app.tasks[SEND_TASK].delay(ids)  # by name: `tasks` calls this module, not the reverse


def send_queue_length() -> int | None:
    """How many send tasks wait in the broker's queue (NOTICES_QUEUE; not those a worker already
    holds), or None when the broker cannot be asked. Celery's documented way: a passive declare."""
    from kombu.exceptions import ChannelError

    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1)
            return conn.default_channel.queue_declare(queue=settings.NOTICES_QUEUE, passive=True).message_count
    except ChannelError:  # Redis keeps no empty queue: "no such queue" means none waiting
        return 0
    except Exception:  # kombu raises the transport's own errors
        return None


def deliveries_publish(*, now: dt.datetime | None = None, chunk_size: int | None = None) -> int:
    """Publish a send task for every pending row not yet published whose retry time (if any) has
    come, ≤ chunk_size ids per task.

    Steps per chunk, in its own transaction: lock the next unpublished pending rows (SKIP LOCKED on
    PostgreSQL, so two dispatchers take different rows), stamp `queued_at`, publish after commit.
    Returns how many tasks were published.
    """
    now = now or timezone.now()
    chunk_size = chunk_size or settings.NOTICES_CHUNK_SIZE
    published, last_id = 0, 0
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    while True:
        with transaction.atomic():
            qs = NoticeDelivery.objects.filter(
                due, state=DeliveryState.PENDING, queued_at__isnull=True, id__gt=last_id
            ).order_by("id")
            if connection.features.has_select_for_update_skip_locked:
                qs = qs.select_for_update(skip_locked=True)
            ids = list(qs.values_list("id", flat=True)[:chunk_size])
            if not ids:
                return published
            NoticeDelivery.objects.filter(id__in=ids, queued_at__isnull=True).update(queued_at=now)
            transaction.on_commit(partial(_publish, ids))
        last_id = ids[-1]
        published += 1


def deliveries_requeue_readdressed(now: dt.datetime | None = None) -> int:
    """Put back in the queue the rows held while their filer's address was undeliverable, now that
    it is not (a new address, or the mark cleared). Sending checks again what each still tells (a
    date change replaced since is skipped then). Reminders stay skipped: a missed reminder day is not
    sent late, the next one reaches the new address. So does a go-live notice past its catch-up
    window, as a filer added then gets none (`notices_due`): the reminders tell them. Returns the
    rows put back."""
    from rollout.notices.bounces import undeliverable_emails

    # The go-live date in UTC with a day to spare: no court's own day is more than a day off UTC's.
    stale = (now or timezone.now()).date() - dt.timedelta(days=settings.NOTICES_CATCH_UP_DAYS + 1)
    return (NoticeDelivery.objects.filter(state=DeliveryState.SKIPPED, skip_reason=UNDELIVERABLE)
            .exclude(kind=NoticeKind.REMINDER).exclude(filer__email__in=undeliverable_emails())
            .exclude(kind=NoticeKind.GOLIVE, golive__go_live_date__lt=stale)
            .update(state=DeliveryState.PENDING, skip_reason="", queued_at=None, claimed_at=None, claimed_by="",
                    attempts=0, next_attempt_at=None))


def notices_dispatch(now: dt.datetime | None = None) -> DispatchResult:
    """Beat: create the rows of every notice due at `now` in each court's time zone, then publish.

    One small query for the go-lives (≈200), one for the live courts, then per due notice a few
    keyset pages of recipients; a rerun finds no recipients left (anti-join) and publishes nothing.
    """
    now = now or timezone.now()
    result = DispatchResult()
    rollout = rollout_current()
    live_ids = court_ids_live(now, rollout)
    golives = GoLive.objects.filter(
        rollout=rollout, status__in=[GoLiveStatus.SCHEDULED, GoLiveStatus.LIVE], go_live_date__isnull=False
    ).select_related("court")
    requeued = deliveries_requeue_readdressed(now)
    if requeued:
        result.due.append(f"held for an undeliverable address, back in the queue: {requeued}")
    for golive in golives:
        for due in notices_due(golive, now):
            considered = deliveries_create(golive, due.kind, due.notice, live_court_ids=live_ids, now=now)
            result.rows_considered += considered
            if considered:
                result.due.append(f"{golive.court.court_id} {due.notice}: {considered}")
    deliveries_analyze(result.rows_considered)
    result.tasks_published = deliveries_publish(now=now)
    if result.due:
        log.info("notices dispatch at %s: %s; %d send tasks", now.isoformat(), "; ".join(result.due), result.tasks_published)
    return result


def deliveries_reclaim_stale(now: dt.datetime | None = None) -> list[int]:
    """Sweeper (beat, every NOTICES_SWEEP_INTERVAL_SECONDS): take back the rows of dead senders,
    republish lost chunks, publish rows whose retry time has come. Returns the reclaimed ids.

    Steps:
    1. Rows `sending` whose claim was not renewed for NOTICES_CLAIM_TIMEOUT_SECONDS belong to a
       sender that died (a live one renews every quarter of that). They go back to pending
       (`reclaims` + 1). A sender sends its rows in id order and marks each sent right after the
       server accepts it, so of each dead sender's rows only the lowest id can have been accepted
       unrecorded: that one is flagged `possible_duplicate` (kept after the resend) and counts an
       attempt (it was offered), so a message that kills its sender every time ends failed.
       Every execution of a send task claims with its own token, so "each sender" is each execution.
    2. Pending rows published more than NOTICES_REQUEUE_AFTER_SECONDS ago, once the broker's queue
       holds no message (or cannot say): their message was lost (a broker restarted empty) or its
       task failed before claiming (the database briefly down). They are published again, busy
       workers or not. While messages still wait, those rows' own may be among them: a copy would
       join the queue behind them anyway, and in a campaign longer than the bound every sweep would
       add a copy of the whole backlog. (Should a copy meet its original, the later claims nothing.)
    3. Publish every unpublished pending row that is due (`deliveries_publish`).
    """
    from django.db.models import F

    from rollout.notices.messages import message_id_for

    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.NOTICES_CLAIM_TIMEOUT_SECONDS)
    with transaction.atomic():
        # Locked as read: a sender marking one of them sent (or renewing its claim) waits for this
        # to commit and then finds the row no longer its own, so what is flagged and counted here
        # is exactly what was taken back. Only rows of dead senders: a few chunks at most.
        stale = list(
            NoticeDelivery.objects.select_for_update(of=("self",))
            .filter(state=DeliveryState.SENDING, claimed_at__lt=cutoff)
            .order_by("id").values_list("id", "court__court_id", "claimed_by")
        )
        in_flight: dict[str, tuple[int, str]] = {}
        for delivery_id, court_code, claimed_by in stale:
            in_flight.setdefault(claimed_by, (delivery_id, court_code))
        ids = [row[0] for row in stale]
        flagged = [d for d, _ in in_flight.values()]
        for start in range(0, len(ids), INSERT_BATCH):
            NoticeDelivery.objects.filter(id__in=ids[start:start + INSERT_BATCH]).update(
                state=DeliveryState.PENDING, claimed_at=None, claimed_by="", queued_at=None,
                reclaims=F("reclaims") + 1, last_error="Taken back from a sender that stopped.",
            )
        NoticeDelivery.objects.filter(id__in=flagged).update(possible_duplicate=True, attempts=F("attempts") + 1)
        NoticeDelivery.objects.filter(id__in=flagged, state=DeliveryState.PENDING,
                                      attempts__gt=settings.NOTICES_MAX_RETRIES).update(
            state=DeliveryState.FAILED, last_error="Its sender stopped while sending it, on every try.")
    for claimed_by, (delivery_id, court_code) in in_flight.items():
        log.warning("notice sender %s stopped: %d rows taken back; delivery %s was in flight, possible duplicate "
                    "(Message-ID %s)", claimed_by, sum(1 for r in stale if r[2] == claimed_by), delivery_id,
                    message_id_for(delivery_id, court_code))
    requeue_cutoff = now - dt.timedelta(seconds=settings.NOTICES_REQUEUE_AFTER_SECONDS)
    waiting = send_queue_length()
    if not waiting:
        lost = NoticeDelivery.objects.filter(state=DeliveryState.PENDING, queued_at__lt=requeue_cutoff).update(
            queued_at=None)
        if lost:
            log.warning("notice sweeper: %d pending rows were published over %d s ago and not claimed, and %s: "
                        "publishing them again", lost, settings.NOTICES_REQUEUE_AFTER_SECONDS,
                        "the send queue is empty" if waiting == 0 else "the send queue could not be read")
    deliveries_publish(now=now)
    return ids
