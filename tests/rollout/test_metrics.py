"""GET /metrics: Prometheus text read back with prometheus-client's own parser; access by token or
address; values from the notice rows and import jobs; request counts and latency."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from rollout.health.metrics import import_job_event_count
from rollout.notices.models import NoticeDelivery
from tests.factories import GoLiveFactory, filer_at, montana_court

pytestmark = pytest.mark.django_db
TOKEN = "metrics-token-for-the-tests-0123456789"


@pytest.fixture(autouse=True)
def metrics_settings(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "metrics"}}


def scrape(client) -> dict[str, dict[tuple, float]]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    values: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            values.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return values


def deliveries(states: dict[str, int]):
    court = montana_court()
    golive = GoLiveFactory(court=court, go_live_date=dt.date(2021, 9, 27))
    rows = []
    n = 0
    for state, count in states.items():
        for _ in range(count):
            account = filer_at(court, name=f"Filer {n} Metrics")
            rows.append(NoticeDelivery(filer=account.filer, court=court, golive=golive, kind="golive",
                                       notice="golive", state=state))
            n += 1
    NoticeDelivery.objects.bulk_create(rows)
    return court


def test_metrics_are_off_without_a_token_or_addresses(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404


def test_metrics_refuse_a_wrong_token_and_an_unlisted_address(client, settings):
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope").status_code == 403
    settings.METRICS_ALLOWED_NETWORKS = [__import__("ipaddress").ip_network("10.0.0.0/8")]
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.1").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200


def test_prometheus_scraping_a_machine_by_its_name_gets_the_metrics(client, settings):
    """The scrape target is the web machine itself (`rollout-web-1:8000`), a Host the site's
    ALLOWED_HOSTS does not name: the scrape must get the metrics, not Django's 400."""
    settings.ALLOWED_HOSTS = ["rollout.court.example"]
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", HTTP_HOST="rollout-web-1:8000")
    assert response.status_code == 200
    assert "rollout_notices_due" in response.content.decode()


def test_notices_by_state_sent_and_failed_totals_and_oldest_due(client):
    deliveries({"pending": 2, "sent": 3, "failed": 1, "bounced": 1})
    NoticeDelivery.objects.filter(state="pending").update(created_at=timezone.now() - dt.timedelta(hours=2),
                                                          queued_at=timezone.now() - dt.timedelta(hours=2))
    values = scrape(client)
    by_state = values["rollout_notices"]
    assert by_state[(("kind", "golive"), ("state", "pending"))] == 2
    assert by_state[(("kind", "golive"), ("state", "sent"))] == 3
    assert values["rollout_notices_sent_total"][()] == 3
    assert values["rollout_notices_failed_total"][()] == 2
    assert values["rollout_notices_due"][()] == 2
    assert 7000 < values["rollout_notices_oldest_due_age_seconds"][()] < 7300


def test_no_due_notice_is_age_zero(client):
    deliveries({"sent": 1})
    assert scrape(client)["rollout_notices_oldest_due_age_seconds"][()] == 0


def test_import_jobs_by_state(client):
    for event in ("published", "published", "published", "started", "started", "done"):
        import_job_event_count(event)
    values = scrape(client)
    assert values["rollout_import_jobs_total"][(("event", "published"),)] == 3
    assert values["rollout_import_jobs_current"][(("state", "queued"),)] == 1
    assert values["rollout_import_jobs_current"][(("state", "running"),)] == 1


def test_requests_are_counted_and_timed_by_view(client):
    from django.urls import resolve

    view = resolve("/").view_name
    key = (("method", "GET"), ("status", "302"), ("view", view))
    before = scrape(client)
    client.get("/")  # anonymous: redirected to the login page
    client.get("/")
    after = scrape(client)
    assert after["rollout_http_requests_total"][key] == before["rollout_http_requests_total"].get(key, 0) + 2
    count = "rollout_http_request_duration_seconds_count"
    assert after[count][(("view", view),)] == before[count].get((("view", view),), 0) + 2


def test_a_scrape_while_the_cache_cannot_be_reached_still_gives_the_notices_figures(client, unreachable_cache):
    values = scrape(client)
    assert "rollout_notices_oldest_due_age_seconds" in values
    assert "rollout_import_jobs_total" not in values  # counted in the cache: left out, not a 500
