"""Segments of long-form sources: rows that name a time span of a source recording.

A segment has no audio file of its own. The workbench plays its source with the span marked,
and a release cuts the span from the source's normalised WAV. Every place that turns a span
into samples uses segment_frames, so the workbench, the exports and their tests agree on the
exact first and last sample.
"""

from django.utils import timezone

from labelhub.recordings.models import Recording
from labelhub.speakers.models import Speaker


def segment_frames(
    *, start_seconds: float, end_seconds: float, sample_rate: int
) -> tuple[int, int]:
    """The span as [first, stop) sample indices: each bound rounded to the nearest sample."""
    return round(start_seconds * sample_rate), round(end_seconds * sample_rate)


def segment_new(
    *,
    source: Recording,
    start_seconds: float,
    end_seconds: float,
    speaker: Speaker | None = None,
) -> Recording:
    """Saves a ready segment of `source`; the caller opens its task and writes its draft."""
    if source.kind != Recording.Kind.SOURCE:
        raise ValueError(f"recording {source.pk} is a {source.kind}, not a long-form source")
    start, end = round(start_seconds, 3), round(end_seconds, 3)
    segment = Recording(
        kind=Recording.Kind.SEGMENT,
        source=source,
        start_seconds=start,
        end_seconds=end,
        campaign_id=source.campaign_id,
        speaker=speaker or source.speaker,
        uploaded_by=source.uploaded_by,
        environment_id=source.environment_id,
        channel_id=source.channel_id,
        speech_style=source.speech_style,
        device=source.device,
        # The source's bytes: a segment is found by its source's checksum, never uploaded alone.
        raw_sha256=source.raw_sha256,
        raw_size_bytes=0,
        original_filename=source.original_filename,
        original_suffix=source.original_suffix,
        format_name=source.format_name,
        codec=source.codec,
        status=Recording.Status.READY,
        # Drafted with its source (or made by a person): never a job for the ASR reaper.
        asr_status=Recording.AsrStatus.DONE,
        sample_rate=source.sample_rate,
        channels=source.channels,
        ingested_at=timezone.now(),
    )
    segment.duration_seconds = round(end - start, 3)
    segment.save()
    return segment
