"""The one write /healthz depends on: the beat heartbeat."""
from __future__ import annotations

import datetime as dt

from django.utils import timezone

from rollout.health.models import NOTICES_SWEEP, Heartbeat


def heartbeat_record(at: dt.datetime | None = None, name: str = NOTICES_SWEEP) -> None:
    """Remember that `name` (beat's notice sweep or dispatch) just finished."""
    Heartbeat.objects.update_or_create(name=name, defaults={"at": at or timezone.now()})
