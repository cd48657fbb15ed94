"""Writes about notices that people trigger: send now, resend, unsubscribe, date changes, tests."""
from __future__ import annotations

import datetime as dt
import logging
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import CharField, Expression, F, Q, QuerySet, Value
from django.db.models.functions import Concat
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from accounts.models import AuditEntry, CmecfAccount, Filer
from courts.models import Court, GoLive, GoLiveChange, GoLiveStatus
from courts.selectors import court_ids_for_user, court_ids_live, golive_facts, rollout_current, user_administers
from rollout.notices.dispatch import (
    deliveries_analyze, deliveries_create, deliveries_insert_select, deliveries_publish,
)
from rollout.notices.models import BouncedAddress, DeliveryState, NoticeDelivery, NoticeKind, NoticeUnsubscribe
from rollout.notices.rendering import (
    TemplateSource,
    compile_source,
    default_source,
    facts_carried_left_out,
    notice_context,
)
from rollout.notices.selectors import DATE_STATING_KINDS, date_as_told
from rollout.notices.template_links import (
    BEARER_LINKS, bearer_link_rendered_problems, bearer_link_source_problems,
)

log = logging.getLogger(__name__)


def _on_commit_publish(publish) -> None:
    """Run `publish` once the staff member's change commits. The committed rows are the queue: if
    the broker cannot take the tasks (Redis down), the change stands, the page answers, and beat's
    sweep publishes the rows (unpublished, or published and not taken) once the broker is back."""

    def run() -> None:
        try:
            publish()
        except KombuOperationalError as exc:
            log.warning("notices not published now (broker unreachable: %s); the sweep publishes them", exc)

    transaction.on_commit(run)


def _publish_on_commit(created: int = 0) -> None:
    """After commit: fresh planner statistics when many rows were added, then publish."""

    def publish() -> None:
        deliveries_analyze(created)
        deliveries_publish()

    _on_commit_publish(publish)


def _publish_later_on_commit(created: int) -> None:
    """Publish the send tasks from a worker, not the request: 100,000 rows are 500 send tasks,
    each claimed and stamped in its own transaction, which would hold the admin's page for
    seconds. One message asks a worker to do it; if it were lost, beat's sweep publishes every
    unpublished pending row within NOTICES_SWEEP_INTERVAL_SECONDS anyway."""
    from rollout.notices.tasks import publish

    _on_commit_publish(lambda: publish.delay(created))


@transaction.atomic
def notice_send_now(golive: GoLive, kind: str, user, *, now: dt.datetime | None = None) -> int:
    """An administrator sends a notice of one court now instead of waiting for its day.

    Prepare and go-live use the same keys as the schedule, so a filer who got one now does not get
    it again on the day; a reminder sent now is keyed by the court's date (at most one a day).
    Refuses what would mislead filers: a prepare notice once live, a go-live or reminder before.
    Returns the number of recipients considered.
    """
    now = now or timezone.now()
    if not user_administers(user, golive.court):
        raise PermissionDenied("You do not administer this court.")
    live = golive.is_live(now)
    if kind == NoticeKind.PREPARE:
        if live or not golive.go_live_date:
            raise ValidationError("A prepare notice needs a go-live date still to come.")
        if golive.status != GoLiveStatus.SCHEDULED:
            # It would be skipped at sending, and its key would keep the real one from going later.
            raise ValidationError("A prepare notice announces a scheduled date: this go-live is postponed. "
                                  "Set its date first.")
        notice = "prepare"
    elif kind == NoticeKind.GOLIVE:
        if not live:
            raise ValidationError("The go-live notice tells filers to link now: the court is not live yet.")
        notice = "golive"
    elif kind == NoticeKind.REMINDER:
        if not live:
            raise ValidationError("Reminders go only to filers of a live court.")
        notice = f"reminder_manual_{golive.court.local_today(now).isoformat()}"
    else:
        raise ValidationError(f"Cannot send a {kind!r} notice now.")
    count = deliveries_create(golive, kind, notice, live_court_ids=court_ids_live(now), created_by=user, now=now)
    _publish_on_commit(count)
    return count


