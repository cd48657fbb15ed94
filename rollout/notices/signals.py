"""Reactions to go-live changes: filers already told a date hear about a new one."""
from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from courts.models import GoLiveChange, GoLiveStatus
from courts.signals import golive_date_changed


@receiver(golive_date_changed, dispatch_uid="notices_golive_date_changed")
def on_golive_date_changed(sender, golive, change, **kwargs) -> None:
    from rollout.notices.services import deliveries_create_for_change

    deliveries_create_for_change(golive, change)


@receiver(post_save, sender=GoLiveChange, dispatch_uid="notices_golive_postponed")
def on_golive_postponed_or_resumed(sender, instance: GoLiveChange, created: bool, **kwargs) -> None:
    """A postponement that keeps the old date sends no date signal, but the old date no longer holds;
    nor does a postponed go-live scheduled again on that same date, which filers must hear about; nor
    a change of the filing pause alone, whose new window filers told the old one must hear."""
    postponed = instance.new_status == GoLiveStatus.POSTPONED and instance.old_status != GoLiveStatus.POSTPONED
    resumed = instance.old_status == GoLiveStatus.POSTPONED and instance.new_status == GoLiveStatus.SCHEDULED
    if created and not instance.date_changed and (postponed or resumed or instance.blackout_only):
        from rollout.notices.services import deliveries_create_for_change

        deliveries_create_for_change(instance.golive, instance)

