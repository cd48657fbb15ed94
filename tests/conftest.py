import pytest


def pytest_addoption(parser):
    parser.addoption("--screenshots", action="store_true",
                     help="save a full-page screenshot of every check of the staff-pages browser test "
                          "under var/screenshots/staff-pages/ (off by default: they cost more than the checks)")


LONG_MARKERS = ("deployment", "release", "browser", "celery_worker")
# The slowest modules, slowest first (docs/development.md, "Tests"). `make test` hands whole
# modules to its pytest processes in collection order (xdist --dist loadfile --no-loadscope-reorder),
# so these start first and run side by side; a slow module left to the end would run alone while
# the other processes sit idle. A module missing here is only scheduled later, never skipped.
SLOWEST_MODULES = (
    "tests.rollout.test_staff_pages_browser",
    "tests.rollout.test_admin_bad_parameters",
    "tests.rollout.test_query_strings",
    "tests.rollout.test_release",
    "tests.rollout.test_browser_daily",
    "tests.rollout.test_notices_faults",
    "tests.rollout.test_seed_demo",
    "tests.rollout.test_deployment",
    "tests.rollout.test_log_format",
)


def pytest_collection_modifyitems(config, items):
    """Order modules for the schedule: the slowest (SLOWEST_MODULES) first, then the other modules
    that start a browser, servers or a worker, then the rest, bigger modules first. Each module's tests
    stay together and in their order."""
    sizes: dict[str, int] = {}
    long_modules = set()
    for item in items:
        name = item.module.__name__
        sizes[name] = sizes.get(name, 0) + 1
        if any(item.get_closest_marker(marker) for marker in LONG_MARKERS):
            long_modules.add(name)

    def rank(item):
        name = item.module.__name__
        slowest = SLOWEST_MODULES.index(name) if name in SLOWEST_MODULES else len(SLOWEST_MODULES)
        return slowest, name not in long_modules, -sizes[name], name

    items.sort(key=rank)


@pytest.fixture(autouse=True)
def _media_and_mail(settings, tmp_path):
    """Keep emails a test sends in its own folder; start with an empty cache (the peers' curves)."""
    from django.core.cache import cache

    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    cache.clear()


@pytest.fixture(autouse=True, scope="session")
def _quick_password_hashing():
    """Passwords set in tests are hashed with one PBKDF2 iteration (tests/hashers.py)."""
    from django.conf import settings
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=["tests.hashers.QuickPBKDF2PasswordHasher", *settings.PASSWORD_HASHERS]):
        yield


@pytest.fixture
def feed_path():
    """A real copy of the official PACER court feed (public data, dated 2023-01-10), kept in the repository."""
    from pathlib import Path

    return Path(__file__).resolve().parent / "data" / "pacer-court-lookup.json"


# --- Notices: a real SMTP sink and a real Celery worker ---------------------------------------------

import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field


@dataclass
class SinkMessage:
    rcpt_tos: list
    message_id: str
    message: email.message.EmailMessage