@transaction.atomic
def notice_send_reminder_now(cmecf_account_ids, user, *, now: dt.datetime | None = None) -> int:
    """Remind the filers of these CM/ECF accounts now (the admin's action on chosen accounts).

    Only accounts at courts the user administers and that are live; linked accounts and
    unsubscribed filers are left out. Keyed per court date, so at most one manual reminder a day.
    Returns the number of recipients considered.
    """
    now = now or timezone.now()
    allowed = court_ids_for_user(user)
    # A queryset (the admin's "all N matching") stays a subquery: no id list in memory.
    ids = cmecf_account_ids.values("id") if isinstance(cmecf_account_ids, QuerySet) else list(cmecf_account_ids)
    accounts = CmecfAccount.objects.filter(id__in=ids)
    if allowed is not None:
        accounts = accounts.filter(court_id__in=allowed)
    live_ids = court_ids_live(now)
    golives = GoLive.objects.filter(
        rollout=rollout_current(), court_id__in=accounts.filter(court_id__in=live_ids).values("court_id")
    ).select_related("court")
    count = 0
    for golive in golives:  # one per live court of the selection: one INSERT … SELECT each
        notice = f"reminder_manual_{golive.court.local_today(now).isoformat()}"
        count += deliveries_insert_select(
            golive, NoticeKind.REMINDER, notice, live_court_ids=live_ids,
            accounts=accounts.filter(court_id=golive.court_id), created_by=user, now=now,
        )
    if count:
        _publish_later_on_commit(count)
    return count


def _delivery_repr() -> Expression:
    """`str(delivery)` as an expression over the row, for the audit trail written in bulk."""
    return Concat(F("notice"), Value(" to filer "), F("filer_id"), Value(" @ court "), F("court_id"), Value(": "),
                  F("state"), output_field=CharField())


@transaction.atomic
def deliveries_resend(deliveries, user) -> int:
    """Put failed deliveries back to pending and publish them (admin "Resend"). Scoped to the
    user's courts. The row, and so its Message-ID, stays the same; it starts over: no tries
    counted, due now, no last error. Each row's old state and error go into the audit trail.

    `deliveries`: a queryset (the admin's "all N matching"), which stays a subquery, or delivery
    rows or ids. Set-based: the rows are updated and audited together (`audit_update_rows`),
    whatever their number."""
    from accounts.audit import audit_update_rows

    allowed = court_ids_for_user(user)
    chosen = (deliveries.values("id") if isinstance(deliveries, QuerySet)
              else [getattr(d, "pk", d) for d in deliveries])
    target = NoticeDelivery.objects.filter(id__in=chosen, state=DeliveryState.FAILED)
    if allowed is not None:
        target = target.filter(court_id__in=allowed)
    count = audit_update_rows(
        target,
        {"state": DeliveryState.PENDING, "last_error": "", "queued_at": None, "claimed_at": None, "claimed_by": "",
         "attempts": 0, "next_attempt_at": None},
        audited=("state", "last_error"), object_repr=_delivery_repr(), by=user,
    )
    _publish_on_commit()
    return count


@dataclass(frozen=True)
class AddressesCleared:
    cleared: int
    # Not the user's to clear: their filer also files at a court the user does not administer.
    refused: int


