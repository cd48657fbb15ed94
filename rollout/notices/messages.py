"""The email of one delivery: its text from the court's templates, its headers, the envelope sender
its bounce comes back to, and a Message-ID that is the same on every attempt.

Envelope sender (VERP): each notice goes out from `<local>+<delivery id>-<signature>@<domain>`, built
from NOTICES_BOUNCE_ADDRESS (default: the address of DEFAULT_FROM_EMAIL). A mail server that cannot
deliver the message sends its delivery status notification to that address, so the bounce names the
delivery (`verp_delivery_id`, read by `bounces.py`); the signature (HMAC with SECRET_KEY) means nobody
can make the tracker mark another delivery or address as bounced by writing to a made-up address.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
import secrets
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils.crypto import constant_time_compare, salted_hmac

from courts.models import FIRM, GoLiveStatus
from courts.selectors import GoLiveFacts, golive_facts, golive_pause_called_off_text
from rollout.links import golive_ics
from rollout.notices.models import NoticeDelivery, NoticeKind
from rollout.notices.rendering import TemplateCache, notice_context
from rollout.notices.tokens import unsubscribe_url
from rollout.signed_links import status_url as filer_status_url

_VERP_SALT = "rollout.notices.bounce"


def message_id_domain() -> str:
    if settings.NOTICES_MESSAGE_ID_DOMAIN:
        return settings.NOTICES_MESSAGE_ID_DOMAIN
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"


def message_id_for(delivery_id: int, court_code: str) -> str:
    """The same on every attempt, so a duplicate after a crash is recognisably the same message."""
    return f"<delivery-{delivery_id}.{court_code.lower()}@{message_id_domain()}>"


def _bounce_parts() -> tuple[str, str]:
    address = parseaddr(settings.NOTICES_BOUNCE_ADDRESS or settings.DEFAULT_FROM_EMAIL)[1]
    local, _, domain = address.rpartition("@")
    return local or "bounces", domain or "localhost"


def _verp_signature(delivery_id: int) -> str:
    return salted_hmac(_VERP_SALT, str(delivery_id), algorithm="sha256").hexdigest()[:16]


def verp_address(delivery_id: int) -> str:
    """The envelope sender of one delivery's message: bounces come back to it."""
    local, domain = _bounce_parts()
    return f"{local}+{delivery_id}-{_verp_signature(delivery_id)}@{domain}"


def verp_delivery_id(address: str) -> int | None:
    """The delivery id a bounce address names, or None when it is not one of ours or the signature
    does not match."""
    local, domain = _bounce_parts()
    match = re.fullmatch(rf"{re.escape(local)}\+(\d{{1,18}})-([0-9a-f]{{16}})@{re.escape(domain)}",
                         parseaddr(address)[1].strip(), flags=re.IGNORECASE)
    if not match or not constant_time_compare(match.group(2).lower(), _verp_signature(int(match.group(1)))):
        return None
    return int(match.group(1))


class NoticeEmail(EmailMultiAlternatives):
    """Django's email with each multipart boundary drawn when the MIME tree is built.

    Left to itself, the stdlib's generator draws a boundary while serialising and proves it absent
    from the parts by compiling a regular expression for it and searching the whole text, for every
    message (docs/performance.md). A 128-bit random boundary drawn after the parts were rendered
    cannot occur in them, so there is nothing to search for."""

    def message(self):
        msg = super().message()
        for part in msg.walk():
            if part.is_multipart() and part.get_boundary() is None:
                part.set_boundary(f"=_notice_{secrets.token_hex(16)}")
        return msg


