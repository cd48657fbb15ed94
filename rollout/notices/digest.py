"""The weekly progress email to each court administrator: linked now vs a week ago, upcoming go-lives."""
from __future__ import annotations

import datetime as dt
import logging
import smtplib
from zoneinfo import ZoneInfo

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import Case, Count, Min, TextField, Value, When
from django.db.models.functions import Concat
from django.utils import timezone

from accounts.counts import stored_readiness_counts
from accounts.models import CmecfAccount, HelpRequest, HelpStatus
from accounts.selectors import court_assignments_current, user_time_zone
from accounts.readiness import NEEDS_ACTION, Readiness
from django.urls import reverse

from courts.formatting import format_day
from courts.models import Court, GoLiveStatus
from courts.selectors import court_ids_live, golives_facts, golive_facts, rollout_current
from rollout.notices.models import AdminDigest, DeliveryState
from rollout.notices.rendering import TemplateCache
from rollout.notices.messages import message_id_domain
from rollout.notices.sending import smtp_error_is_transient

log = logging.getLogger(__name__)


def digest_week(now: dt.datetime) -> dt.date | None:
    """Monday of the current week when this week's digest is due at `now` (settings.TIME_ZONE), else None."""
    local = now.astimezone(ZoneInfo(settings.TIME_ZONE))
    monday = local.date() - dt.timedelta(days=local.weekday())
    if (local.weekday(), local.hour) < (settings.NOTICES_DIGEST_WEEKDAY, settings.NOTICES_DIGEST_HOUR):
        return None
    return monday


def digest_period(start: dt.date, end: dt.date, zone: str) -> str:
    """ "November 27 to December 4, 2026 (America/Denver)": the year once when both days share it,
    and the zone the days are counted in, as the administrator may read it elsewhere."""
    first = f"{start:%B} {start.day}" + ("" if start.year == end.year else f", {start.year}")
    return f"{first} to {end:%B} {end.day}, {end.year} ({zone})"


def digest_days(now: dt.datetime, zone: str) -> tuple[dt.date, str]:
    """The first day of the seven days up to `now` and the period's words, both in `zone`: the user's
    own time zone (their preferences) or the site's, since the digest spans courts in several."""
    local_now = now.astimezone(ZoneInfo(zone))
    start = (local_now - dt.timedelta(days=7)).date()
    return start, digest_period(start, local_now.date(), zone)


def digest_rows(court_ids: list[int], now: dt.datetime) -> dict[int, dict]:
    """Per court: counts now (stored, 2 queries), linked a week ago (1 grouped query), go-live (1), and
    the court's own date at `now`."""
    since = now - dt.timedelta(days=7)
    live = court_ids_live(now)
    counts = stored_readiness_counts(court_ids, now=now, live_court_ids=live)
    week_ago = dict(
        CmecfAccount.objects.filter(court_id__in=court_ids, linked_at__lte=since)
        .order_by().values("court_id").annotate(n=Count("id")).values_list("court_id", "n")
    )
    rollout = rollout_current()
    facts = golives_facts(rollout, court_ids=court_ids, now=now)
    courts = {c.pk: c for c in Court.objects.filter(pk__in=court_ids)} if len(facts) < len(court_ids) else {}
    # Filers' unresolved help requests per court, and the oldest (1 grouped query).
    help_open = {
        row["court_id"]: row for row in HelpRequest.objects.filter(court_id__in=court_ids)
        .exclude(status=HelpStatus.RESOLVED).order_by().values("court_id")
        .annotate(n=Count("id"), oldest=Min("created_at"))
    }
    rows = {}
    for court_id in court_ids:
        c = counts.get(court_id, {})
        f = facts.get(court_id) or golive_facts(None, court=courts[court_id], rollout_name=rollout.name)
        linked_now = c.get(Readiness.LINKED, 0)
        delta = linked_now - week_ago.get(court_id, 0)
        rows[court_id] = {
            "court_name": f.court.name,
            "court_code": f.court.court_id,
            "court_url": f"{settings.SITE_URL}{reverse('dashboard:court', args=[f.court.court_id.lower()])}",
            "status": f.status_text,
            "go_live_date": f.date_text,
            "go_live_day": f.go_live_date,
            "court_today": f.court.local_today(now),  # "the next 30 days" count from the court's own date
            "scheduled": f.status == GoLiveStatus.SCHEDULED,
            "linked_now": linked_now,
            "linked_delta_text": f"+{delta}" if delta >= 0 else str(delta),
            "total": sum(c.values()),
            "needs_action": sum(c.get(state, 0) for state in NEEDS_ACTION),
            "help_open": help_open.get(court_id, {}).get("n", 0),
            "help_oldest_days": (now - help_open[court_id]["oldest"]).days if court_id in help_open else None,
        }
    return rows


