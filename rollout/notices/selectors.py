"""Reads about notices for the court page and the overview (fixed number of queries)."""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from django.db.models import Count, Max

from rollout.notices.models import DeliveryState, NoticeDelivery, NoticeKind


def last_announcements(court_ids: Iterable[int] | None) -> dict[int, tuple[str, object]]:
    """{court id: (notice kind label, sent_at)} of the latest notice sent per court: one grouped query."""
    qs = NoticeDelivery.objects.filter(state=DeliveryState.SENT)
    if court_ids is not None:
        qs = qs.filter(court_id__in=list(court_ids))
    result: dict[int, tuple[str, object]] = {}
    for row in qs.order_by().values("court_id", "kind").annotate(last=Max("sent_at")):
        current = result.get(row["court_id"])
        if current is None or row["last"] > current[1]:
            result[row["court_id"]] = (NoticeKind(row["kind"]).label, row["last"])
    return result


def notice_summary(court) -> dict[str, dict[str, int]]:
    """{notice kind: {"sent", "due", "failed", "skipped"}} for one court: one grouped query.
    "due" counts rows created and not yet sent (pending or being sent)."""
    summary: dict[str, dict[str, int]] = defaultdict(lambda: {"sent": 0, "due": 0, "failed": 0, "skipped": 0})
    rows = (
        NoticeDelivery.objects.filter(court=court).order_by().values("kind", "state").annotate(n=Count("id"))
    )
    for row in rows:
        bucket = {
            DeliveryState.PENDING: "due", DeliveryState.SENDING: "due", DeliveryState.SENT: "sent",
            DeliveryState.FAILED: "failed", DeliveryState.SKIPPED: "skipped",
        }[row["state"]]
        summary[row["kind"]][bucket] += row["n"]
    return {kind: dict(summary[kind]) for kind in NoticeKind.values if kind in summary}
