"""Signals the courts app sends, so that apps above it (rollout) react without courts importing them."""
from django.dispatch import Signal

# Sent after a go-live's date changed and the change was recorded, inside the transaction.
# Arguments: golive (GoLive), change (GoLiveChange).
golive_date_changed = Signal()
