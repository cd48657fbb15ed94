"""The /healthz probes, as django-health-check checks (run in threads by its view machinery).

Each records what it measured on itself (`value`) for the JSON body, and raises ServiceUnavailable
when the deployment needs attention. The body is public (no login): a reason names the kind of error,
never its text, which can carry internal host names and addresses.
"""
from __future__ import annotations

import dataclasses

from django.conf import settings
from django.db import DatabaseError, connections
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable

from rollout.health import selectors
from rollout.health.models import BEAT_SWEEP_SENT, NOTICES_SWEEP
from rollout.notices.relay import relay_last_connection


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker accepts a connection (one try, short timeout)."""

    value: object = dataclasses.field(default=None, repr=False)

    def run(self):
        from rollout.celery import app

        try:
            with app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
        except Exception as exc:  # kombu raises the transport's own errors
            raise ServiceUnavailable(f"broker unreachable ({type(exc).__name__})") from exc


@dataclasses.dataclass
class Workers(HealthCheck):
    """At least one Celery worker answers a ping within HEALTHZ_WORKER_PING_TIMEOUT. The ping is a
    broadcast over the broker, answered by the worker's main process (not by a busy pool), so it
    tells a dead or stuck worker from a busy one, and works again as soon as a restarted broker does.
    Not checked on the development filesystem broker, whose broadcasts are not dependable."""

    value: object = dataclasses.field(default=None, repr=False)

    def run(self):
        from rollout.celery import app

        if str(app.conf.broker_url).startswith("filesystem://"):
            return

        try:
            # A connection of its own, opened with one try: a pooled one can have died with a
            # restarted broker, and a ping published while the broker is down would retry until
            # the probe's own timeout, holding /healthz for seconds instead of answering 503.
            with app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
                replies = app.control.ping(timeout=settings.HEALTHZ_WORKER_PING_TIMEOUT, connection=connection)
        except Exception as exc:  # kombu raises the transport's own errors
            raise ServiceUnavailable(f"ping not sent ({type(exc).__name__})") from exc
        self.value = len(replies or [])
        if not self.value:
            raise ServiceUnavailable("no worker answered a ping")


def database_error(exc: BaseException) -> ServiceUnavailable:
    """The reason of a probe the database failed: the kind of error, never its text (the host)."""
    return ServiceUnavailable(f"database error ({type(exc).__name__})")


class _DatabaseRead(HealthCheck):
    """Runs a read in a worker thread and closes that thread's connection afterwards."""

    value: object = None
    limit_setting = ""
    too_old = "{value:.0f} s old (limit {limit} s)"

    def measure(self):
        raise NotImplementedError

    def run(self):
        try:
            self.value = self.measure()
        except DatabaseError as exc:
            raise database_error(exc) from exc
        finally:
            connections.close_all()
        if self.value is None:
            return
        limit = getattr(settings, self.limit_setting)
        if self.value > limit:
            raise ServiceUnavailable(self.too_old.format(value=self.value, limit=limit))


@dataclasses.dataclass
class Database(_DatabaseRead):
    """The database answers a query. Not django-health-check's own database check: its reason is
    the driver's message, which names the database host ("failed to resolve host 'db-…'")."""

    value: object = dataclasses.field(default=None, repr=False)

    def measure(self):
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
        return None  # nothing to report but the answer


@dataclasses.dataclass
class _Heartbeat(_DatabaseRead):
    """The age of a heartbeat row (`heartbeat`), failing when older than the limit or never written."""

    value: object = dataclasses.field(default=None, repr=False)
    heartbeat = ""
    never = ""

    def measure(self):
        return selectors.heartbeat_age_seconds(self.heartbeat)

    def run(self):
        super().run()
        if self.value is None:
            raise ServiceUnavailable(self.never)


@dataclasses.dataclass
class BeatHeartbeat(_Heartbeat):
    """Beat sent its notice sweep within HEALTHZ_BEAT_MAX_AGE_SECONDS."""

    heartbeat = BEAT_SWEEP_SENT
    limit_setting = "HEALTHZ_BEAT_MAX_AGE_SECONDS"
    too_old = "last sweep sent {value:.0f} s ago (limit {limit} s)"
    never = "no sweep sent yet"


@dataclasses.dataclass
class SweepHeartbeat(_Heartbeat):
    """A worker ran the notice sweep (or dispatch) within HEALTHZ_SWEEP_MAX_AGE_SECONDS: with beat
    sending them, an old one means workers too busy (every process on a long send) or not taking
    the queue."""

    heartbeat = NOTICES_SWEEP
    limit_setting = "HEALTHZ_SWEEP_MAX_AGE_SECONDS"
    too_old = "last sweep run {value:.0f} s ago (limit {limit} s)"
    never = "no sweep run recorded yet"


@dataclasses.dataclass
class NoticesDue(_DatabaseRead):
    """No notice has been due and unsent for longer than HEALTHZ_DUE_MAX_AGE_SECONDS."""

    value: object = dataclasses.field(default=None, repr=False)
    limit_setting = "HEALTHZ_DUE_MAX_AGE_SECONDS"

    def measure(self):
        return selectors.notices_oldest_due_age_seconds()


@dataclasses.dataclass
class DeliveriesSending(_DatabaseRead):
    """No delivery has been `sending` for longer than HEALTHZ_SENDING_MAX_AGE_SECONDS."""

    value: object = dataclasses.field(default=None, repr=False)
    limit_setting = "HEALTHZ_SENDING_MAX_AGE_SECONDS"

    def measure(self):
        return selectors.deliveries_oldest_sending_age_seconds()


@dataclasses.dataclass
class Relay(HealthCheck):
    """The last connection a sender made to the SMTP relay opened, or failed longer ago than
    HEALTHZ_RELAY_FAILURE_WINDOW_SECONDS with nothing sent since (no notice waits for it). Read from
    what the senders record: /healthz itself never connects to the relay."""

    value: object = dataclasses.field(default=None, repr=False)

    def run(self):
        try:
            last = relay_last_connection()
        except Exception:  # the cache (Redis) is down: `cache` names it, not the relay
            return
        if last is None:
            return  # no sender has connected yet
        self.value, error = last
        if error and self.value <= settings.HEALTHZ_RELAY_FAILURE_WINDOW_SECONDS:
            raise ServiceUnavailable(f"the last connection, {self.value:.0f} s ago, failed: {error}")
