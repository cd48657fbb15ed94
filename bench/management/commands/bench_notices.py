"""Benchmark: a go-live notice to N recipients through the real Celery path, against a bare smtplib loop.

Steps: start a counting SMTP sink on loopback in its own process; create N filers at one bench court
(bulk, chunked) and a go-live that started today; run the dispatch (rows + broker messages); start a
real Celery worker (celery.contrib.testing, in this process, concurrency = SMTP connections, default
1) and time until every row is final. Right before starting the worker and again after it, send the
same pre-rendered messages with a bare smtplib loop over one connection to the same sink; the ratio
uses the mean of the two bare rates (both printed). Prints messages/second for both, their ratio, broker messages published, and peak
memory (ru_maxrss of this process, which runs the worker too). The bench data is deleted at the end.
"""
from __future__ import annotations

import datetime as dt
import multiprocessing
import resource
import smtplib
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

BENCH_COURT = "BENCHDC"
BENCH_DOMAIN = "bench.invalid"


def _sink_process(port_value, counter, ready, stop) -> None:
    """A counting SMTP server: accepts everything, keeps nothing but the count."""
    import asyncio  # noqa: F401  (aiosmtpd needs an event loop in this process)
    import socket

    from aiosmtpd.controller import Controller

    class Counting:
        async def handle_DATA(self, server, session, envelope):
            with counter.get_lock():
                counter.value += 1
            return "250 2.0.0 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Counting(), hostname="127.0.0.1", port=port)
    controller.start()
    port_value.value = port
    ready.set()
    stop.wait()
    controller.stop()


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far, from /proc (Linux)."""
    import os

    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _tree_cpu(pid: int) -> float:
    """CPU seconds used so far by a process and every process below it (a prefork worker's pool
    processes), from /proc (Linux). A pool process that already exited is not counted."""
    import os

    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parent = int(open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()[1])
            except OSError:  # gone meanwhile
                continue
            children.setdefault(parent, []).append(int(entry))
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            total += _process_cpu(current)
        except OSError:
            continue
        todo.extend(children.get(current, []))
    return total


def _named_cpu(name: str) -> float:
    """CPU seconds used so far by every local process called `name` (PostgreSQL's backends, Redis),
    with the CPU of their children that already exited: a Celery task closes its database
    connection, so the backend that served a chunk is gone (reaped by the postmaster) by the end.
    0 when the server runs elsewhere."""
    import os

    total = 0.0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if open(f"/proc/{entry}/comm").read().strip() == name:
                    fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
                    total += sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
            except OSError:
                continue
    return total


def procfile_worker_command() -> list[str]:
    """The Procfile's `worker:` command line as the shell would run it: `${VAR:-default}` expanded
    from the environment, leading VAR=value assignments dropped (the bench sets the environment)."""
    import os
    import re
    import shlex

    line = next(line for line in (settings.BASE_DIR / "Procfile").read_text().splitlines()
                if line.startswith("worker:"))
    expanded = re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: os.environ.get(m[1]) or m[2], line.split(":", 1)[1])
    words = shlex.split(expanded)
    while words and re.fullmatch(r"\w+=.*", words[0]):
        words.pop(0)
    return words


def concurrency_of(command: list[str]) -> int:
    for i, word in enumerate(command):
        if word.startswith("--concurrency="):
            return int(word.split("=", 1)[1])
        if word in ("--concurrency", "-c"):
            return int(command[i + 1])
    return 1


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class Command(BaseCommand):
    help = "Benchmark sending a go-live notice to N recipients through Celery against a bare smtplib loop."

    def add_arguments(self, parser):
        parser.add_argument("--recipients", type=int, default=10_000, help="How many filers get the notice (default 10,000).")
        parser.add_argument("--bare-count", type=int, default=20_000,
                            help="Messages the bare smtplib loop sends (default 20,000, at most --recipients).")
        parser.add_argument("--concurrency", type=int, default=1,
                            help="Worker concurrency = SMTP connections at once (default 1, like the bare loop).")
        parser.add_argument("--workers", type=int, default=1,
                            help="Run the campaign with N separate worker processes started with the Procfile's "
                                 "`worker:` command line (its defaults, WORKER_CONCURRENCY from the environment) on "
                                 "the configured broker and database, as deployed (default 1); 0 = one worker "
                                 "inside this process with --concurrency.")

    def handle(self, *args, recipients: int, bare_count: int, concurrency: int, workers: int = 1, **options):
        if recipients < 1:
            raise CommandError("--recipients must be at least 1.")
        if concurrency < 1:
            raise CommandError("--concurrency must be at least 1.")

        self.stdout.write(f"Broker: {settings.CELERY_BROKER_URL.split('@')[-1]}  database: {settings.DATABASES['default']['ENGINE']}")
        self.stdout.write(f"Memory at start: {_maxrss_mb():.0f} MB")
        self._cleanup()

        ctx = multiprocessing.get_context("spawn")
        port, counter, ready, stop = ctx.Value("i", 0), ctx.Value("q", 0), ctx.Event(), ctx.Event()
        sink = ctx.Process(target=_sink_process, args=(port, counter, ready, stop), daemon=True)
        sink.start()
        if not ready.wait(30):
            raise CommandError("The SMTP sink did not start.")
        self._use_sink(port.value)
        self.stdout.write(f"SMTP sink on 127.0.0.1:{port.value}")
        try:
            golive = self._create_recipients(recipients)
            self.stdout.write(f"Memory after creating recipients: {_maxrss_mb():.0f} MB")
            bare_count = min(bare_count, recipients)
            # The bare loop runs right before and right after the Celery path, in the same run against
            # the same sink, and the Celery rate is compared with the mean of the two.
            if workers:
                # (The bare loop sends the bench's own rendered rows, which exist only after the
                # dispatch; with worker processes it runs after them only.)
                self._worker_processes(golive, recipients, counter, concurrency, workers, port.value, sink.pid)
            else:
                self._celery_path(golive, recipients, counter, concurrency,
                                  before_worker=lambda: self._bare_loop(port.value, bare_count, counter, "before"))
            self._bare_loop(port.value, bare_count, counter, "after")
            bare = sum(self.bare_rates) / len(self.bare_rates)
            self.stdout.write(self.style.SUCCESS(
                f"Bare smtplib loop: {', '.join(f'{r:,.0f}' for r in self.bare_rates)} msg/s, mean {bare:,.0f} msg/s"))
            self.stdout.write(self.style.SUCCESS(
                f"Celery path / bare loop = {self.celery_rate:,.0f} / {bare:,.0f} = {self.celery_rate / bare:.2f}"))
        finally:
            stop.set()
            sink.join(10)
            self._cleanup()

    # --- steps ------------------------------------------------------------------------------------

    def _use_sink(self, port: int) -> None:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = False
        settings.NOTICES_MAX_PER_SECOND = 0.0
        # Production-like: no per-query debug log (DEBUG keeps every SQL statement in memory), and
        # no per-task INFO lines.
        settings.DEBUG = False
        import logging

        logging.getLogger("celery").setLevel(logging.WARNING)

    def _create_recipients(self, n: int):
        from accounts.counts import court_counts_refresh
        from accounts.models import CmecfAccount, Filer, PacerAccount
        from courts.models import Court, GoLive, GoLiveStatus
        from courts.selectors import rollout_current

        court = Court.objects.create(court_id=BENCH_COURT, cmecf_code="bench", name="Bench District",
                                     time_zone="America/Denver", login_url="https://ecf.bench.invalid",
                                     help_desk_phones=["555-0100"])
        today = court.local_today()
        golive = GoLive.objects.create(court=court, rollout=rollout_current(), go_live_date=today,
                                       status=GoLiveStatus.LIVE, reminder_days_after=[7, 14, 30])
        golive.live_at = golive.compute_live_at()
        golive.save(update_fields=["live_at"])
        started, step = time.monotonic(), 5000
        for offset in range(0, n, step):
            size = min(step, n - offset)
            with transaction.atomic():
                pacers = PacerAccount.objects.bulk_create([
                    PacerAccount(username=f"bench{i}", holder_name=f"Bench Filer {i}", name_key=f"BENCH FILER {i}",
                                 created_on=dt.date(2016, 1, 1), upgraded=True)
                    for i in range(offset, offset + size)
                ])
                filers = Filer.objects.bulk_create([
                    Filer(name=f"Bench Filer {i}", email=f"filer{i}@{BENCH_DOMAIN}", pacer_account=p)
                    for i, p in zip(range(offset, offset + size), pacers)
                ])
                CmecfAccount.objects.bulk_create([
                    CmecfAccount(filer=f, court=court, login=f"bench{i}", cmecf_name=f.name, name_key=f"BENCH FILER {i}")
                    for i, f in zip(range(offset, offset + size), filers)
                ])
            done = offset + size
            if done % 50_000 == 0 or done == n:
                self.stdout.write(f"  {done:,} / {n:,} recipients created ({done / (time.monotonic() - started):,.0f}/s)")
        court_counts_refresh([court.id])
        return golive

    def _celery_path(self, golive, n: int, counter, concurrency: int, before_worker=None) -> None:
        from celery.contrib.testing.worker import start_worker
        from celery.signals import after_task_publish

        from rollout.celery import app
        from rollout.notices.dispatch import notices_dispatch
        from rollout.notices.models import DeliveryState, NoticeDelivery

        published = {"n": 0}
        lock = threading.Lock()

        def count(sender=None, **kwargs):
            if sender == "rollout.notices.tasks.send_deliveries":
                with lock:
                    published["n"] += 1

        after_task_publish.connect(count, weak=False)
        app.control.purge()
        before = counter.value
        started = time.monotonic()
        result = notices_dispatch()
        dispatched = time.monotonic()
        self.stdout.write(f"Dispatch: {NoticeDelivery.objects.filter(court=golive.court).count():,} rows, "
                          f"{result.tasks_published:,} send tasks in {dispatched - started:.1f}s")
        if before_worker is not None:
            before_worker()
        before = counter.value  # what the sink received from here on is the Celery path's
        cpu_before = _cpu_seconds()
        pool = "solo" if concurrency == 1 else "threads"
        with start_worker(app, pool=pool, concurrency=concurrency, perform_ping_check=False, loglevel="WARNING",
                          shutdown_timeout=120):
            send_started = time.monotonic()
            last_report = send_started
            last_check = send_started
            while True:
                time.sleep(0.1)
                if time.monotonic() - last_report > 10:
                    last_report = time.monotonic()
                    self.stdout.write(f"  sent {counter.value - before:,} / {n:,}; memory {_maxrss_mb():.0f} MB")
                # The sink's counter is free to read; the database is asked (a count over all N rows,
                # which would load the database under test) only once the sink has everything, or
                # every 10 s in case some rows end failed or skipped.
                if counter.value - before < n and time.monotonic() - last_check < 10:
                    continue
                last_check = time.monotonic()
                open_rows = NoticeDelivery.objects.filter(court=golive.court).exclude(
                    state__in=[DeliveryState.SENT, DeliveryState.FAILED, DeliveryState.SKIPPED]).count()
                if open_rows == 0:
                    break
            elapsed = time.monotonic() - send_started
        after_task_publish.disconnect(count)
        sent = NoticeDelivery.objects.filter(court=golive.court, state=DeliveryState.SENT).count()
        received = counter.value - before
        self.celery_rate = received / elapsed
        self.stdout.write(f"Sender CPU (this process): {(_cpu_seconds() - cpu_before) * 1000 / max(received, 1):.2f} ms "
                          "per message")
        self.stdout.write(self.style.SUCCESS(
            f"Celery path: {received:,} messages received by the sink ({sent:,} recorded sent) in {elapsed:.1f}s "
            f"= {self.celery_rate:,.0f} msg/s with {concurrency} SMTP connection(s) at a time"))
        self.stdout.write(f"Broker messages published: {published['n']:,} "
                          f"(1 per {n / max(published['n'], 1):,.0f} emails)")
        self.stdout.write(f"Peak memory (this process, incl. the worker): {_maxrss_mb():.0f} MB")

    def _worker_processes(self, golive, n: int, counter, concurrency: int, workers: int, port: int,
                          sink_pid: int) -> None:
        """--workers N: start N `celery worker` processes (the deployed command, pointed at the sink),
        wait until each says it is ready, dispatch, and time from the sink's first message to the
        last row final. Prints the rate and the CPU the worker processes used per message."""
        import os
        import subprocess
        import sys
        import tempfile
        import uuid
        from pathlib import Path

        from rollout.celery import app
        from rollout.notices.dispatch import notices_dispatch
        from rollout.notices.models import DeliveryState, NoticeDelivery

        app.control.purge()
        env = {**os.environ, "ROLLOUT_MODE": settings.ROLLOUT_MODE, "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port),
               "EMAIL_HOST_USER": "", "EMAIL_HOST_PASSWORD": "", "EMAIL_USE_TLS": "0", "NOTICES_MAX_PER_SECOND": "0",
               "DEBUG": "0"}
        if settings.SECRET_KEY.startswith("dev-only"):
            env["SECRET_KEY"] = f"bench-{uuid.uuid4().hex}"  # DEBUG off needs a key of its own
        command = procfile_worker_command()
        command[0] = str(Path(sys.executable).with_name(command[0]))  # this environment's celery
        self.stdout.write(f"Worker command (Procfile): {' '.join(command[1:])}")
        logs = Path(tempfile.mkdtemp(prefix="bench-workers-"))
        processes = []
        for i in range(workers):
            log = open(logs / f"worker{i}.log", "wb")
            processes.append(subprocess.Popen(
                [*command, "-n", f"bench{i}-{uuid.uuid4().hex[:6]}@%h"], env=env, stdout=log,
                stderr=subprocess.STDOUT))
        try:
            deadline = time.monotonic() + 120
            while not all(b" ready." in (logs / f"worker{i}.log").read_bytes() for i in range(workers)):
                if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                    raise CommandError(f"The worker processes did not start; see {logs}")
                time.sleep(0.1)
            cpu_before = {p.pid: _tree_cpu(p.pid) for p in processes}
            sink_cpu_before = _process_cpu(sink_pid)
            servers_before = {name: _named_cpu(name) for name in ("postgres", "redis-server")}
            before = counter.value
            result = notices_dispatch()
            self.stdout.write(f"Dispatch: {result.tasks_published:,} send tasks; {workers} worker process(es) "
                              f"x {concurrency_of(procfile_worker_command())} senders")
            while counter.value == before:
                time.sleep(0.01)
            first = time.monotonic()
            last_check = first
            while True:
                time.sleep(0.05)
                if counter.value - before < n and time.monotonic() - last_check < 10:
                    continue
                last_check = time.monotonic()
                if not NoticeDelivery.objects.filter(court=golive.court).exclude(
                        state__in=[DeliveryState.SENT, DeliveryState.FAILED, DeliveryState.SKIPPED]).exists():
                    break
            elapsed = time.monotonic() - first
            cpu = sum(_tree_cpu(p.pid) - cpu_before[p.pid] for p in processes)
            sink_cpu = _process_cpu(sink_pid) - sink_cpu_before
            servers = {name: _named_cpu(name) - before_cpu for name, before_cpu in servers_before.items()}
        finally:
            for p in processes:
                p.terminate()
            for p in processes:
                p.wait(60)
        received = counter.value - before
        sent = NoticeDelivery.objects.filter(court=golive.court, state=DeliveryState.SENT).count()
        self.celery_rate = received / elapsed
        per = 1000 / max(received, 1)
        self.stdout.write(f"Worker CPU: {cpu * per:.2f} ms per message (all worker processes)")
        self.stdout.write(
            f"Where the time goes, per message: wall {elapsed * per:.2f} ms; worker CPU {cpu * per:.2f} ms; SMTP sink "
            f"CPU {sink_cpu * per:.2f} ms; local PostgreSQL CPU {servers['postgres'] * per:.2f} ms; local Redis CPU "
            f"{servers['redis-server'] * per:.2f} ms; the rest of {workers * concurrency_of(procfile_worker_command())} "
            "senders' time waits on SMTP replies and the database")
        self.stdout.write(self.style.SUCCESS(
            f"Celery path, {workers} worker process(es): {received:,} messages received by the sink ({sent:,} recorded "
            f"sent) in {elapsed:.1f}s = {self.celery_rate:,.0f} msg/s"))

    bare_rates: list[float]

    def _bare_loop(self, port: int, count: int, counter, label: str) -> None:
        """The practical limit: pre-rendered messages (the real notices of the first 500 rows) sent
        over one smtplib connection, nothing else."""
        from rollout.notices.models import NoticeDelivery
        from rollout.notices.messages import MessageBuilder

        messages = MessageBuilder(timezone.now())
        rows = NoticeDelivery.objects.filter(court__court_id=BENCH_COURT).select_related(
            "filer", "court", "golive", "change").order_by("id")[:500]
        prepared = [(m.from_email, m.recipients(), m.message().as_bytes(linesep="\r\n"))
                    for m in (messages.build(r, "ready") for r in rows)]
        before = counter.value
        started, cpu_before = time.monotonic(), _cpu_seconds()
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for i in range(count):
                sender, to, data = prepared[i % len(prepared)]
                smtp.sendmail(sender, to, data)
        elapsed = time.monotonic() - started
        rate = (counter.value - before) / elapsed
        cpu_ms = (_cpu_seconds() - cpu_before) * 1000 / max(counter.value - before, 1)
        self.bare_rates = [*getattr(self, "bare_rates", []), rate]
        self.stdout.write(f"Bare smtplib loop ({label}): {count:,} messages in {elapsed:.1f}s = {rate:,.0f} msg/s "
                          f"over 1 connection; client CPU {cpu_ms:.2f} ms per message")

    def _cleanup(self) -> None:
        from accounts.models import CmecfAccount, Filer, PacerAccount
        from courts.models import Court

        court = Court.objects.filter(court_id=BENCH_COURT).first()
        if court is None:
            return
        court.notice_deliveries.all().delete()
        CmecfAccount.objects.filter(court=court).delete()
        Filer.objects.filter(email__endswith=f"@{BENCH_DOMAIN}").delete()
        PacerAccount.objects.filter(username__startswith="bench").delete()
        court.delete()
        from django.db import connection

        if connection.vendor == "postgresql":
            # The deleted rows stay in the tables and their indexes until vacuumed (autovacuum may be
            # off or late): without this each run would start with the last run's dead rows.
            from rollout.notices.models import NoticeDelivery

            tables = [m._meta.db_table for m in (NoticeDelivery, CmecfAccount, Filer, PacerAccount)]
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM (ANALYZE) {', '.join(tables)}")
