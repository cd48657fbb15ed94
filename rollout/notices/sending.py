"""Sending one chunk of deliveries: claim, check, render, send over one SMTP connection, record.

See the package docstring (`rollout.notices`) for how this keeps "once per recipient".
"""
from __future__ import annotations

import datetime as dt
import functools
import logging
import smtplib
import time
from dataclasses import dataclass, field
from email.utils import parseaddr

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import get_connection
from django.db.models import F
from django.utils import timezone

from accounts.models import CmecfAccount
from accounts.readiness import Readiness
from accounts.selectors import cmecf_accounts_with_readiness
from courts.models import GoLiveStatus
from courts.selectors import court_ids_live
from rollout.notices.models import DeliveryState, NoticeDelivery, NoticeKind, NoticeUnsubscribe
from rollout.notices.mime import NoticeEmail
from rollout.notices.rendering import TemplateCache, notice_context
from rollout.notices.tokens import unsubscribe_url

log = logging.getLogger(__name__)


class TransientSendError(Exception):
    """The SMTP server said "try later" (4xx) or the connection failed: the task retries the chunk."""


def message_id_domain() -> str:
    return _message_id_domain(settings.NOTICES_MESSAGE_ID_DOMAIN, settings.DEFAULT_FROM_EMAIL)


@functools.lru_cache(maxsize=8)
def _message_id_domain(configured: str, from_email: str) -> str:
    if configured:
        return configured
    return parseaddr(from_email)[1].rpartition("@")[2] or "localhost"


def message_id_for(delivery_id: int, court_code: str) -> str:
    """The same on every attempt, so a duplicate after a crash is recognisably the same message."""
    return f"<delivery-{delivery_id}.{court_code.lower()}@{message_id_domain()}>"


