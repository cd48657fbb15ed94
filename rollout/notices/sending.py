"""Sending one chunk of deliveries: claim, check, render, send over one SMTP connection, record.

See the package docstring (`rollout.notices`) for how this keeps "once per recipient".
"""
from __future__ import annotations

import datetime as dt
import functools
import logging
import smtplib
import time
import uuid
from dataclasses import dataclass, field
from email.utils import parseaddr

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import get_connection
from django.db.models import F
from django.utils import timezone

from accounts.models import CmecfAccount, Filer
from accounts.readiness import Readiness
from accounts.selectors import cmecf_accounts_with_readiness
from courts.models import GoLiveStatus
from courts.selectors import court_ids_live
from rollout.filers.tokens import status_url as filer_status_url
from rollout.notices.models import DeliveryState, NoticeDelivery, NoticeKind, NoticeSent, NoticeUnsubscribe
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


@dataclass(slots=True)
class ClaimedFiler:
    id: int
    name: str
    email: str


@dataclass(slots=True)
class ClaimedDelivery:
    """What sending needs of a claimed NoticeDelivery, with the same attribute names (build_message
    takes either). A plain object: a model instance per row (init signals, relation descriptors)
    cost about a third of the claim."""

    id: int
    filer_id: int
    court_id: int
    golive_id: int
    change_id: int | None
    kind: str
    notice: str
    variant: str
    filer: ClaimedFiler
    court: object
    golive: object
    change: object | None


def deliveries_claim(ids: list[int], claimed_by: str, now: dt.datetime | None = None) -> list[ClaimedDelivery]:
    """Claim the pending rows among `ids` for this run, with one conditional UPDATE; return only those.

    Steps: the UPDATE; read back the claimed rows as plain values (with the filer's name and
    e-mail, the only per-recipient fields a message needs); load their courts, go-lives and date
    changes once each (a chunk shares a handful); attach them. Building full model instances with
    four joined models per row cost more than the rest of the chunk's queries together.
    """
    from courts.models import Court, GoLive, GoLiveChange

    from django.db import connection

    now = now or timezone.now()
    if connection.vendor == "postgresql":
        # One statement, the ids as one array parameter: UPDATE … RETURNING joined to the filer.
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM_SQL_PG, [DeliveryState.SENDING, now, claimed_by, list(ids), DeliveryState.PENDING])
            values = cursor.fetchall()
    else:
        NoticeDelivery.objects.filter(id__in=ids, state=DeliveryState.PENDING).update(
            state=DeliveryState.SENDING, claimed_at=now, claimed_by=claimed_by, attempts=F("attempts") + 1
        )
        values = list(
            NoticeDelivery.objects.filter(id__in=ids, state=DeliveryState.SENDING, claimed_by=claimed_by)
            .order_by("id")
            .values_list("id", "filer_id", "court_id", "golive_id", "change_id", "kind", "notice", "variant",
                         "filer__name", "filer__email")
        )
    courts = Court.objects.in_bulk({v[2] for v in values})
    golives = GoLive.objects.in_bulk({v[3] for v in values})
    changes = GoLiveChange.objects.in_bulk({v[4] for v in values if v[4] is not None})
    return [
        ClaimedDelivery(id_, filer_id, court_id, golive_id, change_id, kind, notice, variant,
                        ClaimedFiler(filer_id, name, email), courts[court_id], golives[golive_id],
                        changes.get(change_id) if change_id is not None else None)
        for id_, filer_id, court_id, golive_id, change_id, kind, notice, variant, name, email in values
    ]


_CLAIM_SQL_PG = (
    f"WITH claimed AS (UPDATE {NoticeDelivery._meta.db_table} "
    "SET state = %s, claimed_at = %s, claimed_by = %s, attempts = attempts + 1 "
    "WHERE id = ANY(%s) AND state = %s "
    "RETURNING id, filer_id, court_id, golive_id, change_id, kind, notice, variant) "
    "SELECT c.id, c.filer_id, c.court_id, c.golive_id, c.change_id, c.kind, c.notice, c.variant, f.name, f.email "
    f"FROM claimed c JOIN {Filer._meta.db_table} f ON f.id = c.filer_id ORDER BY c.id"
)