@dataclass
class SinkHandler:
    """aiosmtpd handler that keeps what it accepts and can be told to refuse.

    `fail_4xx`: answer 451 to that many DATA commands, then accept again (`accept_before_4xx`: only
    once that many messages were accepted, to fail a chunk midway). `refuse_5xx`: addresses
    whose messages get 550 every time. `count_only`: keep a count, not the messages (benchmarks).
    """

    messages: list = field(default_factory=list)
    fail_4xx: int = 0
    accept_before_4xx: int = 0
    refuse_5xx: set = field(default_factory=set)
    answered_4xx: int = 0
    delay: float = 0.0  # seconds before answering DATA (a slow server, to catch a worker mid-chunk)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        with self.lock:
            if self.fail_4xx > 0 and len(self.messages) >= self.accept_before_4xx:
                self.fail_4xx -= 1
                self.answered_4xx += 1
                return "451 4.3.0 Mailbox busy, try again later"
            if any(rcpt.lower() in self.refuse_5xx for rcpt in envelope.rcpt_tos):
                return "550 5.1.1 No such mailbox"
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.messages.append(SinkMessage(list(envelope.rcpt_tos), str(message["Message-ID"]), message))
        return "250 2.0.0 OK"

    def per_recipient(self) -> dict:
        counts: dict = {}
        for m in self.messages:
            for rcpt in m.rcpt_tos:
                counts[rcpt] = counts.get(rcpt, 0) + 1
        return counts

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m.rcpt_tos]


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cache_make_unreachable(settings) -> None:
    """From now on Django's cache is a Redis at a loopback port nothing listens on (Redis down)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{free_loopback_port()}/0"}}


@pytest.fixture
def unreachable_cache(settings):
    cache_make_unreachable(settings)


@pytest.fixture
def unreachable_broker(monkeypatch):
    """The Celery app publishes to a Redis broker at a loopback port nothing listens on (Redis down);
    put back after the test."""
    import kombu.pools

    from rollout.celery import app

    def fresh_pools():
        # kombu keeps its connection and producer pools per broker URL for the whole process, and
        # hands a closed one out again: close them all and forget them, so the next publish (to either
        # broker) opens a fresh pool.
        kombu.pools.reset()
        app._pool = None
        app.amqp._producer_pool = None
        try:
            del app.control.mailbox.producer_pool
        except AttributeError:
            pass

    old = app.conf.broker_url
    nowhere = f"redis://127.0.0.1:{free_loopback_port()}/0"
    # Celery reads these before its own settings; the write URL is the one publishing uses.
    monkeypatch.setenv("CELERY_BROKER_URL", nowhere)
    monkeypatch.setenv("CELERY_BROKER_WRITE_URL", nowhere)
    app.conf.broker_url = nowhere
    fresh_pools()
    yield
    monkeypatch.undo()
    app.conf.broker_url = old
    fresh_pools()


@pytest.fixture
def smtp_sink(settings):
    """A real SMTP server on a free loopback port; Django's SMTP backend points at it."""
    from aiosmtpd.controller import Controller

    handler = SinkHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_loopback_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    try:
        yield handler
    finally:
        controller.stop()


def _celery_app_use_broker_options(app, options) -> None:
    """Point the Celery app at new transport options; drop pooled connections made with the old ones."""
    app.conf.broker_transport_options = options
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    try:  # the control mailbox (ping) keeps the producer pool it first took: let it take the new one
        del app.control.mailbox.producer_pool
    except AttributeError:
        pass


@pytest.fixture(autouse=True, scope="module")
def _celery_broker_per_module(tmp_path_factory):
    """With the filesystem broker, each test module gets its own queue folders (nothing leaks into
    var/celery, and the module's worker reads the folders its tests publish to); the worker fixture
    purges the queue before each test. With Redis (REDIS_URL) that purge is all."""
    from rollout.celery import app

    if not str(app.conf.broker_url).startswith("filesystem://"):
        yield
        return
    old = app.conf.broker_transport_options
    folder = tmp_path_factory.mktemp("celery")
    (folder / "queue").mkdir(parents=True)
    (folder / "processed").mkdir()
    _celery_app_use_broker_options(app, {
        "data_folder_in": str(folder / "queue"), "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"), "control_folder": str(folder / "control"),
        "store_processed": False, "polling_interval": 0.1,
    })
    yield
    _celery_app_use_broker_options(app, old)


@pytest.fixture(autouse=True)
def _celery_broker_restored(_celery_broker_per_module):
    """A test that points the app at another queue (a worker subprocess's) is undone after it."""
    from rollout.celery import app

    options = app.conf.broker_transport_options
    yield
    if app.conf.broker_transport_options != options:
        _celery_app_use_broker_options(app, options)


def _celery_worker_idle() -> bool:
    from celery.worker import state

    return not state.active_requests and not state.reserved_requests


def _celery_worker_stop(holder: dict) -> None:
    if holder.get("running") is not None:
        wait_for(_celery_worker_idle, timeout=120, what="the worker to finish its tasks")
        holder.pop("running").__exit__(None, None, None)


