"""Benchmark the CM/ECF accounts admin's bulk actions on "select all N matching" (a benchmark, not a test).

Each action is posted to the real admin change list with Django's test client as a superuser, with
`select_across=1` and the court filter, exactly as a person choosing "Select all N" would; so the
timing covers the admin's queryset (readiness annotation included), the service, the audit trail
and the after-commit recount of the stored counts.
"""
from __future__ import annotations

import datetime as dt
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.counts import court_counts_refresh
from accounts.models import AuditEntry, CmecfAccount, Filer, PacerAccount, PacerAccountType, normalize_name
from courts.models import Court, GoLive, GoLiveStatus
from courts.selectors import rollout_current

CHUNK = 5000
BENCH_USER = "bench-admin-actions"


class Command(BaseCommand):
    help = (
        "Make sure N CM/ECF accounts exist at one court (seeding bench filers in bulk when short), then run "
        "each bulk admin action on all of them through the admin change list (select_across=1) and print "
        "rows changed, seconds and SQL queries per action."
    )

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=100_000, help="CM/ECF accounts at the court (default 100,000).")
        parser.add_argument("--court", default="MTDC", help="Court id the accounts are at (default MTDC; made live).")
        parser.add_argument("--runs", type=int, default=1, help="Rounds of every action (default 1).")
        parser.add_argument("--slowest", type=int, default=0, help="Also print the N slowest SQL statements per action.")

    def handle(self, *args, accounts: int, court: str, runs: int, slowest: int, **options):
        if accounts < 1 or runs < 1:
            raise CommandError("--accounts and --runs must be 1 or more.")
        court_obj = Court.objects.filter(court_id__iexact=court).first()
        if court_obj is None:
            raise CommandError(f"No court {court!r}: run load_court_catalog first.")
        self._make_live(court_obj)
        self._seed(court_obj, accounts)
        if "testserver" not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        user = self._superuser()
        client = Client()
        client.force_login(user)
        url = f"{reverse('admin:accounts_cmecfaccount_changelist')}?court={court_obj.pk}"
        linked_at = timezone.localtime() - dt.timedelta(days=1)
        actions = [
            ("flag name mismatch", {"action": "flag_name_mismatch"}),
            ("clear the flag", {"action": "clear_name_flag"}),
            ("send a reminder now", {"action": "send_reminder_now"}),
            ("export CSV", {"action": "export_csv"}),
            ("mark linked", {"action": "mark_linked", "apply": "1", "linked_at_0": linked_at.strftime("%Y-%m-%d"),
                             "linked_at_1": "10:00"}),
        ]
        total = CmecfAccount.objects.filter(court=court_obj).count()
        # The admin wants at least one ticked row; with select_across it then acts on all matching.
        one = [str(CmecfAccount.objects.filter(court=court_obj).values_list("pk", flat=True).first())]
        self.stdout.write(f"{total:,} CM/ECF accounts at {court_obj.court_id}; database {connection.vendor}; {runs} run(s).")
        for run in range(1, runs + 1):
            self._reset(court_obj, user)
            self.stdout.write(f"run {run}: {'action':<22} {'changed':>9} {'seconds':>8} {'queries':>8}  message")
            for label, data in actions:
                reset_queries()
                client.cookies.pop("messages", None)  # only this action's message
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.post(url, {"select_across": "1", "index": "0", "_selected_action": one, **data})
                    body = b"".join(response.streaming_content) if getattr(response, "streaming", False) else b""
                    seconds = time.perf_counter() - started
                if response.status_code not in (200, 302):
                    raise CommandError(f"{label}: the admin answered {response.status_code}")
                message = " ".join(str(m) for m in get_messages(response.wsgi_request))
                changed = self._changed(message, body)
                self.stdout.write(f"       {label:<22} {changed:>9,} {seconds:>8.2f} {len(captured):>8}  {message[:90]}")
                if slowest:
                    for q in sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:slowest]:
                        self.stdout.write(f"           {float(q['time']):>7.3f}s  {q['sql'][:150]}")
        self._reset(court_obj, user)

    @staticmethod
    def _changed(message: str, body: bytes) -> int:
        if body:
            return max(body.count(b"\n") - 1, 0)
        # "Flagged: 99,000 accounts. Skipped …" / "Queued 98,000 reminders."
        for word in message.replace(",", "").split():
            if word.isdigit():
                return int(word)
        return 0

    def _make_live(self, court: Court) -> None:
        golive, _ = GoLive.objects.get_or_create(court=court, rollout=rollout_current())
        if golive.status != GoLiveStatus.LIVE or not golive.go_live_date:
            golive.status = GoLiveStatus.LIVE
            golive.go_live_date = golive.go_live_date or dt.date(2021, 1, 4)
            golive.live_at = golive.compute_live_at()
            golive.save()

    def _superuser(self):
        User = get_user_model()
        user, created = User.objects.get_or_create(username=BENCH_USER, defaults={"is_staff": True, "is_superuser": True})
        if created:
            user.set_unusable_password()
            user.save()
        return user

    def _reset(self, court: Court, user) -> None:
        """Untimed: every bench account unlinked and unflagged again, the bench's own trail and
        reminders removed, so each run does the same work."""
        from rollout.notices.models import NoticeDelivery

        with transaction.atomic():
            CmecfAccount.objects.filter(court=court).exclude(linked_at=None, name_review="").update(linked_at=None, name_review="")
            AuditEntry.objects.filter(user=user).delete()
            NoticeDelivery.objects.filter(created_by=user).delete()
        court_counts_refresh([court.pk])
        self._vacuum()

    def _vacuum(self) -> None:
        # Autovacuum may be off (it is on the shared bench machine): give every run the same start.
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            from rollout.notices.models import NoticeDelivery

            with connection.cursor() as cursor:
                for model in (CmecfAccount, AuditEntry, NoticeDelivery, Filer, PacerAccount):
                    cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")

    def _seed(self, court: Court, wanted: int) -> None:
        """Top the court up to `wanted` accounts: one filer, PACER account and CM/ECF login each, in
        bulk. About 90% can link; the rest are spread over legacy, shared and name-mismatch states so
        the actions also count skipped rows."""
        have = CmecfAccount.objects.filter(court=court).count()
        if have >= wanted:
            self.stdout.write(f"Reusing {have:,} accounts at {court.court_id}.")
            return
        firm, _ = PacerAccount.objects.get_or_create(
            username="bench_firm", defaults={"account_type": PacerAccountType.SHARED, "holder_name": "Bench & Co LLP"}
        )
        start = Filer.objects.filter(email__startswith="bench.").count()
        prefix = court.court_id.lower()
        self.stdout.write(f"Seeding {wanted - have:,} accounts at {court.court_id}…")
        started = time.monotonic()
        for chunk_start in range(start, start + wanted - have, CHUNK):
            numbers = range(chunk_start, min(chunk_start + CHUNK, start + wanted - have))
            with transaction.atomic():
                pacers = {}
                for i in numbers:
                    if i % 50 == 7:
                        pacers[i] = firm
                    elif i % 50 != 13:  # 13: no PACER account at all
                        name = f"Bench Filer {i}"
                        pacers[i] = PacerAccount(
                            username=f"benchp{i}", holder_name=name, name_key=normalize_name(name),
                            created_on=dt.date(2010, 5, 1) if i % 25 == 3 else dt.date(2016, 3, 1),
                        )
                PacerAccount.objects.bulk_create([p for p in pacers.values() if p.pk is None], batch_size=CHUNK)
                filers = Filer.objects.bulk_create(
                    [Filer(name=f"Bench Filer {i}", email=f"bench.{i}@example.com", pacer_account=pacers.get(i)) for i in numbers],
                    batch_size=CHUNK,
                )
                CmecfAccount.objects.bulk_create(
                    [
                        CmecfAccount(
                            filer=f, court=court, login=f"bench{prefix}{i}",
                            cmecf_name=f.name if i % 40 != 11 else f"Bench Other {i}",
                            name_key=normalize_name(f.name if i % 40 != 11 else f"Bench Other {i}"),
                        )
                        for i, f in zip(numbers, filers)
                    ],
                    batch_size=CHUNK,
                )
            reset_queries()
        self.stdout.write(f"  seeded in {time.monotonic() - started:.0f} s")
        court_counts_refresh([court.pk])
        self._vacuum()
