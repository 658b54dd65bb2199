"""Consent withdrawal: the consent is marked at once, the audio is deleted by a worker.

This module only marks the consent and queues the deletion by name; the worker's run, which
reaches into recordings, labeling, releases and analytics, is labelhub.erasure
(speaker_audio_delete), above the apps, so speakers imports none of them.
"""

from django.db import transaction
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.dispatch import enqueue_on_commit
from labelhub.speakers.models import ConsentAuditEvent, ConsentRecord, Speaker

BY_SPEAKER = "speaker_link"
BY_PM = "pm"


@transaction.atomic
def consent_withdraw(*, speaker: Speaker, method: str, by: User | None = None) -> Speaker:
    """Withdraws every consent the speaker (or their guardian) gave; queues the audio deletion.

    Safe to call twice: a second call finds nothing active and only queues the deletion again.
    """
    speaker = Speaker.objects.select_for_update(no_key=True).get(pk=speaker.pk)
    now = timezone.now()
    withdrawn = ConsentRecord.objects.filter(speaker=speaker, withdrawn_at__isnull=True).update(
        withdrawn_at=now, withdrawal_method=method, withdrawn_by=by
    )
    if speaker.withdrawn_at is None:
        speaker.withdrawn_at = now
        speaker.save(update_fields=["withdrawn_at"])
    if withdrawn:
        ConsentAuditEvent.objects.create(
            speaker=speaker,
            action=ConsentAuditEvent.Action.WITHDRAWN,
            method=method,
            actor=by,
            counts={"consent_records": withdrawn},
        )
    enqueue_on_commit("workers.tasks.withdrawal.speaker_audio_delete", speaker.pk)
    return speaker
