"""The go-live lifecycle's rules as constraints, after bringing existing rows in line with them:
a blackout only on a scheduled or live go-live (and whole), a date on every scheduled or live one,
and no live court dated after today in its own zone (today then, with the change recorded)."""
import datetime as dt
from zoneinfo import ZoneInfo

from django.db import migrations, models
from django.db.models import F, Q


def bring_in_line(apps, schema_editor):
    GoLive = apps.get_model("courts", "GoLive")
    GoLiveChange = apps.get_model("courts", "GoLiveChange")
    firm = ["scheduled", "live"]
    GoLive.objects.filter(status__in=firm, go_live_date__isnull=True).update(status="not_scheduled")
    GoLive.objects.filter(~Q(status__in=firm)).update(blackout_start=None, blackout_end=None)
    GoLive.objects.filter(Q(blackout_start__isnull=True) | Q(blackout_end__isnull=True)
                          | Q(blackout_end__lte=F("blackout_start"))).update(blackout_start=None, blackout_end=None)
    now = dt.datetime.now(dt.timezone.utc)
    for golive in GoLive.objects.filter(status="live", go_live_date__isnull=False).select_related("court"):
        tz = ZoneInfo(golive.court.time_zone)
        today = now.astimezone(tz).date()
        if golive.go_live_date <= today:
            continue
        GoLiveChange.objects.create(golive=golive, old_date=golive.go_live_date, new_date=today, old_status="live",
                                    new_status="live", source="migration", changed_at=now,
                                    reason="A live court's go-live date cannot be after today: set to the day it was found live")
        golive.go_live_date = today
        golive.live_at = dt.datetime.combine(today, dt.time.min, tzinfo=tz)
        golive.blackout_start = golive.blackout_end = None
        golive.save(update_fields=["go_live_date", "live_at", "blackout_start", "blackout_end"])


class Migration(migrations.Migration):
    dependencies = [("courts", "0004_court_display_names")]

    operations = [
        migrations.RunPython(bring_in_line, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="golive",
            constraint=models.CheckConstraint(
                condition=~Q(status__in=["scheduled", "live"]) | Q(go_live_date__isnull=False),
                name="golive_firm_has_date",
                violation_error_message="A scheduled or live court needs a go-live date.",
            ),
        ),
        migrations.AddConstraint(
            model_name="golive",
            constraint=models.CheckConstraint(
                condition=Q(blackout_start__isnull=True, blackout_end__isnull=True)
                | Q(blackout_start__isnull=False, blackout_end__gt=F("blackout_start")),
                name="golive_blackout_whole",
                violation_error_message="A blackout has a start and an end after it.",
            ),
        ),
        migrations.AddConstraint(
            model_name="golive",
            constraint=models.CheckConstraint(
                condition=Q(blackout_start__isnull=True) | Q(status__in=["scheduled", "live"]),
                name="golive_blackout_only_when_firm",
                violation_error_message="A postponed or unscheduled court has no filing blackout.",
            ),
        ),
    ]
