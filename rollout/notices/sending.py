"""Sending one chunk of deliveries: claim, check, build, send over one SMTP connection, mark sent.

Also the send-time half of the undeliverable policy: the addresses that get no more notices, and the
mark a refusal leaves on an address (`bounces.py` leaves the same mark for a bounce).

See the package docstring (`rollout.notices`) for how this keeps "once per recipient".
"""
from __future__ import annotations

import datetime as dt
import logging
import smtplib
import ssl
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import get_connection
from django.db import DatabaseError, connections
from django.db.models import BooleanField, ExpressionWrapper, F, OuterRef, Subquery
from django.utils import timezone

from accounts.emails import email_address_problem
from accounts.models import CmecfAccount
from accounts.readiness import Readiness
from accounts.self_service import reminder_paused_q
from accounts.selectors import cmecf_accounts_with_readiness
from courts.models import GoLiveChange, GoLiveStatus
from courts.selectors import court_ids_live
from rollout.notices.messages import MessageBuilder
from rollout.notices.models import (
    UNDELIVERABLE, BouncedAddress, DeliveryState, NoticeDelivery, NoticeKind, NoticeUnsubscribe,
)
from rollout.notices.relay import relay_connection_record
from rollout.notices.selectors import (
    NOTHING_TOLD, RENDER_FAILED, STATING, WAIT_FOR_EARLIER, date_as_told, deliveries_dates_told,
)

log = logging.getLogger(__name__)


def smtp_error_is_transient(exc: BaseException) -> bool:
    """4xx replies and a relay that cannot be reached or drops the connection are worth retrying
    without end; 5xx replies and a relay that refuses the configuration (STARTTLS or AUTH not offered,
    a certificate that does not verify) are not: they count tries, so the rows end failed with the
    error instead of cycling (smtplib's errors are OSErrors too, so they are sorted out first)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return any(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(exc, (smtplib.SMTPException, ssl.SSLCertVerificationError)):
        return False
    return isinstance(exc, OSError)


def new_claim_token(worker: str = "") -> str:
    """A token for one execution of a send task (never the task id, which a redelivery repeats)."""
    return f"{worker or 'local'}/{uuid.uuid4()}"


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


@dataclass
class SendResult:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    released: int = 0
    skip_reasons: dict[str, int] = field(default_factory=dict)


class _Throttle:
    """At most `rate` messages a second from this process (0 = no cap)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next_at = 0.0

    def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if now < self.next_at:
            time.sleep(self.next_at - now)
        self.next_at = max(now, self.next_at) + self.interval


def deliveries_claim(ids: list[int], claimed_by: str, now: dt.datetime | None = None) -> list[NoticeDelivery]:
    """Claim the pending rows among `ids` for this run with one conditional UPDATE; return only those,
    in id order (the order they are sent in: the sweeper relies on it).

    `claimed_by` must be fresh for every execution (`new_claim_token`): a task redelivered by the
    broker then never takes back rows an earlier execution of it left `sending` (those are the
    sweeper's, which flags the one that may have been in flight). Claiming is not an attempt: only
    offering a message to the server counts (`attempts`)."""
    now = now or timezone.now()
    NoticeDelivery.objects.filter(id__in=ids, state=DeliveryState.PENDING).update(
        state=DeliveryState.SENDING, claimed_at=now, claimed_by=claimed_by, next_attempt_at=None,
    )
    # The go-live's last change, read in the same statement as its facts (one snapshot): a sent row
    # records it, so a later change notice knows what this one told (`deliveries_dates_told`).
    last_change = GoLiveChange.objects.filter(golive_id=OuterRef("golive_id")).order_by("-id").values("id")[:1]
    return list(
        NoticeDelivery.objects.filter(id__in=ids, state=DeliveryState.SENDING, claimed_by=claimed_by)
        .select_related("filer", "court", "golive__rollout", "change")
        .annotate(golive_last_change=Subquery(last_change)).order_by("id")
    )


def _readiness_by_filer_court(rows: list[NoticeDelivery], live_ids: list[int]
                              ) -> tuple[dict[tuple[int, int], str], set[int]]:
    """Readiness now for each (filer, court) of the chunk, and the filers whose PACER account counts
    as legacy only because no creation date is on record (the notice must not say it is one): one
    query. With several logins at a court, an unlinked one wins (the filer still has something to do)."""
    accounts = cmecf_accounts_with_readiness(
        CmecfAccount.objects.filter(
            court_id__in={r.court_id for r in rows}, filer_id__in={r.filer_id for r in rows}
        ),
        live_court_ids=live_ids,
    ).values_list("filer_id", "court_id", "readiness", "filer__pacer_account__created_on")
    result: dict[tuple[int, int], str] = {}
    undated: set[int] = set()
    for filer_id, court_id, readiness, created_on in accounts:
        if result.get((filer_id, court_id)) in (None, Readiness.LINKED):
            result[(filer_id, court_id)] = readiness
        if readiness == Readiness.LEGACY and created_on is None:
            undated.add(filer_id)
    return result, undated


