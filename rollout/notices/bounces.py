"""Bounces: reading the bounce mailbox and recording what it says.

Each notice goes out with a signed envelope sender naming its delivery (VERP, `messages.verp_address`),
so a delivery status notification (DSN) comes back to an address that says which delivery it is
about; `verp_delivery_id` reads it back and refuses a made-up one.

`bounces_process` reads the bounce mailbox (a Maildir, NOTICES_BOUNCE_MAILDIR, or IMAP,
NOTICES_BOUNCE_IMAP_URL), classifies each message with flufl.bounce (GNU Mailman's detectors:
RFC 3464 DSNs, Postfix, Exim, Exchange, qmail, …) and records it:
- permanent failure: the delivery becomes `bounced` and the filer's address undeliverable at once;
- temporary failure (a delay or a 4.x.x DSN): counted once per delivery and once per day (UTC), as
  GNU Mailman scores bounces: several notices delayed by one outage of the filer's mail server (the
  go-live notices of three courts sent together) are one bad day, not three; soft bounces on
  NOTICES_SOFT_BOUNCE_LIMIT different days (no gap of more than NOTICES_SOFT_BOUNCE_RESET_DAYS) make
  the address undeliverable.
An undeliverable address gets no more notices (`recipients_for`, and a skip reason at send time);
the filer gets them again once their address is changed, or once staff mark it deliverable again
(`services.bounced_address_clear`: the mailbox was only full for a while). Processed messages are deleted from the
mailbox; messages not addressed to a valid signed bounce address are left where they are.
"""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import imaplib
import logging
import mailbox
import os
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from flufl.bounce import all_failures

from courts.input_checks import BAD_CHARACTERS
from rollout.notices.messages import verp_delivery_id
from rollout.notices.models import BouncedAddress, DeliveryState, NoticeDelivery

log = logging.getLogger(__name__)


def undeliverable_emails():
    """A subquery of every undeliverable address (for anti-joins)."""
    return BouncedAddress.objects.filter(undeliverable_at__isnull=False).values("email")


# --- Reading one bounce ------------------------------------------------------------------------------

class _TextHeaders(email.policy.Compat32):
    """compat32, except that a header with raw 8-bit bytes in it (a name in UTF-8 from a mail system
    that took the message as 8-bit) reads as text, as UTF-8 with anything else as U+FFFD, not as a
    `Header` object: the detectors call str methods on headers, and one that fails leaves the message
    unread."""

    def header_fetch_parse(self, name, value):
        if isinstance(value, str):  # the parser keeps raw bytes as surrogates: back to bytes, then text
            return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        return super().header_fetch_parse(name, value)


_POLICY = _TextHeaders()


@dataclass
class Bounce:
    delivery_id: int
    permanent: bool
    addresses: set[str]
    diagnostic: str


def bounce_read(message: email.message.Message) -> Bounce | None | bool:
    """Classify one message of the bounce mailbox.

    Returns a Bounce; None when it is not addressed to one of our signed bounce addresses (leave it
    alone); False when it is addressed to us but is not a bounce (an auto-reply: drop it).
    """
    delivery_id = None
    for header in ("X-Original-To", "Delivered-To", "To", "Envelope-To"):
        for value in message.get_all(header) or []:
            delivery_id = verp_delivery_id(str(value))
            if delivery_id is not None:
                break
        if delivery_id is not None:
            break
    if delivery_id is None:
        return None
    temporary, permanent = all_failures(message)
    if not temporary and not permanent:
        return False
    found = permanent or temporary
    addresses = {a.decode("utf-8", "replace").strip().lower() if isinstance(a, bytes) else str(a).lower()
                 for a in found}
    return Bounce(delivery_id, bool(permanent), addresses, _diagnostic(message))


def _diagnostic(message: email.message.Message) -> str:
    """Status and Diagnostic-Code of a DSN (RFC 3464), else the first lines of the text part."""
    for part in message.walk():
        if part.get_content_type() == "message/delivery-status":
            for block in part.get_payload() or []:
                code = block.get("Diagnostic-Code") or ""
                status = block.get("Status") or ""
                if code or status:
                    return _printable(f"{status} {code}")
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            text = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
            # The line with the remote server's reply ("550 No such user here"), else the start.
            reply = re.search(r"^.*\b[45]\d\d\b.*$", text, flags=re.MULTILINE)
            return _printable(reply.group(0) if reply else text)
    return ""