@transaction.atomic
def bounced_address_clear(addresses, user, *, now: dt.datetime | None = None) -> AddressesCleared:
    """Mark bounced addresses deliverable again (admin "Mark deliverable again"): no undeliverable
    mark, soft bounces counted from nought, so a mailbox that was full for a day gets notices again
    without the filer changing their address.

    `addresses`: a queryset (stays a subquery) or BouncedAddress rows or ids. A fixed number of
    queries whatever their number:
    1. lock the chosen rows that have a mark or a count to clear;
    2. read the courts of each address's filer (addresses are unique per filer); a court
       administrator clears an address only when every one of those courts is theirs (and there is
       one): the mark stops every court's notices, so it is not one court's to lift for another.
       The others are counted as refused, nothing said of where else the filer files;
    3. audit each cleared address under every court of its filer, as staff edits of a filer are;
       the bounce's time and soft count only under the court whose notice bounced (elsewhere only
       that it was undeliverable), as the bounced addresses' page shows them (`notices.admin`);
    4. clear.
    A notice that bounced is not sent again; notices held for the address go back to the queue at
    the next dispatch (`dispatch.deliveries_requeue_readdressed`), and new ones go as to any address.
    """
    from accounts.audit import audit_value, audit_who

    now = now or timezone.now()
    allowed = court_ids_for_user(user)
    chosen = (addresses.values("id") if isinstance(addresses, QuerySet)
              else [getattr(a, "pk", a) for a in addresses])
    rows = list(BouncedAddress.objects.select_for_update().filter(id__in=chosen)
                .filter(Q(undeliverable_at__isnull=False) | Q(soft_bounces__gt=0)).order_by("id"))
    if not rows:
        return AddressesCleared(0, 0)
    courts: dict[str, set[int]] = {}
    for email, court_id in (CmecfAccount.objects.filter(filer__email__in=[r.email for r in rows]).order_by()
                            .values_list("filer__email", "court_id").distinct()):
        courts.setdefault(email, set()).add(court_id)
    bounced_at_court = dict(NoticeDelivery.objects.filter(id__in=[r.last_delivery_id for r in rows])
                            .values_list("id", "court_id"))
    cleared = [r for r in rows if allowed is None or (courts.get(r.email) and courts[r.email] <= set(allowed))]
    user_id, source = audit_who(user)
    content_type = ContentType.objects.get_for_model(BouncedAddress)
    entries = []
    for row in cleared:
        detail_court = bounced_at_court.get(row.last_delivery_id)
        for court_id in sorted(courts.get(row.email, ())) or [None]:  # no filer: superusers' trail only
            shown = court_id is None or court_id == detail_court
            changes = []
            if row.undeliverable_at is not None:
                changes.append(("undeliverable_at", audit_value(row.undeliverable_at) if shown else "Yes", ""))
            if row.soft_bounces and shown:
                changes.append(("soft_bounces", str(row.soft_bounces), "0"))
            entries += [AuditEntry(at=now, user_id=user_id, source=source, court_id=court_id,
                                   content_type=content_type, object_id=row.pk, object_repr=str(row)[:200],
                                   field=field, old_value=old, new_value=new) for field, old, new in changes]
    AuditEntry.objects.bulk_create(entries, batch_size=2000)
    BouncedAddress.objects.filter(id__in=[r.id for r in cleared]).update(undeliverable_at=None, soft_bounces=0)
    return AddressesCleared(len(cleared), len(rows) - len(cleared))


def filer_unsubscribe(filer_id: int, court_id: int) -> bool:
    """Stop reminders about one court for one filer. Returns True when this call unsubscribed them."""
    if not (Filer.objects.filter(id=filer_id).exists() and Court.objects.filter(id=court_id).exists()):
        return False
    _, created = NoticeUnsubscribe.objects.get_or_create(filer_id=filer_id, court_id=court_id)
    return created