def _reminders_paused(rows: list[NoticeDelivery], now: dt.datetime) -> set[tuple[int, int]]:
    """(filer, court) pairs of the chunk's reminders whose every unlinked login the filer reported
    linked lately: the dispatch's own rule (`reminder_paused_q`, as `recipients_for` applies it), for
    a report made after the row was created. One query, only for a chunk with reminders."""
    reminders = [r for r in rows if r.kind == NoticeKind.REMINDER]
    if not reminders:
        return set()
    paused_q = reminder_paused_q(now, settings.FILERS_SELF_REPORT_PAUSE_DAYS)
    unlinked = (CmecfAccount.objects
                .filter(court_id__in={r.court_id for r in reminders}, filer_id__in={r.filer_id for r in reminders},
                        linked_at__isnull=True)
                .annotate(paused=ExpressionWrapper(paused_q, output_field=BooleanField()))
                .values_list("filer_id", "court_id", "paused"))
    waiting: dict[tuple[int, int], bool] = {}
    for filer_id, court_id, paused in unlinked:
        waiting[(filer_id, court_id)] = waiting.get((filer_id, court_id), True) and paused
    return {pair for pair, paused in waiting.items() if paused}


def addresses_undeliverable(emails) -> set[str]:
    """Those of `emails` that get no more notices (bounced, refused, or no mail system takes them)."""
    return set(BouncedAddress.objects.filter(email__in=list(emails), undeliverable_at__isnull=False)
               .values_list("email", flat=True))


def address_mark_undeliverable(address: str, reason: str, *, delivery_id: int | None = None,
                               now: dt.datetime | None = None) -> None:
    """Mark `address` undeliverable with the reason staff see (a refusal at send time, or an address
    no mail system takes); the same mark a permanent bounce leaves (`bounces.delivery_bounce_record`)."""
    if len(address) > BouncedAddress._meta.get_field("email").max_length:
        return  # no filer can hold it (the same column length); the row fails with the reason
    now = now or timezone.now()
    row, created = BouncedAddress.objects.get_or_create(
        email=address, defaults={"last_bounce_at": now, "undeliverable_at": now, "diagnostic": reason[:2000],
                                 "last_delivery_id": delivery_id})
    if not created:
        BouncedAddress.objects.filter(id=row.id).update(
            undeliverable_at=row.undeliverable_at or now, last_bounce_at=now, diagnostic=reason[:2000],
            last_delivery_id=delivery_id)




def _pause_as_told(start, end, instructions, now: dt.datetime) -> tuple:
    """A pause as a notice sent at `now` tells it: its window, and its emergency instructions only
    beside a window (with none, instructions are never shown, so a change of them alone tells
    nothing). A pause already over is told as none: filing is open either way."""
    if start is None or end is None or end <= now:
        return None, None, ""
    return start, end, instructions or ""


