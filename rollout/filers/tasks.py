"""Celery task: the "send me a new link" email, sent by a worker so the page answers in the same
time whether or not the address is known (no timing difference to tell them apart)."""
from __future__ import annotations

from celery import shared_task


@shared_task(name="rollout.filers.tasks.send_status_link", ignore_result=True, time_limit=120, soft_time_limit=100)
def send_status_link(email: str) -> bool:
    """Send a fresh status link to `email` if a filer has that address; nothing otherwise."""
    from accounts.models import Filer
    from rollout.filers.emails import send_status_link as send

    filer = Filer.objects.filter(email=email.strip().lower()).first()
    return send(filer) if filer is not None else False