def _readiness_by_filer_court(rows: list[ClaimedDelivery], live_ids: list[int]) -> dict[tuple[int, int], str]:
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


def _skip_reason(row: ClaimedDelivery, readiness: str | None, unsubscribed: bool, now: dt.datetime) -> str:
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


def build_message(
    row: ClaimedDelivery | NoticeDelivery, readiness: str, templates: TemplateCache, now: dt.datetime
) -> NoticeEmail:
    court, golive = row.court, row.golive
    unsubscribe = unsubscribe_url(row.filer_id, row.court_id) if row.kind == NoticeKind.REMINDER else ""
    today = court.local_today(now)

    def make_context(filer_name: str, unsubscribe_url: str, status_url: str) -> dict:
        return notice_context(filer_name=filer_name, court=court, golive=golive, readiness=readiness,
                              change=row.change, unsubscribe_url=unsubscribe_url, today=today, status_url=status_url)

    # Everything but the name, the unsubscribe and status-page links is the same for a whole chunk: rendered once.
    variant = (court.id, row.kind, golive.id, row.change_id, readiness, today, bool(unsubscribe))
    subject, text, html = templates.render_personal(
        templates.get(court.id, row.kind), variant, make_context, row.filer.name, unsubscribe,
        filer_status_url(row.filer_id, row.filer.email))
    headers = {"Message-ID": message_id_for(row.id, court.court_id), "Auto-Submitted": "auto-generated"}
    if unsubscribe:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    # Prepare and date-changed notices carry the go-live day as an "add to calendar" .ics.
    calendar = templates.calendar(golive) if row.kind in (NoticeKind.PREPARE, NoticeKind.DATE_CHANGED) \
        and golive.go_live_date else None
    return NoticeEmail(subject=subject, text=text, html=html, from_email=settings.DEFAULT_FROM_EMAIL,
                       to=[row.filer.email], headers=headers, calendar=calendar)


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
    reason); open ONE SMTP connection; per row render (the next one while the server reads this
    one's body), wait for the rate cap, send, and record the acceptance at once in the send log;
    at the end fold the chunk's records into "sent" rows with one UPDATE (also after an error, for
    what was accepted before it). A 5xx reply fails that row and the chunk goes on; a 4xx reply or
    broken connection releases the unsent rows and raises TransientSendError for the task to retry
    (or, on the last try, fails them).
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
    to_send: list[tuple[ClaimedDelivery, str]] = []
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
    recorder = _SentRecorder()
    try:
        _async_commit(True)
        recorder.open()
        smtp.open()
        send = _sender(smtp)

        def build(position: int):
            """The message for to_send[position], assembled; or the exception that stopped it."""
            row, state = to_send[position]
            try:
                return build_message(row, state, templates, now).prebuild()
            except Exception as exc:  # a broken court template must not stop the other courts' messages
                return exc  # (a soft time limit too: raised once the message on the wire is recorded)

        ahead: dict[int, object] = {}
        for position, (row, state) in enumerate(to_send):
            unsent_from = position
            message = ahead.pop(position) if position in ahead else build(position)
            if isinstance(message, SoftTimeLimitExceeded):
                raise message
            if isinstance(message, Exception):
                recorder.settle()
                log.error("notice delivery %s could not be rendered", row.id, exc_info=message)
                _finish(row, claimed_by, DeliveryState.FAILED, error=f"Rendering failed: {_error_text(message)}")
                result.failed += 1
                continue
            throttle.wait()

            def build_next(position=position) -> None:
                if position + 1 < len(to_send):
                    ahead[position + 1] = build(position + 1)

            try:
                # The previous message's "sent" record is awaited inside `send`, after this message's
                # envelope (MAIL/RCPT/DATA) and before its body and final dot: the server accepts
                # nothing before the previous message is recorded. While the server reads the body,
                # the next message is rendered (`build_next`), so that costs no waiting.
                send(message, recorder.settle, build_next)
            except smtplib.SMTPException as exc:
                if smtp_error_is_transient(exc):
                    raise
                recorder.settle()
                _finish(row, claimed_by, DeliveryState.FAILED, error=_error_text(exc))
                result.failed += 1
                continue
            unsent_from = position + 1
            recorder.sent(row, message.extra_headers["Message-ID"])
            result.sent += 1
        recorder.close()
        recorder.fold()
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
        recorder.fold(quiet=True)  # after an error: the messages accepted before it
        _async_commit(False)
        try:
            smtp.close()
        except Exception:  # closing a dead connection must not hide the real error
            pass
    return result