def _skip_reason(row: NoticeDelivery, readiness: str | None, unsubscribed: bool, now: dt.datetime,
                 told: tuple | None = None, paused: bool = False) -> str:
    """Why a claimed row should not be sent any more ("" = send it). `told`: for a date-changed
    row, the (date, status, pause) its filer was last told; for a filing-pause row, the window and
    emergency instructions (`deliveries_dates_told`). `paused`: the filer
    reported every unlinked login at the court linked lately (`_reminders_paused`)."""
    golive = row.golive
    if row.kind == NoticeKind.GOLIVE and row.notice != "golive":
        # Set aside when "live" was withdrawn (deliveries_create_for_change): resending it would tell
        # filers again that the court is live on a day it was not.
        return "The live status this notice announced was withdrawn."
    if row.kind in (NoticeKind.DATE_CHANGED, NoticeKind.BLACKOUT_CHANGED) and told == NOTHING_TOLD:
        # What was due to the filer before failed or was set aside: nothing to correct, and the
        # notice would say "we wrote to you" about something they never received.
        return "Nothing this notice corrects reached the filer."
    if row.kind == NoticeKind.DATE_CHANGED:
        change = row.change
        holds = date_as_told(golive.go_live_date, golive.status)
        if change is not None and date_as_told(change.new_date, change.new_status) != holds:
            # Moved again, postponed, resumed or marked live since: that change is announced (or the
            # go-live notice goes), and this one would state a date that no longer holds. (Postponed,
            # then its date taken away, or the other way round: still told true, and the later change,
            # announcing nothing new, sends nothing.)
            return "A later change to the go-live replaced the one this notice announces."
        if told is not None and date_as_told(*told[:2]) == holds and _pause_as_told(
                *told[2], now) == _pause_as_told(golive.blackout_start, golive.blackout_end,
                                                 golive.emergency_filing_instructions, now):
            # Back to the date and the pause last told. (Postponed and set again on the same day, the
            # pause the postponement cleared is not back: the notice goes and gives what holds.)
            return "The go-live is back to what the filer was last told."
        if golive.is_live(now):
            # Moved to today and sent after the court's midnight: it would say to keep filing the
            # old way "until the court is live". The go-live notice tells the filer instead.
            return "The court is live now: the go-live notice tells the filer."
        return ""
    if row.kind == NoticeKind.BLACKOUT_CHANGED:
        change = row.change
        if golive.status not in (GoLiveStatus.SCHEDULED, GoLiveStatus.LIVE):
            return "The go-live is no longer scheduled."
        pause = _pause_as_told(golive.blackout_start, golive.blackout_end, golive.emergency_filing_instructions, now)
        if change is not None and _pause_as_told(change.new_blackout_start, change.new_blackout_end,
                                                 change.new_emergency_instructions, now) != pause:
            # A later change to a pause that matters is announced by its own notice. (One to a pause
            # already over is not recorded: this notice then tells what holds instead.)
            return "A later change to the filing pause replaced the one this notice announces."
        if golive.blackout_end is not None and golive.blackout_end <= now:
            # Over now; the filer still needs telling when the pause they were told runs on (one cut
            # short, to a time already past): they would wait for a filing system that is open.
            told_end = told[1] if told is not None else (change.old_blackout_end if change is not None else None)
            if told_end is None or told_end <= now:
                return "The filing pause is over."
        if told is not None and _pause_as_told(*told, now) == pause:
            return "The filing pause is back to what the filer was last told."
        return ""
    if readiness is None:
        return "The filer no longer has a CM/ECF login at this court."
    if row.kind == NoticeKind.PREPARE:
        if golive.is_live(now):
            return "The court is already live: a prepare notice would come too late."
        if golive.status != GoLiveStatus.SCHEDULED:
            return "The go-live is no longer scheduled."
        return ""
    if readiness == Readiness.LINKED:
        return "Already linked."
    if not golive.is_live(now):
        return "The court is not live (go-live moved or postponed)."
    if row.kind == NoticeKind.REMINDER and unsubscribed:
        return "The filer unsubscribed from reminders for this court."
    if row.kind == NoticeKind.REMINDER and paused:
        return "The filer reported the link lately; reminders wait for the court's records."
    return ""


def _retry_delay(attempts: int) -> dt.timedelta:
    seconds = settings.NOTICES_RETRY_BACKOFF * (2 ** max(0, attempts - 1))
    return dt.timedelta(seconds=min(settings.NOTICES_RETRY_BACKOFF_MAX, seconds))


def _mine(ids, claimed_by: str):
    return NoticeDelivery.objects.filter(id__in=ids, claimed_by=claimed_by, state=DeliveryState.SENDING)


def _release(rows: list[NoticeDelivery], claimed_by: str, *, error: str, count_attempt: bool) -> int:
    """Give rows back to the database queue with a retry time on the row, found by the first sweep
    after it. `count_attempt`: the rows were tried (a connection-level error that is not temporary,
    or an unexpected one), so the try counts and rows out of tries fail with `error` on them. Rows
    never offered to the server because the relay could not be reached are not counted."""
    if not rows:
        return 0
    mine = _mine([r.id for r in rows], claimed_by)
    common = {"last_error": error[:2000], "claimed_by": "", "queued_at": None}
    now = timezone.now()  # the retry time runs from the failure, not from the task's start
    if not count_attempt:
        return mine.update(state=DeliveryState.PENDING, next_attempt_at=now + _retry_delay(1), **common)
    failed = mine.filter(attempts__gte=settings.NOTICES_MAX_RETRIES).update(
        state=DeliveryState.FAILED, attempts=F("attempts") + 1, **common)
    attempts = max(r.attempts for r in rows) + 1
    again = mine.update(state=DeliveryState.PENDING, attempts=F("attempts") + 1,
                        next_attempt_at=now + _retry_delay(attempts), **common)
    return failed + again


