"""Recomputes every stored prompt_wer / prompt_cer with labelhub.text_metrics.

Drafts used to be scored by workers/asr/wer.py (jiwer, lower(), CER counting spaces) and human
revisions by labelhub/analytics/text.py; both now use the one module, whose CER ignores spaces,
so a stored draft's prompt_cer equals the dashboard's CER for the same pair. Only the fields
that were stored are rewritten: drafts carry both rates, human revisions only prompt_cer.

Batched (iterator + bulk_update), so a table of millions of revisions is read in chunks.
Reversing is a no-op: the old figures were a different measure, not something to restore.
"""

from django.db import migrations
from django.db.models import F, Q

from labelhub.text_metrics import prompt_error_rates

BATCH = 2000


def recompute_prompt_rates(apps, schema_editor):
    TranscriptRevision = apps.get_model("labeling", "TranscriptRevision")
    revisions = TranscriptRevision.objects.using(schema_editor.connection.alias)
    scored = (
        revisions
        .filter(recording__prompt__isnull=False)
        .filter(Q(prompt_wer__isnull=False) | Q(prompt_cer__isnull=False))
        .annotate(prompt_text=F("recording__prompt__text"))
        .only("pk", "text", "prompt_wer", "prompt_cer")
        .order_by("pk")
    )
    changed = []
    for revision in scored.iterator(chunk_size=BATCH):
        wer, cer = prompt_error_rates(revision.prompt_text, revision.text)
        new_wer = wer if revision.prompt_wer is not None else None
        if (new_wer, cer) == (revision.prompt_wer, revision.prompt_cer):
            continue
        revision.prompt_wer, revision.prompt_cer = new_wer, cer
        changed.append(revision)
        if len(changed) >= BATCH:
            revisions.bulk_update(changed, ["prompt_wer", "prompt_cer"])
            changed = []
    if changed:
        revisions.bulk_update(changed, ["prompt_wer", "prompt_cer"])


class Migration(migrations.Migration):

    dependencies = [
        ("labeling", "0007_verbose_names"),
    ]

    operations = [
        migrations.RunPython(recompute_prompt_rates, migrations.RunPython.noop, elidable=True),
    ]
