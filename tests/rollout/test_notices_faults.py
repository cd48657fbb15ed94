"""Recovery after a single crash, with the default recovery settings: real worker processes, a real
SMTP server, real brokers (a private redis-server for the broker restart) and a private
PostgreSQL cluster for the database crash.

Time after the fault is beat time: the sweeper runs as beat runs it, every
NOTICES_SWEEP_INTERVAL_SECONDS after the fault ended, given that moment as `now` (except the beat
test, which runs beat itself); each test checks that every notice is sent by the sweep at the
recovery bound (60 seconds, default settings), and that no message arrived twice unflagged: at
most one per crash, on the delivery flagged as the possible duplicate.
"""
import contextlib
import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connections
from django.utils import timezone

from rollout.notices.dispatch import deliveries_reclaim_stale, notices_dispatch
from rollout.notices.models import DeliveryState, NoticeDelivery
from tests.conftest import wait_for
from tests.rollout.test_notices_delivery import all_final, go_live_rows, live_court_with_filers, on_go_live_day

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery_worker]

RECOVERY_BOUND = dt.timedelta(seconds=60)
PROJECT = Path(__file__).resolve().parents[2]


def worker_env(settings, tmp_path, broker_url: str | None = None) -> dict:
    env = {**os.environ, "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(settings.EMAIL_PORT),
           "ROLLOUT_VAR_DIR": str(tmp_path / "worker-var"), "LOG_LEVEL": "WARNING"}
    db = connections["default"].settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    else:
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    if broker_url:
        env["CELERY_BROKER_URL"] = broker_url
    return env


def use_broker(app, tmp_path, broker_url: str | None = None) -> None:
    """Publish where the subprocess worker reads: its filesystem queue, or `broker_url`."""
    from tests.conftest import _celery_app_use_broker_options

    if broker_url:
        app.conf.broker_url = app.conf.broker_write_url = app.conf.broker_read_url = broker_url
        from django.conf import settings

        _celery_app_use_broker_options(app, settings.REDIS_BROKER_TRANSPORT_OPTIONS)
    elif str(app.conf.broker_url).startswith("filesystem://"):
        folder = tmp_path / "worker-var" / "celery"
        (folder / "queue").mkdir(parents=True, exist_ok=True)
        (folder / "processed").mkdir(exist_ok=True)
        _celery_app_use_broker_options(app, {"data_folder_in": str(folder / "queue"),
                                             "data_folder_out": str(folder / "queue"),
                                             "processed_folder": str(folder / "processed"),
                                             "store_processed": False})
    else:
        app.control.purge()