def _retry_one(row: NoticeDelivery, claimed_by: str, error: str, *, count_attempt: bool = True, **extra) -> str:
    """A row offered to the server and answered with a temporary refusal (or cut off on the wire):
    one attempt more; pending again with a retry time, or failed once out of tries. With
    `count_attempt` False (the relay refused the sender), no try is counted: pending again. Returns
    the new state, or "" when this run no longer held the row (the sweeper took it back)."""
    attempts = row.attempts + count_attempt
    if count_attempt and attempts > settings.NOTICES_MAX_RETRIES:
        held = _mark(row, claimed_by, state=DeliveryState.FAILED, attempts=attempts, last_error=error, **extra)
        return DeliveryState.FAILED if held else ""
    held = _mark(row, claimed_by, state=DeliveryState.PENDING, attempts=attempts, last_error=error, claimed_by="",
                 queued_at=None, next_attempt_at=timezone.now() + _retry_delay(max(1, attempts)), **extra)
    return DeliveryState.PENDING if held else ""


def _fail_undeliverable(row: NoticeDelivery, claimed_by: str, reason: str, *, attempts: int = 0) -> bool:
    """The one undeliverable policy: the address is marked undeliverable with the reason staff see,
    and the row fails with it. False when this run no longer held the row."""
    address_mark_undeliverable(row.filer.email, reason, delivery_id=row.id)
    return _mark(row, claimed_by, state=DeliveryState.FAILED, attempts=row.attempts + attempts,
                 last_error=f"{UNDELIVERABLE_ADDRESS}: {reason}"[:2000])


class ClaimKeeper:
    """Renews this execution's claim on its rows still `sending` every NOTICES_CLAIM_TIMEOUT_SECONDS / 4,
    from a thread of its own, while the chunk is being sent.

    Why a thread: one message can wait on the relay longer than the claim timeout (every SMTP reply
    may take up to EMAIL_TIMEOUT, and a message needs several), so renewing between messages would
    let the sweeper take a slow but live sender for a dead one and send its message again, once per
    sweep. A killed process takes the thread with it, so a dead sender's claim still goes stale; a
    hung one is ended by the send task's time limit. The renewal is conditional (this token, still
    `sending`): once the sweeper took the rows back, or they were marked, it changes nothing.
    The thread has its own database connection (Django's are per thread), opened only when a chunk
    outlasts one interval, and closed when it stops. It is never joined: a renewal waiting on a row
    lock must not hold up the sender that owns that lock."""

    def __init__(self, ids: list[int], claimed_by: str) -> None:
        self.ids, self.claimed_by = ids, claimed_by
        self.interval = settings.NOTICES_CLAIM_TIMEOUT_SECONDS / 4
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"claim-keeper {claimed_by}", daemon=True)

    def start(self) -> "ClaimKeeper":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()

    def _run(self) -> None:
        try:
            while not self._stopped.wait(self.interval):
                try:
                    _mine(self.ids, self.claimed_by).update(claimed_at=timezone.now())
                except DatabaseError:
                    # The sender finds out at its next mark; meanwhile the claim may go stale.
                    log.warning("could not renew the claim of notice sender %s", self.claimed_by, exc_info=True)
        finally:
            connections.close_all()


def _mark(row: NoticeDelivery, holder: str, /, **values) -> bool:
    """Write the outcome of one row if this run (`holder`) still holds it (plain ORM UPDATE, autocommit).
    While the claim holds, nobody else writes the row, so counts are given as values (`row.attempts + 1`):
    cheaper to build than an F() expression, and this runs once per message sent."""
    return bool(NoticeDelivery.objects.filter(id=row.id, claimed_by=holder, state=DeliveryState.SENDING)
                .update(**values))


def _flag_in_flight(row: NoticeDelivery | None) -> None:
    """The connection broke (or time ran out) while a message was on the wire: the server may have
    accepted it, so its resend may be a duplicate (same Message-ID). Kept visible on the row."""
    if row is not None:
        NoticeDelivery.objects.filter(id=row.id).update(possible_duplicate=True)
        log.warning("notice delivery %s was in flight when sending stopped: possible duplicate", row.id)


