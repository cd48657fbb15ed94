"""Reads for /healthz: a few index-backed queries on the notice deliveries and the heartbeat."""
from __future__ import annotations

import datetime as dt

from django.db.models import Count
from django.utils import timezone

from rollout.health.models import NOTICES_SWEEP, Heartbeat
from rollout.notices.models import DeliveryState, NoticeDelivery


def heartbeat_age_seconds(name: str = NOTICES_SWEEP) -> float | None:
    """Seconds since `name` last finished; None when no run was ever recorded."""
    return _age(Heartbeat.objects.filter(name=name).values_list("at", flat=True).first())


def _age(moment: dt.datetime | None) -> float | None:
    return None if moment is None else max(0.0, (timezone.now() - moment).total_seconds())


def notices_oldest_due_age_seconds() -> float | None:
    """Age of the oldest notice due and not sent (pending or sending, partial index on created_at):
    since the row was created, which is when it became due; a retry or a republish does not make
    it younger. None = none due."""
    oldest = (NoticeDelivery.objects.filter(state__in=(DeliveryState.PENDING, DeliveryState.SENDING))
              .order_by("created_at").values_list("created_at", flat=True).first())
    return _age(oldest)


def deliveries_oldest_sending_age_seconds() -> float | None:
    """Age of the oldest claim still `sending` (partial index on claimed_at); None = none."""
    claimed = (NoticeDelivery.objects.filter(state=DeliveryState.SENDING).order_by("claimed_at")
               .values_list("claimed_at", flat=True).first())
    return _age(claimed)


def deliveries_court_codes(delivery_ids) -> list[str]:
    """The court ids (codes such as MTDC) of these deliveries, sorted: one query, for log lines."""
    if not delivery_ids:
        return []
    return sorted(NoticeDelivery.objects.filter(id__in=list(delivery_ids)).order_by()
                  .values_list("court__court_id", flat=True).distinct())


def notices_by_state_and_kind() -> list[tuple[str, str, int]]:
    """(state, kind, count) of every notice delivery: one grouped query, for the metrics scrape."""
    rows = NoticeDelivery.objects.order_by().values_list("state", "kind").annotate(n=Count("id"))
    return [(state, kind, n) for state, kind, n in rows]