def start_worker_process(env: dict, pool: str = "solo") -> subprocess.Popen:
    celery = Path(sys.executable).with_name("celery")
    return subprocess.Popen(
        [str(celery), "-A", "rollout", "worker", "-P", pool, "-c", "1", "--without-mingle", "--without-gossip",
         "--without-heartbeat", "--loglevel", "WARNING"],
        env=env, cwd=str(PROJECT), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    process.wait(30)


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def sweep_as_beat_until_all_sent(fault_end: dt.datetime, n: int) -> dt.timedelta:
    """Run the sweeper at fault_end + 1, 2, … sweep intervals (beat time); return the beat time
    after the fault at which every row was sent (asserting it is within the recovery bound)."""
    from django.conf import settings

    step = dt.timedelta(seconds=settings.NOTICES_SWEEP_INTERVAL_SECONDS)
    elapsed = dt.timedelta(0)
    while elapsed <= RECOVERY_BOUND:
        elapsed += step
        deliveries_reclaim_stale(fault_end + elapsed)
        try:
            wait_for(lambda: all_final() and NoticeDelivery.objects.filter(state=DeliveryState.SENT).count() == n,
                     timeout=30, what="every row sent")
            return elapsed
        except AssertionError:
            continue
    raise AssertionError(f"not every notice was sent within {RECOVERY_BOUND} of the fault: "
                         f"{NoticeDelivery.objects.exclude(state=DeliveryState.SENT).count()} left")


def assert_at_most_one_duplicate(smtp_sink, n: int) -> None:
    per_recipient = smtp_sink.per_recipient()
    assert len(per_recipient) == n
    unflagged = [a for a, count in per_recipient.items()
                 if count > 1 and not NoticeDelivery.objects.get(filer__email=a).possible_duplicate]
    assert unflagged == []
    duplicates = [address for address, count in per_recipient.items() if count > 1]
    assert len(duplicates) <= 1 and max(per_recipient.values()) <= 2
    for address in duplicates:
        first, second = smtp_sink.to(address)
        assert first.message_id == second.message_id
        assert NoticeDelivery.objects.get(filer__email=address).possible_duplicate
    assert NoticeDelivery.objects.filter(possible_duplicate=True).count() <= 1


def hold_the_reply_to_message(smtp_sink, number: int):
    """Make the sink take message `number` (it counts as delivered) and hold its DATA reply until
    the returned event is set: the sender is killed with that message on the wire."""
    import asyncio

    accept = smtp_sink.handle_DATA
    held, release = threading.Event(), threading.Event()

    async def take_then_hold(server, session, envelope):
        reply = await accept(server, session, envelope)
        if len(smtp_sink.messages) == number and not held.is_set():
            held.set()
            while not release.is_set():
                await asyncio.sleep(0.05)
        return reply

    smtp_sink.handle_DATA = take_then_hold
    return held, release


def test_a_worker_child_killed_with_a_message_on_the_wire_is_resent_flagged_within_a_minute(
    smtp_sink, settings, tmp_path
):
    """The sink has taken the 3rd message and holds its reply; SIGKILL to the prefork child. Celery
    may redeliver the task: its new execution has its own claim token, so it takes nothing back.
    The sweeper takes the rows back once the claim is stale and flags the 3rd, the only message
    that arrives twice."""
    from rollout.celery import app

    court, golive, accounts = live_court_with_filers(15)
    held, release = hold_the_reply_to_message(smtp_sink, 3)
    use_broker(app, tmp_path)
    worker = start_worker_process(worker_env(settings, tmp_path), pool="prefork")
    try:
        notices_dispatch(on_go_live_day(court))
        wait_for(held.is_set, timeout=120, what="the 3rd message on the wire")
        child = children(worker.pid)
        assert len(child) == 1
        os.kill(child[0], signal.SIGKILL)
        fault_end = timezone.now()
        release.set()
        assert NoticeDelivery.objects.filter(state=DeliveryState.SENDING).exists()
        sweep_as_beat_until_all_sent(fault_end, 15)
    finally:
        release.set()
        stop(worker)
    assert_at_most_one_duplicate(smtp_sink, 15)
    third = NoticeDelivery.objects.order_by("id")[2]
    assert smtp_sink.per_recipient()[third.filer.email] == 2 and third.possible_duplicate


def test_a_worker_killed_while_deliveries_wait_for_a_retry_is_recovered_within_a_minute(
    smtp_sink, settings, tmp_path
):
    """The server answers 451 (the fault); the rows wait in the database with a retry time; the
    whole worker is killed; the server recovers and a new worker starts: the retries go out within
    the bound of that, each once, none flagged (nothing was on the wire)."""
    from rollout.celery import app

    smtp_sink.fail_4xx = 10_000
    court, golive, accounts = live_court_with_filers(12)
    use_broker(app, tmp_path)
    worker = start_worker_process(worker_env(settings, tmp_path))
    try:
        notices_dispatch(on_go_live_day(court))
        wait_for(lambda: NoticeDelivery.objects.filter(state=DeliveryState.PENDING,
                                                       next_attempt_at__isnull=False).count() == 12,
                 timeout=120, what="every row waiting for its retry")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(30)
    finally:
        stop(worker)
    smtp_sink.fail_4xx = 0
    fault_end = timezone.now()
    worker = start_worker_process(worker_env(settings, tmp_path))
    try:
        sweep_as_beat_until_all_sent(fault_end, 12)
    finally:
        stop(worker)
    assert_at_most_one_duplicate(smtp_sink, 12)
    assert not NoticeDelivery.objects.filter(possible_duplicate=True).exists()  # nothing was in flight


def _redis_up(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_private_redis(port: int, folder: Path) -> subprocess.Popen:
    """Our own redis-server, never the shared one: no persistence, so a restart loses the queue."""
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: _redis_up(port), timeout=20, what=f"redis-server on {port}")
    return process


class PrivateRedis:
    """A redis-server of our own on a free port; `restart()` kills it and starts it again, empty."""

    def __init__(self, folder: Path) -> None:
        from tests.conftest import free_loopback_port

        self.port, self.folder = free_loopback_port(), folder
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = start_private_redis(self.port, folder)

    def restart(self) -> None:
        stop(self.process)
        self.process = start_private_redis(self.port, self.folder)


@contextlib.contextmanager
def private_broker(settings, tmp_path):
    """The Celery app publishes to a PrivateRedis for the block, then to its own broker again, with
    no pooled producer or connection of the private server left behind."""
    import kombu.pools

    from rollout.celery import app
    from tests.conftest import _celery_app_use_broker_options

    # The settings' own values, not the properties (which resolve the write and read URLs to the
    # broker URL): putting those back would pin publishing to that URL for every later test.
    old_urls = tuple(app.conf.get(name) for name in ("broker_url", "broker_write_url", "broker_read_url"))
    redis = PrivateRedis(tmp_path)
    try:
        use_broker(app, tmp_path, redis.url)
        yield redis
    finally:
        stop(redis.process)
        app.conf.broker_url, app.conf.broker_write_url, app.conf.broker_read_url = old_urls
        _celery_app_use_broker_options(app, settings.CELERY_BROKER_TRANSPORT_OPTIONS)
        kombu.pools.reset()


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_a_broker_restarted_without_persistence_is_recovered_within_a_minute(smtp_sink, settings, tmp_path):
    """Chunks wait in Redis; Redis is killed and started again empty (the queued chunks are lost);
    the sweeper sees published rows that nobody claims and publishes them again, all sent within
    the bound of the restart."""
    settings.NOTICES_CHUNK_SIZE = 4
    smtp_sink.delay = 0.1
    court, golive, accounts = live_court_with_filers(24)
    with private_broker(settings, tmp_path) as redis:
        worker = start_worker_process(worker_env(settings, tmp_path, redis.url))
        try:
            notices_dispatch(on_go_live_day(court))  # 6 chunks
            wait_for(lambda: len(smtp_sink.messages) >= 2, timeout=120, what="the first chunk to be sending")
            redis.restart()
            fault_end = timezone.now()
            smtp_sink.delay = 0
            wait_for(lambda: not NoticeDelivery.objects.filter(state=DeliveryState.SENDING).exists(), timeout=60,
                     what="the chunk in progress to finish")
            assert NoticeDelivery.objects.filter(state=DeliveryState.PENDING).exists()  # lost with the queue
            sweep_as_beat_until_all_sent(fault_end, 24)
        finally:
            stop(worker)
    assert_at_most_one_duplicate(smtp_sink, 24)


def _postgres_bin() -> Path | None:
    """The folder of PostgreSQL's server programs (Debian keeps them off PATH); None without them, or
    as root without a `postgres` user to run them as."""
    if os.geteuid() == 0:
        import pwd

        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return None
    if found := shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    return versions[-1].parent if versions else None


class PrivatePostgres:
    """Our own PostgreSQL cluster, never the shared one (its other databases serve the other test
    processes), so it can be crashed. Run as the `postgres` user when the tests run as root
    (PostgreSQL refuses root). `wal_writer_delay` at its maximum: a commit the sender did not wait
    for would still be in memory when the crash comes, and lost."""

    def __init__(self, port: int):
        import tempfile

        self.port, self.bin = port, _postgres_bin()
        self.folder = Path(tempfile.mkdtemp(prefix="rollout-pg-"))  # not under pytest's 0700 root folder
        self.data = self.folder / "data"
        if os.geteuid() == 0:
            import pwd

            owner = pwd.getpwnam("postgres")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
        try:
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync")
            self.start()
            self._run("createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "rollout")
        except BaseException:
            self.remove()
            raise

    def _run(self, program: str, *args: str, check: bool = True) -> None:
        command = [str(self.bin / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)

    def start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} "
                   "-c wal_writer_delay=10000 -c fsync=on")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w", "start")

    def crash(self) -> None:
        """Stop at once, as a power cut would: no checkpoint; recovery replays the WAL at the next start."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")

    def remove(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


def test_a_database_crash_mid_campaign_loses_no_sent_mark_and_flags_the_message_in_flight(
    smtp_sink, settings, tmp_path
):
    """PostgreSQL stops at once (immediate mode) while the sink holds its reply to the 3rd message,
    and starts again a few seconds later: the marks of the two messages already accepted survive
    the crash (each was committed before the next message), the sender hears the 3rd accepted but
    cannot record it, and the sweeper takes the rows back and flags that one, the only message that
    arrives twice. Runs on a private cluster, with the default database connection pointed at it."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import connection

    from rollout.celery import app
    from tests.conftest import free_loopback_port

    if connection.vendor != "postgresql" or _postgres_bin() is None:
        pytest.skip("needs PostgreSQL's server programs to run a private cluster")
    pg = PrivatePostgres(free_loopback_port())
    shared = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=pg.port, NAME="rollout", USER="postgres")
    held, release = hold_the_reply_to_message(smtp_sink, 3)
    gave_up = threading.Event()

    async def note_quit(server, session, envelope):  # the sender closes its connection once it fails
        gave_up.set()
        return "221 Bye"

    smtp_sink.handle_QUIT = note_quit
    worker = None
    try:
        call_command("migrate", verbosity=0)
        court, golive, accounts = live_court_with_filers(12)
        use_broker(app, tmp_path)
        worker = start_worker_process(worker_env(settings, tmp_path), pool="prefork")
        notices_dispatch(on_go_live_day(court))
        wait_for(held.is_set, timeout=120, what="the 3rd message on the wire")
        pg.crash()
        release.set()  # the sender hears 250 for the 3rd message with the database gone
        connection.close()
        # the fault lasts until the sender has failed against the stopped database and let go of the server
        wait_for(gave_up.is_set, timeout=60, what="the sender to give up its SMTP connection")
        pg.start()
        fault_end = timezone.now()
        assert NoticeDelivery.objects.filter(state=DeliveryState.SENT).count() == 2  # both marks survived
        sweep_as_beat_until_all_sent(fault_end, 12)
        assert_at_most_one_duplicate(smtp_sink, 12)
        third = NoticeDelivery.objects.order_by("id")[2]
        assert smtp_sink.per_recipient()[third.filer.email] == 2 and third.possible_duplicate
    finally:
        release.set()
        if worker is not None:
            stop(worker)
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(shared)
        ContentType.objects.clear_cache()  # ids read from the private database
        pg.remove()


