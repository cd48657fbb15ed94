"""The claim index holds only the rows being sent.

Its two readers (the sweeper's stale claims, the oldest claim still sending in /healthz) both filter
on state = 'sending'. As a full index, every "sent" UPDATE added an entry to it and every sent row
stayed in it; partial, like notice_pending_queued and notice_due_created, it stays as small as the
rows in flight. Same name, so the running release reads it the same way.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('rollout', '0005_sign_in_events'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='noticedelivery',
            name='notice_claimed_at',
        ),
        migrations.AddIndex(
            model_name='noticedelivery',
            index=models.Index(condition=models.Q(('state', 'sending')), fields=['claimed_at'], name='notice_claimed_at'),
        ),
    ]
