"""Reads about notices for the court page and the overview (fixed number of queries)."""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from django.db.models import Count, OuterRef, Subquery

from rollout.notices.models import DeliveryState, NoticeDelivery, NoticeKind


def last_announcements(court_ids: Iterable[int] | None) -> dict[int, tuple[str, object]]:
    """{court id: (notice kind label, sent_at)} of the latest notice sent per court, in one query.

    Each court's latest row is found by a backward scan of the partial index on sent rows
    (court, sent_at), so the cost follows the number of courts, not the millions of deliveries.
    """
    from courts.models import Court

    latest = NoticeDelivery.objects.filter(court_id=OuterRef("pk"), state=DeliveryState.SENT).order_by("-sent_at")
    courts = Court.objects.all() if court_ids is None else Court.objects.filter(id__in=list(court_ids))
    rows = courts.order_by().annotate(
        last_kind=Subquery(latest.values("kind")[:1]), last_at=Subquery(latest.values("sent_at")[:1])
    ).filter(last_at__isnull=False).values_list("id", "last_kind", "last_at")
    return {court_id: (NoticeKind(kind).label, sent_at) for court_id, kind, sent_at in rows}


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