def test_a_sender_whose_database_connection_is_killed_leaves_one_possible_duplicate(smtp_sink, settings):
    """PostgreSQL terminates the sender's connection right after the server accepted its 3rd message:
    that message cannot be marked sent. The sweeper takes the chunk's unsent rows back, flags only
    that one, and it is the only message that arrives twice."""
    import psycopg
    from django.db import connection

    from rollout.notices.sending import deliveries_send

    if connection.vendor != "postgresql":
        pytest.skip("terminates a PostgreSQL backend")
    court, now, ids = go_live_rows(8)
    connection.ensure_connection()
    sender_pid = connection.connection.info.backend_pid
    db = connection.settings_dict
    conninfo = f"host={db['HOST']} port={db['PORT']} user={db['USER']} dbname={db['NAME']}"
    accept = smtp_sink.handle_DATA

    async def accept_then_cut(server, session, envelope):
        reply = await accept(server, session, envelope)
        if len(smtp_sink.messages) == 3:
            with psycopg.connect(conninfo, autocommit=True) as other:
                other.execute("SELECT pg_terminate_backend(%s)", [sender_pid])
        return reply

    smtp_sink.handle_DATA = accept_then_cut
    with pytest.raises(Exception):
        deliveries_send(ids, claimed_by="cut-off", now=now)
    connection.close()
    smtp_sink.handle_DATA = accept
    assert NoticeDelivery.objects.filter(state=DeliveryState.SENT).count() == 2
    sweep_as_beat_until_all_sent_inline(timezone.now(), ids)
    per_recipient = smtp_sink.per_recipient()
    assert sorted(per_recipient.values()) == [1] * 7 + [2]
    (flagged,) = NoticeDelivery.objects.filter(possible_duplicate=True)
    assert flagged.id == ids[2] and per_recipient[flagged.filer.email] == 2


