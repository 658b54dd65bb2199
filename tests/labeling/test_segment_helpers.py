"""The shared segment helper makes what segmentation leaves: real audio, spans, drafts, tasks."""

import wave

import pytest

from labelhub.labeling.models import Task
from labelhub.recordings.models import Recording
from labelhub.recordings.segments import segment_frames
from tests.labeling.segment_helpers import make_source_with_segments

pytestmark = pytest.mark.django_db


def test_source_has_real_audio_and_segments_have_drafts_and_tasks():
    source, segments = make_source_with_segments(spans=[(0.5, 3.0), (3.5, 6.0)])
    assert source.kind == Recording.Kind.SOURCE and source.campaign.is_long_form
    assert source.peaks_file
    with wave.open(source.normalised_file.path, "rb") as audio:
        assert audio.getframerate() == 16000 and audio.getnchannels() == 1
        assert audio.getnframes() == round(7.0 * 16000)
        frames = audio.readframes(audio.getnframes())
    # Speech inside the first span, silence before it.
    first, stop = segment_frames(start_seconds=0.5, end_seconds=3.0, sample_rate=16000)
    assert any(frames[2 * first : 2 * stop])
    assert not any(frames[: 2 * 7000])
    assert [(s.start_seconds, s.end_seconds) for s in segments] == [(0.5, 3.0), (3.5, 6.0)]
    for segment in segments:
        assert segment.task.status == Task.Status.OPEN
        draft = segment.revisions.get()
        assert draft.text and draft.segments[0]["words"][-1]["end"] <= 2.5
    assert not Task.objects.filter(recording=source).exists()
