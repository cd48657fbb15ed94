"""When each periodic job last finished, for /healthz."""
from __future__ import annotations

from django.db import models

NOTICES_SWEEP = "notices-sweep"  # a sweep (or dispatch) finished, on a worker
BEAT_SWEEP_SENT = "beat-sweep-sent"  # beat sent a sweep: beat itself is alive, however busy the workers


class Heartbeat(models.Model):
    """One row per periodic job, rewritten each time beat sends it and each time it finishes. Kept in the database, not in the
    Redis cache, so that a Redis restarted empty does not make /healthz blame beat for a sweep it
    ran a moment before: the broker is the part that failed."""

    name = models.CharField(primary_key=True, max_length=64)
    at = models.DateTimeField()

    class Meta:
        app_label = "rollout"

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"