def _printable(text: str) -> str:
    """The diagnostic as stored: a remote server's reply is not ours to trust, and a control character
    in it (a NUL cannot be stored in PostgreSQL at all) would make recording the bounce fail; such
    characters become spaces, and runs of spaces one."""
    return " ".join(BAD_CHARACTERS.sub(" ", text).split())[:500]


# --- Recording it --------------------------------------------------------------------------------

@transaction.atomic
def delivery_bounce_record(bounce: Bounce, now: dt.datetime | None = None) -> str:
    """Record one bounce; returns what it did ("permanent", "soft", "soft, now undeliverable",
    "counted before", "counted today", "unknown delivery", "old address").

    Steps: lock the delivery; a permanent bounce marks it bounced; the filer's current address
    (only if the bounce names it, or names no address) is marked undeliverable, or its soft count
    goes up once per delivery and once per day (reset after NOTICES_SOFT_BOUNCE_RESET_DAYS without a
    bounce), and reaching NOTICES_SOFT_BOUNCE_LIMIT makes it undeliverable.
    """
    now = now or timezone.now()
    delivery = (NoticeDelivery.objects.select_for_update().select_related("filer")
                .filter(id=bounce.delivery_id).first())
    if delivery is None:
        return "unknown delivery"
    first_time = delivery.bounced_at is None
    values = {"bounced_at": now, "last_error": f"{'Bounced' if bounce.permanent else 'Soft bounce'}: "
                                                f"{bounce.diagnostic}"[:2000]}
    if bounce.permanent:
        values["state"] = DeliveryState.BOUNCED
    NoticeDelivery.objects.filter(id=delivery.id).update(**values)
    address = delivery.filer.email
    if bounce.addresses and not _forms_of(address) & bounce.addresses:
        log.info("bounce for delivery %s names %s, not the filer's address now: address left as it is",
                 delivery.id, ", ".join(sorted(bounce.addresses)))
        return "old address"
    row, _ = BouncedAddress.objects.select_for_update().get_or_create(
        email=address, defaults={"last_bounce_at": now})
    if bounce.permanent:
        row.undeliverable_at = row.undeliverable_at or now
        outcome = "permanent"
    elif not first_time:
        return "counted before"
    else:
        if row.soft_bounces and row.last_bounce_at < now - dt.timedelta(days=settings.NOTICES_SOFT_BOUNCE_RESET_DAYS):
            row.soft_bounces = 0
        if row.soft_bounces and _utc_day(row.last_bounce_at) == _utc_day(now):
            outcome = "counted today"  # the same bad day for this mailbox, counted already
        else:
            row.soft_bounces += 1
            outcome = "soft"
        if row.soft_bounces >= settings.NOTICES_SOFT_BOUNCE_LIMIT and row.undeliverable_at is None:
            row.undeliverable_at = now
            outcome = "soft, now undeliverable"
    row.last_bounce_at, row.last_delivery_id, row.diagnostic = now, delivery.id, bounce.diagnostic
    row.save()
    return outcome


def _utc_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(dt.timezone.utc).date()


def _forms_of(address: str) -> set[str]:
    """The address as a bounce may name it, lower-cased: as stored, and as it went on the wire (a
    non-ASCII domain in its ASCII, IDNA form, as Django's email backend sends it)."""
    local, _, domain = address.rpartition("@")
    forms = {address.lower()}
    try:
        forms.add(f"{local}@{domain.encode('idna').decode('ascii')}".lower())
    except UnicodeError:  # never sent in that form, so never named by a bounce in it
        pass
    return forms


# --- The mailbox ---------------------------------------------------------------------------------

@dataclass
class BounceRun:
    read: int = 0
    recorded: int = 0
    not_bounces: int = 0
    ignored: int = 0
    failed: int = 0


