"""Reads about courts and their go-lives."""
from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from courts.models import Court, GoLive, GoLiveStatus, Rollout


def rollout_current() -> Rollout:
    """The rollout the tracker follows now (NextGen CM/ECF unless another is marked current)."""
    rollout = Rollout.objects.filter(is_current=True).first()
    if rollout is None:
        rollout, _ = Rollout.objects.get_or_create(
            slug="nextgen", defaults={"name": "NextGen CM/ECF", "is_current": True}
        )
    return rollout


def golive_live_q(now: dt.datetime | None = None, prefix: str = "") -> Q:
    """The condition "this go-live is live at `now`" as a Q over GoLive (or a relation via `prefix`)."""
    now = now or timezone.now()
    return Q(**{f"{prefix}status": GoLiveStatus.LIVE}) | Q(
        **{f"{prefix}status": GoLiveStatus.SCHEDULED, f"{prefix}live_at__lte": now}
    )


def court_ids_live(now: dt.datetime | None = None, rollout: Rollout | None = None) -> list[int]:
    """Ids of the courts live on the current rollout at `now`: one small query (≈200 courts)."""
    rollout = rollout or rollout_current()
    return list(
        GoLive.objects.filter(golive_live_q(now), rollout=rollout).order_by().values_list("court_id", flat=True)
    )


# Who administers a court: the CourtAdministrator rows (accounts) reached through their reverse relation
# `administrators`, so every app's admin can confine itself without courts importing accounts.

def courts_for_user(user) -> QuerySet[Court]:
    """The courts a user administers: every court for a superuser, none for anyone not staff."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Court.objects.none()
    if user.is_superuser:
        return Court.objects.all()
    if not user.is_staff:
        return Court.objects.none()
    return Court.objects.filter(administrators__user=user)


def court_ids_for_user(user) -> list[int] | None:
    """The administered court ids, or None for "every court" (a superuser)."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return None
    return list(courts_for_user(user).values_list("id", flat=True))


def user_administers(user, court: Court) -> bool:
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    return bool(user.is_staff and court.administrators.filter(user=user).exists())
