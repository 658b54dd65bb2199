"""Stored level figures become finite: -inf (and any NaN) dBFS become the documented floor.

Ingest clamps since this change (recordings.audio.level_dbfs); clips rejected as silent before
it kept -inf, which JSON cannot carry. The floor is repeated here, as migrations must not
import code that may change.
"""

from django.db import migrations

LEVEL_FLOOR_DBFS = -120.0
NON_FINITE = (float("-inf"), float("inf"), float("nan"))


def clamp_levels(apps, schema_editor):
    Recording = apps.get_model("recordings", "Recording")
    for field in ("peak_dbfs", "rms_dbfs"):
        # PostgreSQL orders -inf below every number and treats NaN as equal to NaN.
        Recording.objects.filter(**{f"{field}__in": NON_FINITE}).update(**{field: LEVEL_FLOOR_DBFS})
        Recording.objects.filter(**{f"{field}__lt": LEVEL_FLOOR_DBFS}).update(
            **{field: LEVEL_FLOOR_DBFS}
        )
    for field in ("duration_seconds", "clipping_ratio"):
        Recording.objects.filter(**{f"{field}__in": NON_FINITE}).update(**{field: None})


class Migration(migrations.Migration):
    dependencies = [("recordings", "0006_job_attempts_heartbeats")]

    operations = [migrations.RunPython(clamp_levels, migrations.RunPython.noop)]