def deliveries_create_for_change(golive: GoLive, change: GoLiveChange) -> int:
    """A go-live date moved (or was postponed), or its filing pause alone changed: tell everyone
    already told the old one (a date-changed or a filing-pause-changed notice).
    A change that leaves the court live is not announced here (the go-live notice does it); a change
    that withdraws "live" also sets the sent go-live notices' key aside, so the real day sends one;
    a postponement sets aside the prepare notices not sent yet, so a date set again sends them.

    Recipients: filers with a notice of this go-live that states its date (prepare, go-live, or a
    reminder: "live since …") sent, being sent or pending. Keyed by
    the change, so each change is announced once per filer. Published after the surrounding
    transaction commits.
    """
    if golive.rollout_id != rollout_current().id:
        return 0
    if not change.blackout_only and date_as_told(change.old_date, change.old_status) == date_as_told(
            change.new_date, change.new_status):
        # Postponed ↔ not scheduled (a postponement's old date dropped, or a date-less go-live
        # postponed): filers told one were told the other; a notice still queued for an earlier
        # change says the same and goes (`sending._skip_reason`).
        return 0
    if date_as_told(change.new_date, change.new_status)[1] == GoLiveStatus.POSTPONED:
        # Postponed (or its date taken away) before the prepare notices still queued went: they
        # announce a date that no longer holds, and their filers, told nothing, are not among those
        # told the postponement. Their key is set aside, so a date set again sends them one when due.
        NoticeDelivery.objects.filter(
            golive=golive, notice="prepare",
            state__in=(DeliveryState.PENDING, DeliveryState.SKIPPED, DeliveryState.FAILED),
        ).update(notice=f"prepare_postponed_{change.id}", state=DeliveryState.SKIPPED,
                 skip_reason="The go-live was postponed before this notice went.")
    if change.old_status == GoLiveStatus.LIVE and change.new_status != GoLiveStatus.LIVE:
        # "Live" withdrawn (marked live by mistake): the go-live notices already sent announced a day
        # that no longer holds. Their key is set aside, so the real go-live day sends one again.
        NoticeDelivery.objects.filter(golive=golive, notice="golive").update(notice=f"golive_withdrawn_{change.id}")
    # The pause moved, and one of its two windows is not over yet (else filing is open either way).
    pause_moved = (change.old_blackout_start, change.old_blackout_end) != (
        change.new_blackout_start, change.new_blackout_end) and any(
        end is not None and end > change.changed_at for end in (change.old_blackout_end, change.new_blackout_end))
    if change.new_status == GoLiveStatus.LIVE and not change.blackout_only and not (
            change.old_status == GoLiveStatus.LIVE and pause_moved):
        # Marked live early, or a live date corrected: the go-live notice (due from the go-live day)
        # tells filers to link now; a "new date" notice telling them to wait would be wrong. (A live
        # date corrected with the pause moving along is announced as the pause's change, below.)
        return 0
    kind = (NoticeKind.BLACKOUT_CHANGED if change.blackout_only or change.new_status == GoLiveStatus.LIVE
            else NoticeKind.DATE_CHANGED)
    # Told: every notice of this go-live stating its date that went, or is going (a chunk claimed
    # before the change is built from the facts read at its claim), or may go before this change
    # commits (a pending one claimed meanwhile is built from the facts before it), the go-live
    # notices set aside just above included: their filers were told the court is live. So were those
    # who got only reminders (added to the roster after the go-live notice's catch-up). At sending,
    # a change notice waits for those earlier ones and is skipped where one already told its outcome
    # (`deliveries_dates_told`).
    told = (
        NoticeDelivery.objects.filter(
            golive=golive, kind__in=DATE_STATING_KINDS,
            state__in=(DeliveryState.SENT, DeliveryState.SENDING, DeliveryState.PENDING),
        )
        .order_by()
        .values_list("filer_id", flat=True)
        .distinct()
    )
    notice = f"{kind}_{change.id}"
    rows, count = [], 0
    for filer_id in told.iterator(chunk_size=2000):
        rows.append(NoticeDelivery(filer_id=filer_id, court_id=golive.court_id, golive=golive,
                                   kind=kind, notice=notice, change=change))
        if len(rows) >= 2000:
            NoticeDelivery.objects.bulk_create(rows, ignore_conflicts=True)
            count, rows = count + len(rows), []
    NoticeDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    count += len(rows)
    if count:
        _publish_on_commit(count)
    return count


# --- Templates in the admin ------------------------------------------------------------------------

SAMPLE_FILER = "Jane Q. <Sample> Lawyer"


def _sample_court() -> Court:
    """A court with every fact a notice can print, for checking a default template (no court)."""
    return Court(court_id="SMPLDC", name="U.S. District Court for the District of Sample", time_zone="America/Denver",
                 login_url="https://ecf.smpl.uscourts.gov/", help_desk_phones=["(406) 555-0100"])