def _sender(backend):
    """How to hand one message to the backend: `send(message, before_accept)`.

    With Django's SMTP backend, write the assembled bytes straight to its open smtplib connection
    (the envelope sender is worked out once per chunk, not parsed again per message), and call
    `before_accept()` between the DATA command and the message body: the server can only accept
    the message once it has the body, so whatever `before_accept` waits for (the previous message's
    record in the send log) is done before this message can be accepted, while the envelope round
    trips overlap with it. Any other backend (files in var/mail, console, locmem) gets
    `before_accept()` and then the message through its usual `send_messages`."""
    from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
    from django.core.mail.message import sanitize_address

    if not isinstance(backend, SMTPBackend) or backend.connection is None:
        # Files, console, locmem: a backend instance per message, so var/mail/ holds one file each.
        def send_other(message, before_accept, while_waiting=None) -> None:
            before_accept()
            get_connection().send_messages([message])
            if while_waiting is not None:
                while_waiting()

        return send_other
    envelope_from = sanitize_address(settings.DEFAULT_FROM_EMAIL, "utf-8")

    def send(message, before_accept, while_waiting=None) -> None:
        recipients = [a if a.isascii() else sanitize_address(a, "utf-8") for a in message.to]
        smtp_send_split(backend.connection, envelope_from, recipients,
                        message.message().as_bytes(linesep="\r\n"), before_accept, while_waiting)

    return send


def _abandon(conn: smtplib.SMTP, code: int) -> None:
    """After a refusal, as smtplib does: 421 closes; otherwise RSET, ignoring a dropped connection so
    the refusal itself is what gets raised."""
    if code == 421:
        conn.close()
        return
    try:
        conn.rset()
    except smtplib.SMTPServerDisconnected:
        pass


@functools.lru_cache(maxsize=16)
def _quoted_address(address: str) -> str:
    return smtplib.quoteaddr(address)