def sweep_as_beat_until_all_sent_inline(fault_end: dt.datetime, ids: list[int]) -> None:
    """As `sweep_as_beat_until_all_sent`, with the sends done here instead of by a worker."""
    from django.conf import settings

    from rollout.notices.sending import deliveries_send

    step = dt.timedelta(seconds=settings.NOTICES_SWEEP_INTERVAL_SECONDS)
    elapsed = dt.timedelta(0)
    while elapsed <= RECOVERY_BOUND:
        elapsed += step
        reclaimed = deliveries_reclaim_stale(fault_end + elapsed)
        if reclaimed:
            deliveries_send(reclaimed, claimed_by="recovered", now=fault_end + elapsed)
        if NoticeDelivery.objects.filter(id__in=ids, state=DeliveryState.SENT).count() == len(ids):
            return
    raise AssertionError(f"not every notice was sent within {RECOVERY_BOUND} of the fault")


def test_smtp_refusing_connections_for_a_while_costs_no_try_and_recovers_within_a_minute(
    smtp_sink, celery_worker, settings
):
    """The relay refuses connections (nothing listens): rows wait in the database with a retry
    time and no attempt counted; the relay comes back and every row is sent once."""
    from tests.conftest import free_loopback_port

    sink_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_loopback_port()  # nothing listens there: connection refused
    court, golive, accounts = live_court_with_filers(10)
    notices_dispatch(on_go_live_day(court))
    wait_for(lambda: NoticeDelivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__isnull=False,
                                                   last_error__contains="Refused").count() == 10,
             timeout=60, what="every row waiting for the relay")
    deliveries_reclaim_stale(timezone.now() + dt.timedelta(seconds=settings.NOTICES_RETRY_BACKOFF_MAX))
    wait_for(lambda: not NoticeDelivery.objects.filter(state=DeliveryState.SENDING).exists()
             and NoticeDelivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__isnull=False).count() == 10,
             timeout=60, what="a second refused try")
    assert set(NoticeDelivery.objects.values_list("attempts", flat=True)) == {0}  # never offered: no try counted
    settings.EMAIL_PORT = sink_port
    fault_end = timezone.now()
    sweep_as_beat_until_all_sent(fault_end, 10)
    assert sorted(smtp_sink.per_recipient().values()) == [1] * 10
    assert set(NoticeDelivery.objects.values_list("attempts", flat=True)) == {1}