def _handle(raw: bytes, run: BounceRun) -> bool:
    """Process one raw message; True when it is done with and may be deleted.

    A message that cannot be processed is logged and left in the mailbox, like one that is not
    addressed to us: one bad message must not stop the others from being recorded. The task's soft
    time limit is not such a failure: it stops the run, the message left."""
    run.read += 1
    try:
        message = email.message_from_bytes(raw, policy=_POLICY)
        bounce = bounce_read(message)
        if bounce is None:
            run.ignored += 1
            return False
        if bounce is False:
            run.not_bounces += 1
            return True
        outcome = delivery_bounce_record(bounce)
    except SoftTimeLimitExceeded:
        # The task's time is up: this message stays in the mailbox (its record rolled back), as do
        # the rest, for the next run, instead of this run going on to the hard kill.
        raise
    except Exception:
        log.exception("bounce message not processed: left in the mailbox")
        run.failed += 1
        return False
    log.info("bounce for delivery %s: %s", bounce.delivery_id, outcome)
    run.recorded += 1
    return True


def bounces_process_maildir(path: str, run: BounceRun) -> None:
    if not all(os.path.isdir(os.path.join(path, sub)) for sub in ("new", "cur", "tmp")):
        raise ValueError(f"The bounce mailbox {path!r} is not a Maildir (no new/, cur/ and tmp/ folders).")
    box = mailbox.Maildir(path, factory=None, create=False)
    for key in list(box.iterkeys()):
        try:
            with box.get_file(key) as handle:
                raw = handle.read()
        except (FileNotFoundError, KeyError):  # taken by another reader meanwhile
            continue
        if _handle(raw, run):
            try:
                box.remove(key)
            except (FileNotFoundError, KeyError):
                pass


def bounces_process_imap(url: str, run: BounceRun) -> None:
    """imap://user:password@host[:port]/Mailbox or imaps://… (default mailbox INBOX)."""
    parts = urlsplit(url)
    cls = imaplib.IMAP4_SSL if parts.scheme == "imaps" else imaplib.IMAP4
    name = unquote(parts.path.lstrip("/")) or "INBOX"
    where = f"The bounce mailbox {name!r} on {parts.hostname}"
    try:
        client = cls(parts.hostname, parts.port or (993 if parts.scheme == "imaps" else 143))
    except imaplib.IMAP4.error as exc:
        raise ValueError(f"{where} could not be reached: {_imap_reason(exc)}") from None
    try:
        try:
            client.login(unquote(parts.username or ""), unquote(parts.password or ""))
            # A refused SELECT is answered, not raised: without this, the next command fails on the
            # state ("SEARCH illegal in state AUTH") and the server's reason is lost.
            status, reply = client.select(name)
            if status != "OK":
                raise imaplib.IMAP4.error(reply[0] if reply else status)
        except imaplib.IMAP4.error as exc:  # the server's answer (no password in it), for IT to act on
            raise ValueError(f"{where} could not be opened: {_imap_reason(exc)}") from None
        _, data = client.uid("SEARCH", None, "ALL")
        for uid in (data[0] or b"").split():
            # PEEK: a message left (not ours: a filer's reply, when the bounce address is the From
            # address staff read) stays unread; RFC822 would mark it \Seen.
            _, fetched = client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((item[1] for item in fetched if isinstance(item, tuple)), b"")
            if raw and _handle(raw, run):
                client.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
        client.expunge()
    finally:
        try:
            client.logout()
        except (imaplib.IMAP4.error, OSError):
            pass


def _imap_reason(exc: imaplib.IMAP4.error) -> str:
    reason = exc.args[0] if exc.args else ""
    return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)


def bounces_process() -> BounceRun:
    """Read every configured bounce mailbox once (NOTICES_BOUNCE_MAILDIR, NOTICES_BOUNCE_IMAP_URL)."""
    run = BounceRun()
    if settings.NOTICES_BOUNCE_MAILDIR:
        bounces_process_maildir(settings.NOTICES_BOUNCE_MAILDIR, run)
    if settings.NOTICES_BOUNCE_IMAP_URL:
        bounces_process_imap(settings.NOTICES_BOUNCE_IMAP_URL, run)
    return run