def smtp_send_split(conn: smtplib.SMTP, from_addr: str, to_addrs: list[str], data: bytes, before_accept,
                    while_waiting=None) -> None:
    """`smtplib.SMTP.sendmail`, same commands, replies and exceptions, with `before_accept()`
    called after the server answered DATA with 354 and before the body is written, and
    `while_waiting()` (if given; it must not raise) after the body is written and before the
    server's final reply is read."""
    conn.ehlo_or_helo_if_needed()
    # smtplib's mail()/rcpt() parse each address again (email.utils.parseaddr); the envelope
    # sender is quoted once per process and a plain address needs no parsing.
    size = f" size={len(data)}" if conn.does_esmtp and conn.has_extn("size") else ""
    conn.putcmd("mail", f"FROM:{_quoted_address(from_addr)}{size}")
    code, resp = conn.getreply()
    if code != 250:
        _abandon(conn, code)
        raise smtplib.SMTPSenderRefused(code, resp, from_addr)
    refused = {}
    for each in to_addrs:
        plain = each.isascii() and each.count("@") == 1 and not any(ch in each for ch in '<>()[],;:"\\\r\n\t ')
        conn.putcmd("rcpt", f"TO:<{each}>" if plain else f"TO:{smtplib.quoteaddr(each)}")
        code, resp = conn.getreply()
        if code not in (250, 251):
            refused[each] = (code, resp)
        if code == 421:
            conn.close()
            raise smtplib.SMTPRecipientsRefused(refused)
    if len(refused) == len(to_addrs):
        _abandon(conn, 0)
        raise smtplib.SMTPRecipientsRefused(refused)
    conn.putcmd("data")
    code, resp = conn.getreply()
    if code != 354:
        _abandon(conn, code)
        raise smtplib.SMTPDataError(code, resp)
    before_accept()
    body = smtplib._quote_periods(data)
    if body[-2:] != b"\r\n":
        body += b"\r\n"
    conn.send(body + b".\r\n")
    if while_waiting is not None:
        while_waiting()
    code, resp = conn.getreply()
    if code != 250:
        _abandon(conn, code)
        raise smtplib.SMTPDataError(code, resp)


def _async_commit(on: bool) -> None:
    """PostgreSQL: do not wait for the WAL flush on each per-message send-log INSERT.

    Each message is recorded in its own commit right after the server accepted it; waiting for
    the disk on every one would cost more than the SMTP exchange itself. An asynchronous commit is
    still durable against the worker dying (the case the sweeper handles): only a crash of the
    database server itself could lose the last few hundred milliseconds of send records, whose rows
    would then be reclaimed and resent as identical duplicates (same Message-ID).
    """
    from django.db import connection

    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO OFF" if on else "RESET synchronous_commit")


class _SentRecorder:
    """Records each accepted message in the send log (`NoticeSent`), one INSERT (its own commit)
    per email, before the next message can be accepted; `deliveries_fold_sent` turns the chunk's
    records into "sent" rows afterwards.

    On PostgreSQL the INSERT is a prepared statement sent with libpq's asynchronous call right
    after the server accepted the message; it runs and commits (autocommit, synchronous_commit
    off) while the next message is rendered and its envelope exchanged, and its result is awaited
    (`settle`) before that next message's body goes out. So the rule "never two
    accepted-but-unrecorded messages" holds while the database round trip costs no waiting.
    Elsewhere (SQLite) it is a plain execute, done before `sent` returns. `recorded` lists the
    delivery ids recorded and not yet folded.
    """

    def __init__(self) -> None:
        self._cursor = None
        self._pg = None
        self._name = b""
        self._pending = False
        self.recorded: list[int] = []

    def open(self) -> None:
        from django.db import connection

        self._cursor = connection.cursor()
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            from psycopg import pq

            pg = connection.connection.pgconn
            name = f"notice_sent_{uuid.uuid4().hex}".encode()
            result = pg.prepare(name, _RECORD_SENT_SQL_PG)
            if result.status != pq.ExecStatus.COMMAND_OK:
                raise RuntimeError(f"could not prepare the sent record: {result.error_message.decode(errors='replace')}")
            self._pg, self._name = pg, name

    def sent(self, row: ClaimedDelivery, message_id: str) -> None:
        if self._pg is not None:
            self._pg.send_query_prepared(self._name, [
                str(row.id).encode(), message_id.encode(), timezone.now().isoformat().encode(),
            ])
            self._pending = True
        else:
            self._cursor.execute(_RECORD_SENT_SQL, [row.id, message_id, timezone.now()])
        self.recorded.append(row.id)

    def settle(self) -> None:
        """Wait until the last record has committed; raise if it failed."""
        if self._pg is None or not self._pending:
            return
        from psycopg import pq

        self._pending = False
        error = None
        while (result := self._pg.get_result()) is not None:
            if result.status != pq.ExecStatus.COMMAND_OK and error is None:
                error = result.error_message.decode(errors="replace")
        if error:
            raise RuntimeError(f"could not record a sent notice: {error}")

    def close(self, quiet: bool = False) -> None:
        try:
            if self._pg is not None:
                try:
                    self.settle()  # the last message is recorded here
                finally:
                    pg, self._pg = self._pg, None
                    pg.exec_(b"DEALLOCATE " + self._name)
        except Exception:
            if not quiet:
                raise
            log.exception("could not record the last sent notice; the sweeper will reclaim it")
        finally:
            if self._cursor is not None:
                self._cursor.close()
                self._cursor = None

    def fold(self, quiet: bool = False) -> int:
        """Mark what this chunk recorded as sent (one statement); the sweeper does it if this fails."""
        ids, self.recorded = self.recorded, []
        if not ids:
            return 0
        try:
            return len(deliveries_fold_sent(ids))
        except Exception:
            if not quiet:
                raise
            log.exception("could not mark %d accepted notices sent; the sweeper will fold them", len(ids))
            return 0