def smtp_error_is_transient(exc: BaseException) -> bool:
    """4xx replies and broken connections are worth retrying; 5xx replies are final."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return any(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, (smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError, OSError)):
        return True
    return False


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
    """Claim the pending rows among `ids` for this run, with one conditional UPDATE; return only those."""
    now = now or timezone.now()
    NoticeDelivery.objects.filter(id__in=ids, state=DeliveryState.PENDING).update(
        state=DeliveryState.SENDING, claimed_at=now, claimed_by=claimed_by, attempts=F("attempts") + 1
    )
    return list(
        NoticeDelivery.objects.filter(id__in=ids, state=DeliveryState.SENDING, claimed_by=claimed_by)
        .select_related("filer", "court", "golive", "change")
        .order_by("id")
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


def build_message(row: NoticeDelivery, readiness: str, templates: TemplateCache, now: dt.datetime) -> NoticeEmail:
    court, golive = row.court, row.golive
    unsubscribe = unsubscribe_url(row.filer_id, row.court_id) if row.kind == NoticeKind.REMINDER else ""
    context = notice_context(
        filer_name=row.filer.name, court=court, golive=golive, readiness=readiness, change=row.change,
        unsubscribe_url=unsubscribe, today=court.local_today(now),
    )
    subject, text, html = templates.get(court.id, row.kind).render(context)
    headers = {"Message-ID": message_id_for(row.id, court.court_id), "Auto-Submitted": "auto-generated"}
    if unsubscribe:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return NoticeEmail(subject=subject, text=text, html=html, from_email=settings.DEFAULT_FROM_EMAIL,
                       to=[row.filer.email], headers=headers)


def _release(ids: list[int], claimed_by: str, *, error: str, final: bool, unpublish: bool = False) -> int:
    """Give unsent rows back (pending, for the retry or the next dispatch) or, on the last try, fail them."""
    if not ids:
        return 0
    values: dict = {"last_error": error, "claimed_by": "", "claimed_at": None}
    values["state"] = DeliveryState.FAILED if final else DeliveryState.PENDING
    if unpublish:
        values["queued_at"] = None
    return NoticeDelivery.objects.filter(id__in=ids, claimed_by=claimed_by, state=DeliveryState.SENDING).update(**values)


def deliveries_send(
    ids: list[int], *, claimed_by: str, final_attempt: bool = False, now: dt.datetime | None = None
) -> SendResult:
    """Send the deliveries `ids` that are still pending, once.

    Steps: claim with a conditional UPDATE (0 rows: someone else has them, stop); read readiness,
    unsubscribes and templates for the chunk in three queries; skip rows no longer due (with the
    reason); open ONE SMTP connection; per row render, wait for the rate cap, send, and mark sent at
    once. A 5xx reply fails that row and the chunk goes on; a 4xx reply or broken connection
    releases the unsent rows and raises TransientSendError for the task to retry (or, on the last
    try, fails them).
    """
    now = now or timezone.now()
    result = SendResult()
    rows = deliveries_claim(ids, claimed_by)
    result.claimed = len(rows)
    if not rows:
        return result
    live_ids = court_ids_live(now)
    readiness = _readiness_by_filer_court(rows, live_ids)
    unsubscribed = set(
        NoticeUnsubscribe.objects.filter(
            court_id__in={r.court_id for r in rows}, filer_id__in={r.filer_id for r in rows}
        ).values_list("filer_id", "court_id")
    )
    to_send: list[tuple[NoticeDelivery, str]] = []
    skips: dict[str, list[int]] = {}
    for row in rows:
        state = readiness.get((row.filer_id, row.court_id))
        reason = _skip_reason(row, state, (row.filer_id, row.court_id) in unsubscribed, now)
        if reason:
            skips.setdefault(reason, []).append(row.id)
        else:
            to_send.append((row, state or Readiness.WAITING))
    for reason, skip_ids in skips.items():
        NoticeDelivery.objects.filter(id__in=skip_ids, claimed_by=claimed_by, state=DeliveryState.SENDING).update(
            state=DeliveryState.SKIPPED, skip_reason=reason[:200]
        )
        result.skipped += len(skip_ids)
        result.skip_reasons[reason] = len(skip_ids)
    if not to_send:
        return result

    templates = TemplateCache()
    templates.get(None, to_send[0][0].kind, court_ids={r.court_id for r, _ in to_send})  # load the rows once
    throttle = _Throttle(settings.NOTICES_MAX_PER_SECOND)
    smtp = get_connection()
    # Rows from this index on were not handed to the server: on an error they are given back. A row
    # the server accepted but that could not be recorded stays "sending" for the sweeper (logged as
    # a possible duplicate), never back to pending at once.
    unsent_from = 0
    recorder = _SentRecorder(claimed_by)
    try:
        _async_commit(True)
        recorder.open()
        smtp.open()
        send = _sender(smtp)
        for position, (row, state) in enumerate(to_send):
            unsent_from = position
            try:
                message = build_message(row, state, templates, now)
            except Exception as exc:  # a broken court template must not stop the other courts' messages
                recorder.settle()
                log.exception("notice delivery %s could not be rendered", row.id)
                _finish(row, claimed_by, DeliveryState.FAILED, error=f"Rendering failed: {_error_text(exc)}")
                result.failed += 1
                continue
            recorder.settle()  # the previous message is recorded before this one goes out
            throttle.wait()
            try:
                send(message)
            except smtplib.SMTPException as exc:
                if smtp_error_is_transient(exc):
                    raise
                _finish(row, claimed_by, DeliveryState.FAILED, error=_error_text(exc))
                result.failed += 1
                continue
            unsent_from = position + 1
            recorder.sent(row, message.extra_headers["Message-ID"])
            result.sent += 1
        recorder.close()
    except SoftTimeLimitExceeded:
        recorder.close(quiet=True)
        result.released = _release(
            [r.id for r, _ in to_send[unsent_from:]], claimed_by, error="Time limit reached; left for the next dispatch.",
            final=False, unpublish=True,
        )
        raise
    except Exception as exc:
        recorder.close(quiet=True)
        if not smtp_error_is_transient(exc):
            result.released = _release([r.id for r, _ in to_send[unsent_from:]], claimed_by, error=_error_text(exc),
                                       final=False, unpublish=True)
            raise
        result.released = _release(
            [r.id for r, _ in to_send[unsent_from:]], claimed_by, error=_error_text(exc), final=final_attempt
        )
        if final_attempt:
            result.failed += result.released
            log.error("notice chunk gave up after retries: %s", _error_text(exc))
            return result
        raise TransientSendError(_error_text(exc)) from exc
    finally:
        recorder.close(quiet=True)
        _async_commit(False)
        try:
            smtp.close()
        except Exception:  # closing a dead connection must not hide the real error
            pass
    return result


def _sender(backend):
    """How to hand one message to the backend. With Django's SMTP backend, write the assembled bytes
    straight to its open smtplib connection (the envelope sender is worked out once per chunk, not
    parsed again per message); any other backend (files in var/mail, console, locmem) gets the
    message through its usual `send_messages`."""
    from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
    from django.core.mail.message import sanitize_address

    if not isinstance(backend, SMTPBackend) or backend.connection is None:
        # Files, console, locmem: a backend instance per message, so var/mail/ holds one file each.
        return lambda message: get_connection().send_messages([message])
    envelope_from = sanitize_address(settings.DEFAULT_FROM_EMAIL, "utf-8")

    def send(message) -> None:
        recipients = [a if a.isascii() else sanitize_address(a, "utf-8") for a in message.to]
        backend.connection.sendmail(envelope_from, recipients, message.message().as_bytes(linesep="\r\n"))

    return send


def _async_commit(on: bool) -> None:
    """PostgreSQL: do not wait for the WAL flush on each per-message "sent" UPDATE.

    Each message is recorded in its own commit right after the server accepted it; waiting for
    the disk on every one would cost more than the SMTP exchange itself. An asynchronous commit is
    still durable against the worker dying (the case the sweeper handles): only a crash of the
    database server itself could lose the last few hundred milliseconds of "sent" marks, whose rows
    would then be reclaimed and resent as identical duplicates (same Message-ID).
    """
    from django.db import connection

    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO OFF" if on else "RESET synchronous_commit")


class _SentRecorder:
    """Marks each accepted message sent, one UPDATE per email, before the next one goes out.

    On PostgreSQL the UPDATE is pipelined (psycopg pipeline mode): it is sent at once and its
    completion awaited (`settle`) just before the next message is handed to the SMTP server, so
    rendering the next message overlaps with the database's work while the rule "never two
    accepted-but-unrecorded messages" still holds. Elsewhere it is a plain execute.
    """

    def __init__(self, claimed_by: str) -> None:
        self.claimed_by = claimed_by
        self._cursor = None
        self._raw = None
        self._pipeline = None
        self._pending = False

    def open(self) -> None:
        from django.db import connection

        self._cursor = connection.cursor()
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            self._raw = connection.connection
            self._pipeline_cm = self._raw.pipeline()
            self._pipeline = self._pipeline_cm.__enter__()

    def sent(self, row: NoticeDelivery, message_id: str) -> None:
        params = [DeliveryState.SENT, timezone.now(), message_id, row.id, self.claimed_by, DeliveryState.SENDING]
        if self._pipeline is not None:
            self._raw.execute(_MARK_SENT_SQL, params)
            self._pending = True
        else:
            self._cursor.execute(_MARK_SENT_SQL, params)

    def settle(self) -> None:
        if self._pipeline is not None and self._pending:
            self._pipeline.sync()
            self._pending = False

    def close(self, quiet: bool = False) -> None:
        try:
            if self._pipeline is not None:
                self._pipeline = None
                self._pending = False
                self._pipeline_cm.__exit__(None, None, None)  # syncs: the last message is recorded here
        except Exception:
            if not quiet:
                raise
            log.exception("could not record the last sent notice; the sweeper will reclaim it")
        finally:
            if self._cursor is not None:
                self._cursor.close()
                self._cursor = None


_MARK_SENT_SQL = (
    f"UPDATE {NoticeDelivery._meta.db_table} SET state = %s, sent_at = %s, message_id = %s, last_error = '' "
    "WHERE id = %s AND claimed_by = %s AND state = %s"
)


def _finish(row: NoticeDelivery, claimed_by: str, state: str, *, error: str = "", message_id: str = "",
            cursor=None) -> None:
    """Record one message's outcome at once, only if this run still holds the row.

    "Sent" is one plain UPDATE statement on the chunk's cursor (no ORM compile per message): it
    runs once per email.
    """
    if state == DeliveryState.SENT and cursor is not None:
        cursor.execute(_MARK_SENT_SQL, [DeliveryState.SENT, timezone.now(), message_id, row.id, claimed_by,
                                        DeliveryState.SENDING])
        return
    if state == DeliveryState.SENT:
        NoticeDelivery.objects.filter(id=row.id, claimed_by=claimed_by, state=DeliveryState.SENDING).update(
            state=state, sent_at=timezone.now(), message_id=message_id, last_error="")
        return
    NoticeDelivery.objects.filter(id=row.id, claimed_by=claimed_by, state=DeliveryState.SENDING).update(
        state=state, last_error=error)
