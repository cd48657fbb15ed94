"""Sending one chunk of deliveries: claim, check, render, send over one SMTP connection, mark sent.

See the package docstring (`rollout.notices`) for how this keeps "once per recipient".
"""
from __future__ import annotations

import datetime as dt
import logging
import smtplib
import time
from dataclasses import dataclass, field
from email.utils import parseaddr

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import F
from django.utils import timezone

from accounts.models import CmecfAccount
from accounts.readiness import Readiness
from accounts.selectors import cmecf_accounts_with_readiness
from courts.models import GoLiveStatus
from courts.selectors import court_ids_live
from rollout.signed_links import status_url as filer_status_url
from rollout.notices.bounces import addresses_undeliverable, verp_address
from rollout.notices.models import DeliveryState, NoticeDelivery, NoticeKind, NoticeUnsubscribe
from rollout.notices.rendering import TemplateCache, notice_context
from rollout.notices.selectors import RENDER_FAILED
from rollout.notices.tokens import unsubscribe_url

log = logging.getLogger(__name__)


def message_id_domain() -> str:
    if settings.NOTICES_MESSAGE_ID_DOMAIN:
        return settings.NOTICES_MESSAGE_ID_DOMAIN
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"


def message_id_for(delivery_id: int, court_code: str) -> str:
    """The same on every attempt, so a duplicate after a crash is recognisably the same message."""
    return f"<delivery-{delivery_id}.{court_code.lower()}@{message_id_domain()}>"


def smtp_error_is_transient(exc: BaseException) -> bool:
    """4xx replies and broken connections are worth retrying; 5xx replies are final."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return any(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return isinstance(exc, (smtplib.SMTPServerDisconnected, OSError))


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
    in id order (the order they are sent in: the sweeper relies on it)."""
    now = now or timezone.now()
    NoticeDelivery.objects.filter(id__in=ids, state=DeliveryState.PENDING).update(
        state=DeliveryState.SENDING, claimed_at=now, claimed_by=claimed_by, attempts=F("attempts") + 1,
        next_attempt_at=None,
    )
    return list(
        NoticeDelivery.objects.filter(id__in=ids, state=DeliveryState.SENDING, claimed_by=claimed_by)
        .select_related("filer", "court", "golive", "change").order_by("id")
    )


def _readiness_by_filer_court(rows: list[NoticeDelivery], live_ids: list[int]) -> dict[tuple[int, int], str]:
    """Readiness now for each (filer, court) of the chunk: one query. With several logins at a court,
    an unlinked one wins (the filer still has something to do)."""
    accounts = cmecf_accounts_with_readiness(
        CmecfAccount.objects.filter(
            court_id__in={r.court_id for r in rows}, filer_id__in={r.filer_id for r in rows}
        ),
        live_court_ids=live_ids,
    ).values_list("filer_id", "court_id", "readiness")
    result: dict[tuple[int, int], str] = {}
    for filer_id, court_id, readiness in accounts:
        if result.get((filer_id, court_id)) in (None, Readiness.LINKED):
            result[(filer_id, court_id)] = readiness
    return result


UNDELIVERABLE = "The filer's email address is undeliverable (it bounced); waiting for a new address."


def _skip_reason(row: NoticeDelivery, readiness: str | None, unsubscribed: bool, now: dt.datetime) -> str:
    """Why a claimed row should not be sent any more ("" = send it)."""
    golive = row.golive
    if row.kind == NoticeKind.DATE_CHANGED:
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
    return ""


def build_message(row: NoticeDelivery, readiness: str, templates: TemplateCache, now: dt.datetime,
                  connection=None) -> EmailMultiAlternatives:
    """The email for one delivery: From the tracker, envelope sender the delivery's signed bounce
    address (so a bounce names the delivery), a Message-ID that is the same on every attempt."""
    court, golive = row.court, row.golive
    unsubscribe = unsubscribe_url(row.filer_id, row.court_id, row.filer.email) if row.kind == NoticeKind.REMINDER else ""
    today = court.local_today(now)

    def make_context(filer_name: str, unsubscribe_url: str, status_url: str) -> dict:
        return notice_context(filer_name=filer_name, court=court, golive=golive, readiness=readiness,
                              change=row.change, unsubscribe_url=unsubscribe_url, today=today, status_url=status_url)

    # What the message depends on besides the recipient (each recipient's message is rendered in full).
    variant = (court.id, row.kind, golive.id, row.change_id, readiness, today, bool(unsubscribe))
    subject, text, html = templates.render_personal(
        templates.get(court.id, row.kind), variant, make_context, row.filer.name, unsubscribe,
        filer_status_url(row.filer_id, row.filer.email))
    headers = {"From": settings.DEFAULT_FROM_EMAIL, "Message-ID": message_id_for(row.id, court.court_id),
               "Auto-Submitted": "auto-generated"}
    if unsubscribe:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    # Django sends `from_email` as the SMTP envelope sender and the From header as given in headers.
    message = EmailMultiAlternatives(subject, text, verp_address(row.id), [row.filer.email], headers=headers,
                                     connection=connection)
    message.attach_alternative(html, "text/html")
    # Prepare and date-changed notices carry the go-live day as an "add to calendar" .ics.
    if row.kind in (NoticeKind.PREPARE, NoticeKind.DATE_CHANGED) and golive.go_live_date:
        message.attach("go-live.ics", templates.calendar(golive), "text/calendar; method=PUBLISH")
    return message