# The weekly digest task's time limit (rollout.notices.tasks): past it, its process is gone. A row
# "sending" for longer was left by a sender that died; before that it may still be on the wire (a
# slow server), and taking it back would send it twice.
DIGEST_TIME_LIMIT_SECONDS = 900
DIGEST_TAKE_BACK_SECONDS = DIGEST_TIME_LIMIT_SECONDS + 60


def digests_send_due(now: dt.datetime | None = None) -> int:
    """Send this week's digest to every court administrator who has not had it. Returns sent count.

    Steps:
    1. Take back this week's rows a sender left `sending` longer than DIGEST_TAKE_BACK_SECONDS
       (its process died between the claim and the "sent" mark): pending again, flagged
       `possible_duplicate` (the server may have accepted it), so the digest is not lost. An earlier
       week's such row fails, flagged, with the reason: sent now, it would be this week's digest. So
       does an earlier week's row still `pending` (an outage kept it so all week), flagged only if
       it was offered before, its last try's error kept after the reason.
    2. Each (user, week) is one AdminDigest row claimed with a conditional UPDATE before sending, so
       a second beat run or a second worker sends nothing more.
    3. Send on an open connection; when none can be opened, stop: the rest wait, unclaimed, for
       the next hourly run. A refusal the server answered leaves the row pending as it was,
       except a permanent one (5xx) of the address or the message, which would be answered at every
       hourly run of the week: that row fails, with the reply; a connection cut once the message was
       offered (no reply, a timeout) leaves it pending flagged `possible_duplicate`, as the server may
       have taken it. The task's soft time limit puts the row being sent back so too, and stops the run.
    """
    now = now or timezone.now()
    week = digest_week(now)
    if week is None:
        return 0
    stale = now - dt.timedelta(seconds=DIGEST_TAKE_BACK_SECONDS)
    taken_back = AdminDigest.objects.filter(week=week, state=DeliveryState.SENDING, claimed_at__lt=stale).update(
        state=DeliveryState.PENDING, possible_duplicate=True,
        last_error="Taken back from a sender that stopped while sending it.")
    if taken_back:
        log.warning("weekly digest: %d taken back from a sender that stopped; possible duplicates", taken_back)
    # An earlier week's row left so (its sender died with no hourly run of that week after it): sent
    # now, it would report the seven days up to now, as this week's digest does, under last week's
    # name; a second copy of this week's, not the one missed. It fails, saying why, for staff to see.
    abandoned = AdminDigest.objects.filter(week__lt=week, state=DeliveryState.SENDING, claimed_at__lt=stale).update(
        state=DeliveryState.FAILED, possible_duplicate=True,
        last_error="Its sender stopped while sending it (the server may have accepted it), and its week was "
                   "over before it could be sent again: each digest reports the seven days up to its sending, "
                   "so this week's digest covers those days.")
    if abandoned:
        log.warning("weekly digest: %d of an earlier week left sending by a sender that stopped; marked failed "
                    "(possible duplicates)", abandoned)
    # An earlier week's row still pending (the relay down, or refusing with 4xx, at every hourly run
    # of its week): nothing claims it again, for the same reason. It fails, saying why, with its last
    # try's error; `possible_duplicate` stays as its tries left it (set only if one was offered).
    over = "Its week was over before it could be sent; this week's digest covers those days."
    expired = AdminDigest.objects.filter(week__lt=week, state=DeliveryState.PENDING).update(
        state=DeliveryState.FAILED,
        last_error=Case(When(last_error="", then=Value(over)),
                        default=Concat(Value(f"{over} Its last try: "), "last_error"), output_field=TextField()))
    if expired:
        log.warning("weekly digest: %d of an earlier week still pending when the week was over; marked failed", expired)
    assignments = list(
        court_assignments_current().exclude(user__email="")
        .select_related("user__preference").order_by("user_id", "court__name")
    )
    by_user: dict[int, tuple] = {}
    for a in assignments:
        by_user.setdefault(a.user_id, (a.user, []))[1].append(a.court_id)
    if not by_user:
        return 0
    AdminDigest.objects.bulk_create([AdminDigest(user_id=u, week=week) for u in by_user], ignore_conflicts=True)
    rows = digest_rows(sorted({c for _, courts in by_user.values() for c in courts}), now)
    template = TemplateCache().get(None, "digest", court_ids=set())
    sent = 0
    connection = get_connection()
    try:
        for user_id, (user, court_ids) in by_user.items():
            claimed = AdminDigest.objects.filter(user_id=user_id, week=week, state=DeliveryState.PENDING).update(
                state=DeliveryState.SENDING, claimed_at=timezone.now()
            )
            if not claimed:
                continue
            court_rows = [rows[c] for c in court_ids]
            upcoming = [r for r in court_rows if r["scheduled"] and r["go_live_day"]
                        and r["court_today"] <= r["go_live_day"] <= r["court_today"] + dt.timedelta(days=30)]
            # The one period the digest reports on, in subject and body: the seven days up to now.
            start, period = digest_days(now, user_time_zone(user))
            subject, text, html = template.render({
                "name": user.get_full_name(), "period": period, "week": format_day(start), "since": format_day(start),
                "rows": court_rows, "upcoming": upcoming,
            })
            message_id = f"<digest-{user_id}-{week.isoformat()}@{message_id_domain()}>"
            message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [user.email],
                                             headers={"Message-ID": message_id}, connection=connection)
            message.attach_alternative(html, "text/html")
            offered = False
            try:
                connection.open()  # a server that cannot be reached was offered nothing
                offered = True
                message.send()
            except Exception as exc:
                # Back to pending: the next hourly run tries again this week (a permanent refusal fails).
                answered = isinstance(exc, (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused))
                # Only a refusal of this address or message: a 5xx at connect or MAIL FROM (the relay's
                # configuration) would fail every administrator's digest, and is retried.
                refused = (isinstance(exc, (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError))
                           and not smtp_error_is_transient(exc))
                AdminDigest.objects.filter(user_id=user_id, week=week).update(
                    state=DeliveryState.FAILED if refused else DeliveryState.PENDING,
                    last_error=f"{type(exc).__name__}: {exc}"[:2000],
                    **({"possible_duplicate": True} if offered and not answered else {}))
                log.warning("weekly digest to %s failed: %s", user.email, exc)
                if isinstance(exc, SoftTimeLimitExceeded):
                    # The task's time is up: its row is back as the rules above say; the rest wait,
                    # unclaimed, for the next hourly run, instead of this run going on to the hard kill.
                    raise
                connection.close()  # a new connection for the next one
                if not offered:
                    # The server cannot be reached (or refused the connection): each further digest
                    # would wait out the same timeout. They stay pending, unclaimed, for the next run.
                    break
                continue
            AdminDigest.objects.filter(user_id=user_id, week=week).update(
                state=DeliveryState.SENT, sent_at=timezone.now(), message_id=message_id, last_error="")
            sent += 1
    finally:
        connection.close()
    return sent
