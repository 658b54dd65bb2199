"""Tasks carry their recording's campaign, and the claim's queues get per-campaign indexes.

The backfill is one UPDATE ... FROM (a minute at a million tasks), not a Python loop.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('campaigns', '0009_verbose_names'),
        ('labeling', '0008_recompute_prompt_rates'),
        ('recordings', '0009_verbose_names'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='task',
            name='campaign',
            field=models.ForeignKey(db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='campaigns.campaign'),
        ),
        migrations.RunSQL(
            'UPDATE labeling_task AS t SET campaign_id = r.campaign_id '
            'FROM recordings_recording AS r WHERE r.id = t.recording_id',
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(condition=models.Q(('status', 'open')), fields=['campaign', '-priority', 'created_at'], name='task_open_queue'),
        ),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(condition=models.Q(('double_status', 'pending')), fields=['campaign', '-priority', 'created_at'], name='task_double_queue'),
        ),
    ]