def _sample_golive(court: Court, kind: str, now: dt.datetime) -> GoLive:
    """A go-live as a court plans one: the Monday four weeks or more ahead (or, for the go-live and
    reminder notices, the Monday two weeks ago), filing paused from 17:00 the Friday before to 08:00
    on the day, in the court's zone."""
    today = court.local_today(now)
    if kind in (NoticeKind.GOLIVE, NoticeKind.REMINDER):
        day = today - dt.timedelta(days=today.weekday() + 14)
        status = GoLiveStatus.LIVE
    else:
        day = today + dt.timedelta(days=28 + (7 - today.weekday()) % 7)
        status = GoLiveStatus.SCHEDULED
    friday = court.local_midnight(day - dt.timedelta(days=3))
    return GoLive(
        court=court, go_live_date=day, status=status, live_at=court.local_midnight(day),
        blackout_start=dt.datetime.combine(friday.date(), dt.time(17), tzinfo=court.tzinfo),
        blackout_end=dt.datetime.combine(day, dt.time(8), tzinfo=court.tzinfo),
        emergency_filing_instructions="Email emergency filings to intake@smpl.uscourts.gov.",
    )


def _sample_context(court: Court | None, kind: str, readiness: str, now: dt.datetime | None) -> dict:
    """The context of a sample message to a filer of `court`: a sample name; the court's real go-live
    when it has a date that fits the notice, else a realistic sample one (a date and a blackout)."""
    from rollout.notices.tokens import unsubscribe_url

    now = now or timezone.now()
    court = court or _sample_court()
    golive = GoLive.objects.filter(court=court, rollout=rollout_current()).first() if court.pk else None
    wanted = (GoLiveStatus.LIVE,) if kind in (NoticeKind.GOLIVE, NoticeKind.REMINDER) else (GoLiveStatus.SCHEDULED,)
    if golive is None or not golive.go_live_date or golive_facts(golive, now=now, sequence=0).status not in wanted:
        golive = _sample_golive(court, kind, now)
    golive.court = court
    if kind == "digest":
        return _sample_digest_context(court, golive)
    change = None
    if kind == NoticeKind.DATE_CHANGED:
        change = GoLiveChange(old_date=golive.go_live_date - dt.timedelta(days=14), new_date=golive.go_live_date,
                              old_status=GoLiveStatus.SCHEDULED, new_status=GoLiveStatus.SCHEDULED)
    if kind == NoticeKind.BLACKOUT_CHANGED:
        earlier = dt.timedelta(days=1)
        change = GoLiveChange(old_date=golive.go_live_date, new_date=golive.go_live_date,
                              old_status=GoLiveStatus.SCHEDULED, new_status=GoLiveStatus.SCHEDULED,
                              old_blackout_start=golive.blackout_start and golive.blackout_start + earlier,
                              old_blackout_end=golive.blackout_end)
    return notice_context(
        filer_name=SAMPLE_FILER, court=court, golive=golive, readiness=readiness, change=change,
        unsubscribe_url=unsubscribe_url(0, court.pk or 0, "") if kind == NoticeKind.REMINDER else "",
        today=court.local_today(now), status_url=f"{settings.SITE_URL}/me/sample-personal-link/", now=now,
    )


def notice_template_render_sample(
    court: Court | None, kind: str, source: TemplateSource, *, readiness: str = "ready", now: dt.datetime | None = None
) -> tuple[str, str, str]:
    """Render `source` itself for a sample filer of `court` (`_sample_context`): what checking a
    template before it is saved needs, whatever a real send would choose."""
    return compile_source(source).render(_sample_context(court, kind, readiness, now))


@dataclass(frozen=True)
class SampleNotice:
    subject: str
    text: str
    html: str
    # The TOLD_FACTS the sample carries that the template leaves out: the message above is then the
    # shipped wording, as filers get it.
    shipped_for: tuple[str, ...] = ()


