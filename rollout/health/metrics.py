"""GET /metrics: Prometheus metrics (prometheus-client), for a monitoring system, not for people.

Two sources, both right with any number of processes and machines:
- Read from the database at scrape time (`DatabaseCollector`, through rollout.health.selectors):
  notices by state and kind, the sent and failed totals (Prometheus' rate() of them gives sends and
  failures per minute), the age of the oldest due notice, and import jobs by state (counted in the
  shared cache, which every web and worker process writes; left out of a scrape while the cache
  cannot be reached, so the notices' figures still come).
- Counted in the web processes: requests by method, status and view, and their latency. Under
  gunicorn each worker process writes its own file under PROMETHEUS_MULTIPROC_DIR
  (rollout/gunicorn_conf.py sets it) and a scrape adds them up (prometheus-client's multiprocess
  mode); without that variable (manage.py runserver, tests) the process's own registry is used.

Access: a request carrying `Authorization: Bearer <METRICS_TOKEN>`, or coming from an address in
METRICS_ALLOWED_ADDRESSES (addresses or networks). With neither set, /metrics is off (404).
"""
from __future__ import annotations

import hmac
import ipaddress
import os
import time

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

REQUESTS = Counter("rollout_http_requests", "HTTP requests answered, by method, status and view.",
                   ["method", "status", "view"])
LATENCY = Histogram("rollout_http_request_duration_seconds", "Time to answer an HTTP request, by view.", ["view"],
                    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))

IMPORT_TASK = "accounts.tasks.import_run"
IMPORT_EVENTS = ("published", "started", "done", "failed")


def request_metrics(get_response):
    """Middleware: count each request and time it, labelled by the view's name (a bounded set,
    unlike paths) or "unmatched"."""

    def middleware(request):
        started = time.perf_counter()
        response = get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name if match else "") or "unmatched"
        LATENCY.labels(view).observe(time.perf_counter() - started)
        REQUESTS.labels(request.method if request.method in KNOWN_METHODS else "other",
                        str(response.status_code), view).inc()
        return response

    return middleware


KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


# --- import jobs: events counted in the shared cache ---------------------------------------------

def _event_key(event: str) -> str:
    return f"rollout:metrics:import-jobs:{event}"


def import_job_event_count(event: str) -> None:
    """Add one to an import-job event's counter in the shared cache (no expiry)."""
    key = _event_key(event)
    cache.add(key, 0, None)
    try:
        cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, None)


def import_job_event_counts() -> dict[str, int] | None:
    """The counters, or None when the cache cannot be reached (Redis down, which /healthz names)."""
    try:
        found = cache.get_many([_event_key(event) for event in IMPORT_EVENTS])
    except Exception:  # the backend raises its client's own connection errors
        return None
    return {event: int(found.get(_event_key(event)) or 0) for event in IMPORT_EVENTS}


# --- the scrape ----------------------------------------------------------------------------------

class DatabaseCollector:
    """Values read when Prometheus scrapes (a handful of grouped or index-backed queries)."""

    def collect(self):
        from rollout.health.selectors import notices_by_state_and_kind, notices_oldest_due_age_seconds

        rows = notices_by_state_and_kind()
        by_state = GaugeMetricFamily("rollout_notices", "Notice deliveries by state and kind.",
                                     labels=["state", "kind"])
        totals: dict[str, int] = {}
        for state, kind, count in rows:
            by_state.add_metric([state, kind], count)
            totals[state] = totals.get(state, 0) + count
        yield by_state
        # Sent and failed rows only ever grow: counters, so rate() gives sends and failures per second.
        sent = CounterMetricFamily("rollout_notices_sent", "Notices sent since the installation began.")
        sent.add_metric([], totals.get("sent", 0))
        yield sent
        failed = CounterMetricFamily("rollout_notices_failed",
                                     "Notices that failed for good (refused, retries exhausted) or bounced.")
        failed.add_metric([], totals.get("failed", 0) + totals.get("bounced", 0))
        yield failed
        due = GaugeMetricFamily("rollout_notices_due", "Notices waiting to be sent (pending or sending).")
        due.add_metric([], totals.get("pending", 0) + totals.get("sending", 0))
        yield due
        oldest = notices_oldest_due_age_seconds()
        age = GaugeMetricFamily("rollout_notices_oldest_due_age_seconds",
                                "Age of the oldest notice waiting to be sent (0 when none).")
        age.add_metric([], oldest or 0.0)
        yield age

        events = import_job_event_counts()
        if events is None:
            return
        jobs = CounterMetricFamily("rollout_import_jobs", "Admin import jobs (dry runs and applies) by event.",
                                   labels=["event"])
        for event in IMPORT_EVENTS:
            jobs.add_metric([event], events[event])
        yield jobs
        current = GaugeMetricFamily("rollout_import_jobs_current", "Admin import jobs waiting or running now.",
                                    labels=["state"])
        current.add_metric(["queued"], max(0, events["published"] - events["started"]))
        current.add_metric(["running"], max(0, events["started"] - events["done"] - events["failed"]))
        yield current


def _allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return True
    try:
        client = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(client in network for network in settings.METRICS_ALLOWED_NETWORKS)


@never_cache
@require_GET
def metrics(request):
    if not settings.METRICS_TOKEN and not settings.METRICS_ALLOWED_NETWORKS:
        raise Http404("Metrics are off: set METRICS_TOKEN or METRICS_ALLOWED_ADDRESSES.")
    if not _allowed(request):
        return HttpResponseForbidden("Metrics need the token or an allowed address.\n", content_type="text/plain")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_ProcessRegistry())
    registry.register(DatabaseCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


class _ProcessRegistry:
    """This process's own metrics (the default registry) inside a per-scrape registry."""

    def collect(self):
        return REGISTRY.collect()