class MessageBuilder:
    """Builds the messages of one send chunk as of `now`: each court's templates compiled once, each
    go-live's facts and calendar read once (the same for every recipient), each recipient's notice
    rendered in full, so it says what is true when it is sent."""

    def __init__(self, now: dt.datetime, connection=None) -> None:
        self.now = now
        self.connection = connection
        self.templates = TemplateCache()
        self._facts: dict[int, GoLiveFacts] = {}
        self._calendars: dict[int, bytes] = {}
        self._called_off: dict[int, str] = {}
        self._moved: dict[int, bool] = {}

    def _golive_facts(self, golive, court) -> GoLiveFacts:
        if golive.pk not in self._facts:
            self._facts[golive.pk] = golive_facts(golive, court=court, now=self.now)
        return self._facts[golive.pk]

    def _pause_called_off(self, golive) -> str:
        if golive.pk not in self._called_off:
            self._called_off[golive.pk] = golive_pause_called_off_text(golive, now=self.now)
        return self._called_off[golive.pk]

    def _marked_live_on_another_day(self, golive) -> bool:
        """Marked live on a day other than the one it was scheduled for, or while postponed: the
        calendar event sent with earlier notices (and the public feed's) names another day or is
        cancelled. One query per go-live."""
        if golive.pk not in self._moved:
            change = golive.changes.filter(new_status=GoLiveStatus.LIVE).exclude(
                old_status=GoLiveStatus.LIVE).order_by("-id").first()
            self._moved[golive.pk] = change is not None and (
                change.old_status != GoLiveStatus.SCHEDULED or change.old_date != change.new_date)
        return self._moved[golive.pk]

    def build(self, row: NoticeDelivery, readiness: str, told: tuple | None = None, *,
              pacer_created_unknown: bool = False) -> NoticeEmail:
        """The email for one delivery. Steps: the envelope sender (signed bounce address naming the
        delivery) and Message-ID; the go-live's facts; the court's template rendered for this
        filer (a date-changed notice names the date `told`, what the filer last received, when
        given; a go-live notice says when marking the court live early called off an announced
        filing pause; a legacy account with no creation date on record is not called one for sure);
        prepare, date-changed and filing-pause notices carry the go-live day as an "add to calendar"
        .ics (same UID and SEQUENCE as the public feed: a pause change is a revision of the event,
        whose description gives the pause), and so does the go-live notice of a court marked live
        on another day than the one announced (or while postponed), moving the event to the real day."""
        court, golive = row.court, row.golive
        envelope_sender = verp_address(row.id)  # Django sends `from_email` as the SMTP envelope sender
        headers = {"From": settings.DEFAULT_FROM_EMAIL, "Message-ID": message_id_for(row.id, court.court_id),
                   "Auto-Submitted": "auto-generated"}
        unsubscribe = ""
        if row.kind == NoticeKind.REMINDER:
            unsubscribe = unsubscribe_url(row.filer_id, row.court_id, row.filer.email)
            headers["List-Unsubscribe"] = f"<{unsubscribe}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        facts = self._golive_facts(golive, court)
        calendar_updated = (row.kind == NoticeKind.GOLIVE and bool(golive.go_live_date)
                            and self._marked_live_on_another_day(golive))
        context = notice_context(
            filer_name=row.filer.name, court=court, golive=golive, facts=facts, readiness=readiness,
            change=row.change, told=told, unsubscribe_url=unsubscribe, today=court.local_today(self.now), now=self.now,
            status_url=filer_status_url(row.filer_id, row.filer.email, row.filer.email_changes),
            pause_called_off=self._pause_called_off(golive) if row.kind == NoticeKind.GOLIVE else "",
            pacer_created_unknown=pacer_created_unknown, calendar_updated=calendar_updated)
        subject, text, html = self.templates.for_message(court.id, row.kind, context).render(context)
        message = NoticeEmail(subject, text, envelope_sender, [row.filer.email], headers=headers,
                              connection=self.connection)
        message.attach_alternative(html, "text/html")
        if (row.kind in (NoticeKind.PREPARE, NoticeKind.DATE_CHANGED, NoticeKind.BLACKOUT_CHANGED) or calendar_updated) \
                and golive.go_live_date:
            if golive.pk not in self._calendars:
                self._calendars[golive.pk] = golive_ics(facts, golive.rollout.slug)
            message.attach("go-live.ics", self._calendars[golive.pk], "text/calendar; method=PUBLISH")
        elif row.kind == NoticeKind.DATE_CHANGED and row.change is not None:
            # No date any more: the event the filer's calendar holds (the date they were told) is
            # sent again as cancelled, with the next SEQUENCE, so the calendar drops it; the public
            # feed no longer lists it at all.
            told_date, told_status = told[:2] if told else (row.change.old_date, row.change.old_status)
            if told_date and told_status in FIRM:
                cancelled = dataclasses.replace(facts, status=GoLiveStatus.POSTPONED, was_date=told_date)
                message.attach("go-live.ics", golive_ics(cancelled, golive.rollout.slug),
                               "text/calendar; method=PUBLISH")
        return message
