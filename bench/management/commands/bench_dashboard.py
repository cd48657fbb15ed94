"""Benchmark the dashboard pages server-side at a chosen data size (a benchmark, not a test)."""
from __future__ import annotations

import math
import statistics
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.counts import court_counts_refresh
from accounts.models import CmecfAccount, CourtReadinessCount
from courts.models import Court
from rollout.demo import demo_schedule_golives, demo_seed_filers

# The demo gives a filer 1.35 CM/ECF accounts on average.
ACCOUNTS_PER_FILER = 1.35


class Command(BaseCommand):
    help = (
        "Seed (or reuse) N CM/ECF accounts over all courts, then render the overview, the largest court's "
        "page and a filtered export through Django's test client as a superuser, and print per page the "
        "median and p95 milliseconds, the SQL query count and the rows shown."
    )

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=100_000, help="CM/ECF accounts wanted (default 100,000).")
        parser.add_argument("--runs", type=int, default=20, help="Timed renders per page (default 20).")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, accounts: int, runs: int, seed: int, **options):
        if accounts < 0 or runs < 1:
            raise CommandError("--accounts must be 0 or more and --runs 1 or more.")
        if not Court.objects.exists():
            raise CommandError("No courts yet: run load_court_catalog (or import_pacer_courts) first.")
        self._seed(accounts, seed)
        if "testserver" not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        user = self._superuser()
        client = Client()
        client.force_login(user)
        court = (CourtReadinessCount.objects.order_by("-total").select_related("court").first())
        if court is None:
            raise CommandError("No stored counts: run recount_readiness.")
        code = court.court.court_id.lower()
        pages = [
            ("overview", "/", None),
            ("overview filtered", "/?circuit=09&sort=-pct_linked", None),
            (f"court page ({court.court.court_id}, {court.total:,} accounts)", f"/courts/{code}/", None),
            ("court page, readiness filter", f"/courts/{code}/?readiness=legacy", None),
            ("court page, search", f"/courts/{code}/?q=smith", None),
            ("upcoming go-lives", "/upcoming/", None),
            (f"export CSV ({court.court.court_id}, ready to link)", f"/courts/{code}/accounts.csv?readiness=ready", "csv"),
            (f"export XLSX ({court.court.court_id}, needs upgrade)", f"/courts/{code}/accounts.xlsx?readiness=legacy", "xlsx"),
            ("export CSV (courts, circuit 09)", "/courts.csv?circuit=09", "csv"),
        ]
        self.stdout.write(f"{CmecfAccount.objects.count():,} CM/ECF accounts, {Court.objects.count()} courts, "
                          f"database {connection.vendor}; {runs} runs per page.")
        self.stdout.write(f"{'page':<52} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'rows':>8}")
        medians: dict[str, float] = {}
        for label, url, kind in pages:
            times, queries, rows = [], 0, 0
            client.get(url)  # warm up caches and connections
            for _ in range(runs):
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.get(url)
                    body = b"".join(response.streaming_content) if response.streaming else response.content
                    times.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise CommandError(f"{url} answered {response.status_code}")
                queries = len(captured)
                rows = self._rows(body, kind)
            times.sort()
            p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
            self.stdout.write(f"{label:<52} {statistics.median(times):>10.1f} {p95:>8.1f} {queries:>8} {rows:>8,}")
            medians[url] = statistics.median(times)
        plain = medians[f"/courts/{code}/"]
        for what, url in (("readiness filter", f"/courts/{code}/?readiness=legacy"), ("search", f"/courts/{code}/?q=smith")):
            self.stdout.write(f"court page with a {what}: {medians[url] / plain:.2f}× the unfiltered page (target ≤ 1.5×)")
        if connection.vendor == "postgresql":
            for state, url in (("ready", f"/courts/{code}/accounts.csv?readiness=ready"),
                               ("legacy", f"/courts/{code}/accounts.xlsx?readiness=legacy")):
                copy_ms = self._copy_ms(court.court, state, runs)
                if copy_ms is None:
                    self.stdout.write(f"{url.split('?')[0].rsplit('.', 1)[1].upper()} export ({state}): no account "
                                      f"can be in this state at {court.court.court_id} now, nothing to compare")
                    continue
                self.stdout.write(f"{url.split('?')[0].rsplit('.', 1)[1].upper()} export ({state}) speed vs PostgreSQL's "
                                  f"COPY (SELECT …) TO STDOUT of the same rows ({copy_ms:.1f} ms): "
                                  f"{copy_ms / medians[url]:.2f}× (target ≥ 0.25×)")

    def _copy_ms(self, court, state: str, runs: int) -> float | None:
        """Median ms of COPY (the export's own SELECT) TO STDOUT: the database's speed for the same rows
        (None when no account can be in `state` there, e.g. ready to link at a court not live yet)."""
        from django.core.exceptions import EmptyResultSet

        from accounts.readiness import readiness_q
        from courts.selectors import court_ids_live
        from rollout.dashboard import selectors
        from rollout.dashboard.exports import ACCOUNT_COLUMNS

        live = court.id in court_ids_live()
        queryset = (selectors.court_accounts(court, live=live).filter(readiness_q(state, [court.id] if live else []))
                    .order_by("login").values_list(*ACCOUNT_COLUMNS))
        try:
            sql, params = queryset.query.sql_with_params()
        except EmptyResultSet:
            return None
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            with connection.cursor() as cursor, cursor.cursor.copy(f"COPY ({sql}) TO STDOUT", params) as copy:
                for _block in copy:
                    pass
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)

    def _rows(self, body: bytes, kind: str | None) -> int:
        if kind == "csv":
            return max(body.count(b"\n") - 1, 0)
        if kind == "xlsx":
            import io

            from openpyxl import load_workbook

            sheet = load_workbook(io.BytesIO(body), read_only=True).worksheets[0]
            return max(sum(1 for _ in sheet.iter_rows(values_only=True)) - 1, 0)
        # Rows of the page's main table (the django-tables2 one), header row excluded.
        text = body.decode()
        start = max(text.find('class="table courts"'), text.find('class="table accounts"'))
        if start < 0:
            return text.count("<tr") - text.count("<thead")
        table = text[start:text.find("</table>", start)]
        return table.count("<tr") - 1

    def _superuser(self):
        User = get_user_model()
        user, created = User.objects.get_or_create(username="bench-dashboard", defaults={"is_staff": True, "is_superuser": True})
        if created:
            user.set_unusable_password()
            user.save()
        return user

    def _seed(self, accounts: int, seed: int) -> None:
        """Top up to `accounts` CM/ECF accounts: filers come with 1.35 accounts on average, so seed
        in rounds until there are enough (usually one round and a small second one)."""
        have = CmecfAccount.objects.count()
        if have >= accounts:
            self.stdout.write(f"Reusing {have:,} CM/ECF accounts.")
            return
        today = timezone.localdate()
        if have == 0:
            self.stdout.write(f"Go-lives scheduled for {demo_schedule_golives(today, seed)} courts.")
        while have < accounts:
            filers = max(1, math.ceil((accounts - have) / ACCOUNTS_PER_FILER))
            self.stdout.write(f"Seeding about {accounts - have:,} CM/ECF accounts ({filers:,} filers)…")
            started = time.monotonic()

            def progress(done: int, filers=filers, started=started) -> None:
                rate = done / max(time.monotonic() - started, 1e-6)
                self.stdout.write(f"  {done:,} / {filers:,} filers ({rate:,.0f}/s)")

            demo_seed_filers(filers, seed=seed + have, today=today, progress=progress)
            have = CmecfAccount.objects.count()
        self.stdout.write("Recounting the stored readiness counts…")
        court_counts_refresh()
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            # As after any bulk load: fresh planner statistics and a visibility map for index-only scans.
            self.stdout.write("VACUUM ANALYZE of the loaded tables…")
            with connection.cursor() as cursor:
                for table in ("accounts_paceraccount", "accounts_filer", "accounts_cmecfaccount"):
                    cursor.execute(f"VACUUM ANALYZE {table}")
        self.stdout.write(f"{have:,} CM/ECF accounts.")