@pytest.fixture(scope="module")
def _celery_worker_holder(_celery_broker_per_module):
    """One real Celery worker (celery.contrib.testing, in a thread) shared by the tests of a module that
    ask for it: started by the first, stopped at the module's end or before a test that does not ask
    for it (which may run a worker of its own on the same queue)."""
    holder: dict = {}
    yield holder
    _celery_worker_stop(holder)


@pytest.fixture(autouse=True)
def _celery_worker_only_when_asked(request, _celery_worker_holder):
    if "celery_worker" not in request.fixturenames:
        _celery_worker_stop(_celery_worker_holder)


@pytest.fixture
def celery_worker(_celery_worker_holder, settings):
    """The module's real Celery worker, on the configured broker, with an empty queue for this test.

    Use with `@pytest.mark.django_db(transaction=True)`: the worker thread has its own database
    connection and sees only committed data. After the test, waits until the worker has finished
    what the test gave it, so nothing runs on into the next test.
    """
    from celery.contrib.testing.worker import start_worker

    from rollout.celery import app

    holder = _celery_worker_holder
    if holder.get("running") is None:
        # This worker is a thread of the test process: it closes its database connection after every
        # task (Celery's default), or the connection would outlive the thread and keep the test
        # database from being dropped. Worker processes keep theirs (tests/rollout/test_celery_connections.py).
        reuse, app.conf["CELERY_DB_REUSE_MAX"] = app.conf.get("CELERY_DB_REUSE_MAX"), None
        running = start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, loglevel="WARNING",
                               shutdown_timeout=60)
        holder["worker"] = running.__enter__()
        holder["running"] = running
        app.conf["CELERY_DB_REUSE_MAX"] = reuse
    app.control.purge()
    wait_for(_celery_worker_idle, timeout=120, what="the worker to be idle")
    yield holder["worker"]
    wait_for(_celery_worker_idle, timeout=120, what="the worker to finish the test's tasks")
    app.control.purge()


def wait_for(predicate, *, timeout: float = 60.0, what: str = "condition"):
    """Poll until `predicate()` is true (bounded wait for the worker; not a timing assertion)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"Timed out waiting for {what}")


def wait_until_blocked_or_done(thread) -> None:
    """Return once `thread` is waiting on a PostgreSQL lock in this test database, or has finished (it
    did not need to wait): the moment a concurrency test lets the other side go on. Bounded wait, not
    a timing assertion."""
    import psycopg
    from django.db import connection

    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as watcher:
        wait_for(lambda: not thread.is_alive() or watcher.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        ).fetchone()[0], timeout=30, what="the other session to wait on a lock or finish")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """SQLite: a test database file (WAL, busy timeout) instead of shared-cache memory, so a worker
    thread and the test thread can write at once (shared-cache memory answers "table is locked")."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("sqlite") / "test.sqlite3")


# --- Admin imports, run in the test's own process ----------------------------------------------------

@pytest.fixture
def eager_imports(monkeypatch, settings, tmp_path):
    """Admin import jobs run inside the request that publishes them (Celery eager, on-commit callbacks
    run), so a test reads the report on the page the upload redirects to. The real worker path has
    its own tests (tests/accounts/test_admin_imports.py)."""
    from rollout.celery import app

    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(app.conf, "task_always_eager", True)
    monkeypatch.setattr(app.conf, "task_eager_propagates", True)


def admin_import_post(client, data: dict):
    """POST to the admin's import page and follow to the job's page, its task run in-process."""
    from django.test import TestCase
    from django.urls import reverse

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse("admin:accounts_cmecfaccount_import"), data)
    return client.get(response["Location"], follow=True) if response.status_code == 302 else response


@pytest.fixture
def viewer(client, settings):
    """A superuser signed in to `client`, who sees times not tied to a court in New York's zone: the
    court pages' own zones must then differ from theirs."""
    from tests.factories import superuser

    settings.TIME_ZONE = "America/New_York"
    user = superuser()
    client.force_login(user)
    return user
