"""Signals accounts sends, so apps above it (the notices pipeline in rollout) react without a reverse import."""
from django.dispatch import Signal

# Sent when staff ask to remind the filers of some CM/ECF accounts now (admin action).
# Arguments: queryset (CmecfAccount queryset, may be 100,000 rows: read it set-based), by (user).
# A receiver returns how many reminders it queued.
reminders_requested = Signal()