def start_beat_process(env: dict) -> subprocess.Popen:
    celery = Path(sys.executable).with_name("celery")
    return subprocess.Popen([str(celery), "-A", "rollout", "beat", "--loglevel", "WARNING"], env=env,
                            cwd=str(PROJECT), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_go_live_that_came_while_beat_was_down_is_announced_within_a_minute_of_its_start(
    smtp_sink, settings, tmp_path
):
    """A court went live today while beat was down, and beat starts without its saved schedule (a
    new machine or container): its schedule alone would first dispatch one whole dispatch interval
    later; beat dispatches as it starts, so every filer has the notice within the bound."""
    from courts.models import GoLiveStatus
    from rollout.celery import app
    from tests.factories import GoLiveFactory, filer_at, montana_court

    assert settings.NOTICES_DISPATCH_INTERVAL_SECONDS > RECOVERY_BOUND.total_seconds()
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=court.local_today(), status=GoLiveStatus.LIVE)
    for i in range(4):
        filer_at(court, name=f"Filer {i} Beat")
    assert not NoticeDelivery.objects.exists()
    use_broker(app, tmp_path)
    env = worker_env(settings, tmp_path)
    worker = start_worker_process(env)
    beat = start_beat_process(env)  # its schedule file goes under the fresh ROLLOUT_VAR_DIR
    try:
        wait_for(lambda: NoticeDelivery.objects.filter(state=DeliveryState.SENT).count() == 4 and all_final(),
                 timeout=RECOVERY_BOUND.total_seconds(), what="the go-live notices within the bound of beat's start")
    finally:
        stop(beat)
        stop(worker)
    assert sorted(smtp_sink.per_recipient().values()) == [1] * 4


def test_retries_that_fell_due_while_beat_was_stopped_go_out_within_a_minute_of_its_start(
    smtp_sink, settings, tmp_path
):
    """The relay answers 451 while beat is stopped: the rows wait with retry times that come and
    go. The relay recovers and beat starts (the fault ends): beat sweeps as it starts, and every
    retry goes out within the bound, in real time, with the Procfile's processes."""
    from rollout.celery import app

    smtp_sink.fail_4xx = 5
    court, golive, accounts = live_court_with_filers(5)
    use_broker(app, tmp_path)
    env = worker_env(settings, tmp_path)
    worker = start_worker_process(env)
    beat = None
    try:
        notices_dispatch(on_go_live_day(court))
        wait_for(lambda: NoticeDelivery.objects.filter(state=DeliveryState.PENDING,
                                                       next_attempt_at__isnull=False).count() == 5,
                 timeout=120, what="every row waiting for its retry")
        smtp_sink.fail_4xx = 0
        beat = start_beat_process(env)
        wait_for(lambda: all_final() and NoticeDelivery.objects.filter(state=DeliveryState.SENT).count() == 5,
                 timeout=RECOVERY_BOUND.total_seconds(), what="every retry sent within the bound of beat's start")
    finally:
        if beat is not None:
            stop(beat)
        stop(worker)
    assert sorted(smtp_sink.per_recipient().values()) == [1] * 5