def _retry_delay(attempts: int) -> dt.timedelta:
    seconds = settings.NOTICES_RETRY_BACKOFF * (2 ** max(0, attempts - 1))
    return dt.timedelta(seconds=min(settings.NOTICES_RETRY_BACKOFF_MAX, seconds))


def _release(rows: list[NoticeDelivery], claimed_by: str, *, error: str, now: dt.datetime, retry: bool) -> int:
    """Give unsent rows back to the database queue: pending, found again by the sweeper's publish
    once `next_attempt_at` has come (`retry`) or at once; a row out of retries becomes failed."""
    if not rows:
        return 0
    mine = NoticeDelivery.objects.filter(id__in=[r.id for r in rows], claimed_by=claimed_by,
                                         state=DeliveryState.SENDING)
    common = {"last_error": error, "claimed_by": "", "queued_at": None}
    if not retry:
        return mine.update(state=DeliveryState.PENDING, **common)
    failed = mine.filter(attempts__gt=settings.NOTICES_MAX_RETRIES).update(state=DeliveryState.FAILED, **common)
    attempts = max(r.attempts for r in rows)  # tries so far, this one included
    again = mine.update(state=DeliveryState.PENDING, next_attempt_at=now + _retry_delay(attempts), **common)
    return failed + again


def _mark(row: NoticeDelivery, claimed_by: str, **values) -> bool:
    """Write the outcome of one row if this run still holds it (plain UPDATE, autocommit)."""
    return bool(NoticeDelivery.objects.filter(id=row.id, claimed_by=claimed_by, state=DeliveryState.SENDING)
                .update(**values))


_MARK_SENT_SQL = (
    f"UPDATE {NoticeDelivery._meta.db_table} SET state = %s, sent_at = %s, message_id = %s, last_error = '' "
    "WHERE id = %s AND claimed_by = %s AND state = %s"
)


