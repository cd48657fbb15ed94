"""GET /healthz: 200 when every probe passes, else 503; a small JSON body, no login, no data."""
from __future__ import annotations

import asyncio

from django.http import JsonResponse
from health_check.views import HealthCheckView

from rollout.health.checks import (BeatHeartbeat, Broker, Database, DeliveriesSending, NoticesDue, Relay, SweepHeartbeat,
                                   Workers, database_error)

# name in the JSON body → probe
CHECKS = {
    "database": Database,
    "cache": "health_check.checks.Cache",
    "broker": Broker,
    "workers": Workers,
    "beat": BeatHeartbeat,
    "sweeps": SweepHeartbeat,
    "relay": Relay,
    "notices_due": NoticesDue,
    "notices_sending": DeliveriesSending,
}
AGES = {"beat": "beat_last_sweep_sent_age_seconds", "sweeps": "last_sweep_run_age_seconds", "relay": "relay_last_connection_age_seconds",
        "notices_due": "oldest_due_notice_age_seconds", "notices_sending": "oldest_sending_delivery_age_seconds"}


class HealthzView(HealthCheckView):
    """django-health-check's view (never cached, outside any transaction), with our own body:
    {"status": "ok"|"unavailable", "checks": {name: "ok"|reason}, <ages in seconds or null>}."""

    checks = tuple(CHECKS.values())

    async def get(self, request, *args, **kwargs):
        with self.get_executor() as executor:
            checks = list(self.get_checks())
            results = await asyncio.gather(*(check.get_result(executor) for check in checks))
        body = {"status": "ok", "checks": {}}
        for name, result in zip(CHECKS, results):
            body["checks"][name] = "ok" if result.error is None else str(result.error)
            if result.error is not None:
                body["status"] = "unavailable"
        for name, check in zip(CHECKS, checks):
            if name in AGES:
                value = getattr(check, "value", None)
                body[AGES[name]] = None if value is None else round(value, 1)
        return JsonResponse(body, status=200 if body["status"] == "ok" else 503)


healthz = HealthzView.as_view()


def healthz_database_down(exc: BaseException) -> JsonResponse:
    """/healthz's answer when the database failed before the view ran (a middleware reading a signed-in
    browser's session and user): the body the view gives, naming the database, for the monitor that
    reads JSON rather than the outage page meant for people."""
    body = {"status": "unavailable", "checks": {"database": str(database_error(exc))}}
    return JsonResponse(body, status=503)