_SENT_TABLE = NoticeSent._meta.db_table
_RECORD_SENT_SQL = (
    f"INSERT INTO {_SENT_TABLE} (delivery_id, message_id, sent_at) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING"
)
# ON CONFLICT: a second record for one delivery would mean it went out twice; the first one stands.
_RECORD_SENT_SQL_PG = (
    f"INSERT INTO {_SENT_TABLE} (delivery_id, message_id, sent_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
).encode()
# Delete the records and mark their rows sent in one statement: both happen or neither does.
_FOLD_SQL_PG = (
    f"WITH accepted AS (DELETE FROM {_SENT_TABLE} WHERE delivery_id = ANY(%s) "
    "RETURNING delivery_id, message_id, sent_at) "
    f"UPDATE {NoticeDelivery._meta.db_table} d SET state = %s, sent_at = a.sent_at, message_id = a.message_id, "
    "last_error = '' FROM accepted a WHERE d.id = a.delivery_id AND d.state <> %s RETURNING d.id"
)


def deliveries_fold_sent(ids: list[int]) -> list[int]:
    """Fold the send log's records for `ids` into their NoticeDelivery rows; return the ids marked sent.

    Steps: delete the records of `ids` from `NoticeSent` and, in the same statement (PostgreSQL) or
    transaction (elsewhere), set each delivery that has one to sent with the record's time and
    Message-ID. Ids without a record are left alone (not accepted). A record means the server
    accepted the message, so its row becomes sent whatever state it is in (normally `sending`;
    only an already sent row is left as it was), and a record whose delivery is gone is just deleted.
    """
    from django.db import connection, transaction
    from django.db.models import OuterRef, Subquery

    if not ids:
        return []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_FOLD_SQL_PG, [list(ids), DeliveryState.SENT, DeliveryState.SENT])
            return [row[0] for row in cursor.fetchall()]
    with transaction.atomic():
        records = NoticeSent.objects.filter(delivery_id__in=ids)
        accepted = list(records.values_list("delivery_id", flat=True))
        record = NoticeSent.objects.filter(delivery_id=OuterRef("pk"))
        rows = NoticeDelivery.objects.filter(id__in=accepted).exclude(state=DeliveryState.SENT)
        folded = list(rows.values_list("id", flat=True))
        rows.filter(id__in=folded).update(
            state=DeliveryState.SENT, sent_at=Subquery(record.values("sent_at")[:1]),
            message_id=Subquery(record.values("message_id")[:1]), last_error="",
        )
        records.delete()
    return folded


def _finish(row: ClaimedDelivery, claimed_by: str, state: str, *, error: str = "") -> None:
    """Record a message that was not sent (failed) at once, only if this run still holds the row."""
    NoticeDelivery.objects.filter(id=row.id, claimed_by=claimed_by, state=DeliveryState.SENDING).update(
        state=state, last_error=error)
