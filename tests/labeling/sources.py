"""Ready long-form sources for labeling tests, as long-form ingest leaves them: a source row of a
long-form campaign with its normalised WAV (and a peaks file) in storage."""

from pathlib import Path

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from asr.speech import SAMPLE_RATE, wav_frames
from labelhub.campaigns.models import Campaign
from labelhub.recordings.models import Recording
from tests.factories import ConsentRecordFactory, RecordingFactory


def ready_source(wav: Path, **campaign_fields) -> Recording:
    speaker = ConsentRecordFactory().speaker
    Campaign.objects.filter(pk=speaker.campaign_id).update(
        collection_mode=Campaign.CollectionMode.LONG_FORM, **campaign_fields
    )
    with wav.open("rb") as handle:
        normalised = default_storage.save(f"normalised/{speaker.campaign_id}/src.wav", File(handle))
    peaks = default_storage.save(f"peaks/{speaker.campaign_id}/src.json", ContentFile(b"[]"))
    return RecordingFactory(
        speaker=speaker,
        kind=Recording.Kind.SOURCE,
        normalised_file=normalised,
        peaks_file=peaks,
        duration_seconds=round(wav_frames(wav) / SAMPLE_RATE, 3),
        sample_rate=SAMPLE_RATE,
        channels=1,
    )