def _refused_code(exc: BaseException) -> int:
    """The SMTP reply code of a refusal of one message (RCPT: the recipient's)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return max(code for code, _ in exc.recipients.values())
    return exc.smtp_code


UNDELIVERABLE_ADDRESS = "Undeliverable address"


def deliveries_send(ids: list[int], *, claimed_by: str, now: dt.datetime | None = None) -> SendResult:
    """Send the deliveries `ids` that are still pending, once.

    Steps: claim with a conditional UPDATE under this execution's own token (0 rows: someone else
    has them, stop); read readiness, unsubscribes and undeliverable addresses for the chunk; skip
    rows no longer due (with the reason); fail rows whose address cannot be sent to
    (`accounts.emails.email_address_problem`, marking it undeliverable); open ONE SMTP connection
    of Django's email backend; per row in id order: render, wait for the rate cap, send, and mark
    the row sent with its Message-ID right after the server accepted it (one ORM UPDATE). Per row:
    - 5xx at RCPT or DATA: the address is undeliverable, the row fails; 5xx at MAIL FROM: the row fails;
    - 4xx: that row alone waits for a retry (one attempt counted); a 421 closes the connection,
      so a new one is opened for the rest;
    - the connection breaking while a message is on the wire: that row is flagged possible
      duplicate and retried; the rows not yet offered go back without an attempt counted.
    The relay unreachable (refused, timed out, 4xx at connect): every unsent row goes back without
    an attempt counted. Any other error (a 5xx at connect, a bug): the unsent rows go back with an
    attempt counted, so they fail after NOTICES_MAX_RETRIES with the error on the row. A database
    error is raised: the rows stay claimed and the sweeper takes them back.
    Every NOTICES_CLAIM_TIMEOUT_SECONDS / 4 the claim on the unsent rows is renewed, so the sweeper
    can tell a slow sender from a dead one.
    """
    now = now or timezone.now()
    result = SendResult()
    rows = deliveries_claim(ids, claimed_by, now)
    result.claimed = len(rows)
    if not rows:
        return result
    live_ids = court_ids_live(now)
    readiness, legacy_undated = _readiness_by_filer_court(rows, live_ids)
    pairs = {"court_id__in": {r.court_id for r in rows}, "filer_id__in": {r.filer_id for r in rows}}
    unsubscribed = set(NoticeUnsubscribe.objects.filter(**pairs).values_list("filer_id", "court_id"))
    undeliverable = addresses_undeliverable({r.filer.email for r in rows})
    told = deliveries_dates_told(rows)
    waiting = {row_id for row_id, value in told.items() if value == WAIT_FOR_EARLIER}
    paused = _reminders_paused(rows, now)
    to_send: list[tuple[NoticeDelivery, str]] = []
    skips: dict[str, list[int]] = {}
    if waiting:
        # Back to the queue with a retry time, no try counted: judged again once the earlier has gone.
        result.released += _release([r for r in rows if r.id in waiting], claimed_by, count_attempt=False,
                                    error="Waits for an earlier notice to this filer, still being sent, to go first.")
        rows = [r for r in rows if r.id not in waiting]
    going: dict[tuple[int, int], set[str]] = defaultdict(set)  # (filer, go-live): kinds this chunk sends
    for row in rows:
        state = readiness.get((row.filer_id, row.court_id))
        pair = (row.filer_id, row.court_id)
        if going[(row.filer_id, row.golive_id)] & set(STATING.get(row.kind, ())):
            # Built from the same facts, an earlier notice of this chunk tells the filer what holds.
            reason = "An earlier notice sent with it tells the filer what holds now."
        else:
            reason = _skip_reason(row, state, pair in unsubscribed, now, told.get(row.id), pair in paused)
        if not reason and row.filer.email in undeliverable:
            reason = UNDELIVERABLE
        if reason:
            skips.setdefault(reason, []).append(row.id)
            continue
        problem = email_address_problem(row.filer.email)
        if problem:
            _fail_undeliverable(row, claimed_by, problem)
            result.failed += 1
            continue
        to_send.append((row, state or Readiness.WAITING))
        going[(row.filer_id, row.golive_id)].add(row.kind)
    for reason, skip_ids in skips.items():
        _mine(skip_ids, claimed_by).update(state=DeliveryState.SKIPPED, skip_reason=reason[:200])
        result.skipped += len(skip_ids)
        result.skip_reasons[reason] = len(skip_ids)
    if not to_send:
        return result

    throttle = _Throttle(settings.NOTICES_MAX_PER_SECOND)
    # The file backend (development) writes one file per connection: one per message there.
    per_message = not settings.EMAIL_BACKEND.endswith("smtp.EmailBackend")
    smtp = get_connection()
    messages = MessageBuilder(now, None if per_message else smtp)
    keeper = ClaimKeeper([r.id for r, _ in to_send], claimed_by).start()
    position = 0  # to_send[position:] were not accepted by the server (as far as this run knows)
    in_flight = None  # the row whose message is being handed to the server
    opened = False
    try:
        for position, (row, state) in enumerate(to_send):
            try:
                message = messages.build(row, state, told=told.get(row.id),
                                         pacer_created_unknown=row.filer_id in legacy_undated)
            except SoftTimeLimitExceeded:
                raise
            except Exception as exc:  # a broken court template fails its own messages, not the others
                log.error("notice delivery %s could not be rendered", row.id, exc_info=True)
                _mark(row, claimed_by, state=DeliveryState.FAILED, last_error=f"{RENDER_FAILED}: {_error_text(exc)}")
                result.failed += 1
                continue
            if not per_message and not opened:
                try:
                    smtp.open()
                except Exception as exc:  # refused / timed out / 4xx or 5xx greeting: to the handlers below
                    relay_connection_record(exc)
                    raise
                relay_connection_record()
                opened = True
            throttle.wait()
            in_flight = row
            try:
                message.send()
            except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as exc:  # answered: not accepted
                in_flight = None
                code = _refused_code(exc)
                if code >= 500:
                    if isinstance(exc, (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError)):
                        held = _fail_undeliverable(row, claimed_by, _error_text(exc), attempts=1)
                    else:
                        held = _mark(row, claimed_by, state=DeliveryState.FAILED, attempts=row.attempts + 1,
                                     last_error=_error_text(exc))
                    result.failed += held
                else:
                    # A 4xx at MAIL FROM refuses the sender, not this recipient (a relay's rate limit,
                    # its queue full): like an unreachable relay it costs no try, and /healthz names it.
                    relay_refused = isinstance(exc, smtplib.SMTPSenderRefused)
                    if relay_refused:
                        relay_connection_record(exc)
                    outcome = _retry_one(row, claimed_by, _error_text(exc), count_attempt=not relay_refused)
                    held = bool(outcome)
                    if outcome == DeliveryState.FAILED:
                        result.failed += 1
                    elif held:
                        result.released += 1
                if not held:  # taken back meanwhile: the rest are the sweeper's too
                    log.warning("notice delivery %s was taken back while being sent; sender stops", row.id)
                    return result
                if code == 421 and not per_message:  # the server closed the connection: a new one
                    try:
                        smtp.close()
                    except Exception:  # already closed by smtplib
                        pass
                    opened = False
                continue
            # Accepted: record it now, before the next message. If the row was taken back meanwhile
            # (this sender looked dead), it may go out again: say so on the row and stop.
            if not _mark(row, claimed_by, state=DeliveryState.SENT, sent_at=timezone.now(), attempts=row.attempts + 1,
                         message_id=message.extra_headers["Message-ID"], last_error="",
                         told_as_of_id=row.golive_last_change):
                NoticeDelivery.objects.filter(id=row.id).update(possible_duplicate=True)
                log.warning("notice delivery %s was taken back while being sent: possible duplicate", row.id)
                return result
            in_flight = None
            result.sent += 1
        position = len(to_send)
    except SoftTimeLimitExceeded:
        _flag_in_flight(in_flight)
        result.released += _release([r for r, _ in to_send[position:]], claimed_by, count_attempt=False,
                                   error="Time limit reached; left for the next publish.")
        raise
    except DatabaseError:
        raise  # the rows stay claimed; the sweeper takes them back and flags the one in flight
    except Exception as exc:
        unsent = [r for r, _ in to_send[position:]]
        if in_flight is not None:  # cut off on the wire: it was offered, and may have been accepted
            _flag_in_flight(in_flight)
            if _retry_one(in_flight, claimed_by, _error_text(exc), possible_duplicate=True) == DeliveryState.FAILED:
                result.failed += 1
            unsent = unsent[1:]
        temporary = smtp_error_is_transient(exc)
        result.released += _release(unsent, claimed_by, error=_error_text(exc), count_attempt=not temporary)
        (log.warning if temporary else log.error)(
            "notice chunk stopped by %s error, %d rows to retry: %s", "a temporary" if temporary else "an",
            result.released, _error_text(exc), exc_info=not temporary)
    finally:
        keeper.stop()
        try:
            smtp.close()
        except Exception:  # closing a dead connection must not hide the real error
            pass
    return result