def _mark_sent(row: NoticeDelivery, claimed_by: str, message_id: str) -> bool:
    """`_mark(row, state=sent, …)` as one prepared-once SQL string: the ORM building the same UPDATE
    for every message cost as much CPU as the SMTP exchange itself."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(_MARK_SENT_SQL, [DeliveryState.SENT, timezone.now(), message_id, row.id, claimed_by,
                                        DeliveryState.SENDING])
        return cursor.rowcount == 1


def _flag_in_flight(row: NoticeDelivery | None) -> None:
    """The connection broke (or time ran out) while a message was on the wire: the server may have
    accepted it, so its resend may be a duplicate (same Message-ID). Kept visible on the row."""
    if row is not None:
        NoticeDelivery.objects.filter(id=row.id).update(possible_duplicate=True)
        log.warning("notice delivery %s was in flight when sending stopped: possible duplicate", row.id)


def deliveries_send(ids: list[int], *, claimed_by: str, now: dt.datetime | None = None) -> SendResult:
    """Send the deliveries `ids` that are still pending, once.

    Steps: claim with a conditional UPDATE (0 rows: someone else has them, stop); read readiness,
    unsubscribes and bounced addresses for the chunk; skip rows no longer due (with the reason);
    open ONE SMTP connection; per row in id order: render, wait for the rate cap, send through
    Django's email backend, and mark the row sent with its Message-ID in one UPDATE right after
    the server accepted it. A 5xx reply fails that row and the chunk goes on; a 4xx reply or a
    broken connection gives the unsent rows back with a retry time on the row (or fails those out
    of retries). Every NOTICES_CLAIM_TIMEOUT_SECONDS / 3 the claim on the unsent rows is renewed,
    so the sweeper can tell a slow sender from a dead one.
    """
    now = now or timezone.now()
    result = SendResult()
    rows = deliveries_claim(ids, claimed_by, now)
    result.claimed = len(rows)
    if not rows:
        return result
    live_ids = court_ids_live(now)
    readiness = _readiness_by_filer_court(rows, live_ids)
    pairs = {"court_id__in": {r.court_id for r in rows}, "filer_id__in": {r.filer_id for r in rows}}
    unsubscribed = set(NoticeUnsubscribe.objects.filter(**pairs).values_list("filer_id", "court_id"))
    undeliverable = addresses_undeliverable({r.filer.email for r in rows})
    to_send: list[tuple[NoticeDelivery, str]] = []
    skips: dict[str, list[int]] = {}
    for row in rows:
        state = readiness.get((row.filer_id, row.court_id))
        reason = _skip_reason(row, state, (row.filer_id, row.court_id) in unsubscribed, now)
        if not reason and row.filer.email in undeliverable:
            reason = UNDELIVERABLE
        if reason:
            skips.setdefault(reason, []).append(row.id)
        else:
            to_send.append((row, state or Readiness.WAITING))
    for reason, skip_ids in skips.items():
        NoticeDelivery.objects.filter(id__in=skip_ids, claimed_by=claimed_by, state=DeliveryState.SENDING).update(
            state=DeliveryState.SKIPPED, skip_reason=reason[:200])
        result.skipped += len(skip_ids)
        result.skip_reasons[reason] = len(skip_ids)
    if not to_send:
        return result

    templates = TemplateCache()
    throttle = _Throttle(settings.NOTICES_MAX_PER_SECOND)
    # The file backend (development) writes one file per connection: one per message there.
    per_message = not settings.EMAIL_BACKEND.endswith("smtp.EmailBackend")
    smtp = get_connection()
    renew_every = settings.NOTICES_CLAIM_TIMEOUT_SECONDS / 3
    renewed = time.monotonic()
    position = 0  # to_send[position:] were not accepted by the server (as far as this run knows)
    in_flight = None  # the row whose message is being handed to the server
    try:
        _wait_for_wal_flush(False)
        if not per_message:
            smtp.open()
        for position, (row, state) in enumerate(to_send):
            if time.monotonic() - renewed > renew_every:
                NoticeDelivery.objects.filter(id__in=[r.id for r, _ in to_send[position:]], claimed_by=claimed_by,
                                              state=DeliveryState.SENDING).update(claimed_at=timezone.now())
                renewed = time.monotonic()
            try:
                message = build_message(row, state, templates, now, None if per_message else smtp)
            except SoftTimeLimitExceeded:
                raise
            except Exception as exc:  # a broken court template fails its own messages, not the others
                log.error("notice delivery %s could not be rendered", row.id, exc_info=True)
                _mark(row, claimed_by, state=DeliveryState.FAILED, last_error=f"{RENDER_FAILED}: {_error_text(exc)}")
                result.failed += 1
                continue
            throttle.wait()
            in_flight = row
            try:
                message.send()
            except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as exc:  # answered: not accepted
                in_flight = None
                if smtp_error_is_transient(exc):
                    raise
                _mark(row, claimed_by, state=DeliveryState.FAILED, last_error=_error_text(exc))
                result.failed += 1
                continue
            # Accepted: record it now, before the next message. If the row was taken back meanwhile
            # (this sender looked dead), it may go out again: say so on the row and stop.
            if not _mark_sent(row, claimed_by, message.extra_headers["Message-ID"]):
                NoticeDelivery.objects.filter(id=row.id).update(possible_duplicate=True)
                log.warning("notice delivery %s was taken back while being sent: possible duplicate", row.id)
                return result
            in_flight = None
            result.sent += 1
        position = len(to_send)
    except SoftTimeLimitExceeded:
        _flag_in_flight(in_flight)
        result.released = _release([r for r, _ in to_send[position:]], claimed_by, now=now, retry=False,
                                   error="Time limit reached; left for the next publish.")
        raise
    except Exception as exc:
        if not smtp_error_is_transient(exc):
            raise  # e.g. the database: the rows stay claimed and the sweeper takes them back
        _flag_in_flight(in_flight)
        result.released = _release([r for r, _ in to_send[position:]], claimed_by, now=now, retry=True,
                                   error=_error_text(exc))
        log.warning("notice chunk stopped by a temporary error, %d rows to retry: %s", result.released,
                    _error_text(exc))
    finally:
        try:
            _wait_for_wal_flush(True)
            smtp.close()
        except Exception:  # closing a dead connection must not hide the real error
            pass
    return result


def _wait_for_wal_flush(on: bool) -> None:
    """PostgreSQL's synchronous_commit for this connection while a chunk is sent.

    Off: a "sent" UPDATE commits without waiting for the disk (a WAL flush took longer than the
    SMTP exchange itself here). Still durable against the worker dying, the case recovery is about;
    only a crash of the database server itself could lose the last fraction of a second of marks,
    and those rows would be sent again as identical messages (same Message-ID)."""
    from django.db import connection

    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit" if on else "SET synchronous_commit TO OFF")