def notice_template_sample(
    court: Court | None, kind: str, source: TemplateSource, *, readiness: str = "ready", now: dt.datetime | None = None
) -> SampleNotice:
    """The sample message as a filer of `court` would get it with `source` as the court's template.

    1. Build the sample context (`_sample_context`).
    2. If it carries a fact the template leaves out (`facts_carried_left_out`), render the shipped
       files instead, as a real send does (`TemplateCache.for_message`), and name those facts.
    3. Otherwise render the template itself.
    """
    context = _sample_context(court, kind, readiness, now)
    template = compile_source(source)
    left_out = facts_carried_left_out(kind, template, context)
    if left_out:
        template = compile_source(default_source(kind))
    return SampleNotice(*template.render(context), shipped_for=tuple(left_out))


def _sample_digest_context(court: Court, golive: GoLive) -> dict:
    """The digest as an administrator of `court` would get it (sample counts, the court's go-live)."""
    from django.urls import reverse

    from courts.formatting import format_day
    from rollout.notices.digest import digest_days

    facts = golive_facts(golive, court=court, sequence=0)
    row = {"court_name": court.name, "court_code": court.court_id,
           "court_url": f"{settings.SITE_URL}{reverse('dashboard:court', args=[court.court_id.lower()])}",
           "status": facts.status_text, "go_live_date": facts.date_text, "go_live_day": facts.go_live_date,
           "scheduled": True, "linked_now": 120, "linked_delta_text": "+14", "total": 400, "needs_action": 35,
           "help_open": 2, "help_oldest_days": 3}
    # The sample is read by the user previewing it: their own zone, as the middleware activated it.
    start, period = digest_days(timezone.now(), timezone.get_current_timezone_name())
    return {"name": "Pat Sample", "period": period, "week": format_day(start),
            "since": format_day(start),
            "rows": [row], "upcoming": [row]}


def notice_template_check(court: Court | None, kind: str, source: TemplateSource) -> list[str]:
    """Problems that stop a template being saved ([] = fine): it must compile, print the filer's
    personal links only whole and on their own (`template_links`), and render within the sandbox's
    limits for every readiness state, with sample data."""
    from accounts.readiness import Readiness
    from django.template import TemplateSyntaxError

    from rollout.notices.rendering import TemplateLimitError

    try:
        compile_source(source)
    except TemplateSyntaxError as exc:
        return [f"Template error: {exc}"]
    problems = [problem for part, text in (("Subject", source.subject), ("Text body", source.text_body),
                                           ("HTML body", source.html_body))
                for problem in bearer_link_source_problems(part, text)]
    if problems:
        return problems
    for readiness in Readiness.values:
        context = _sample_context(court, kind, readiness, None)
        try:
            rendered = compile_source(source).render(context)
        except (TemplateLimitError, Exception) as exc:  # anything it raises would fail real messages
            problems.append(f"Does not render for a filer in state {readiness!r}: {exc}")
            continue
        links = {name: context.get(name, "") for name in BEARER_LINKS}
        problems.extend(p for p in bearer_link_rendered_problems(*rendered, links) if p not in problems)
    return problems


def notice_template_send_test(court: Court, kind: str, source: TemplateSource, user, *, readiness: str = "ready") -> str:
    """Send the sample message, as a filer would get it (`notice_template_sample`), to the
    administrator's own address ("send a test to me")."""
    if not user_administers(user, court):
        raise PermissionDenied("You do not administer this court.")
    if not user.email:
        raise ValidationError("Your user has no email address; add one to receive the test.")
    sample = notice_template_sample(court, kind, source, readiness=readiness)
    message = EmailMultiAlternatives(f"[TEST] {sample.subject}", sample.text, settings.DEFAULT_FROM_EMAIL, [user.email])
    message.attach_alternative(sample.html, "text/html")
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as exc:  # refused or unreachable: said on the page, not a 500
        raise ValidationError(f"The mail server did not accept the test for {user.email}: {smtp_error_text(exc)}") from None
    return user.email


def smtp_error_text(exc: BaseException) -> str:
    """A mail server's refusal in words: its code and reply, or the connection error."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = [f"{code} {reply.decode(errors='replace') if isinstance(reply, bytes) else reply}"
                   for code, reply in exc.recipients.values()]
        return "; ".join(replies) or str(exc)
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        return f"{exc.smtp_code} {error}"
    return str(exc) or exc.__class__.__name__
