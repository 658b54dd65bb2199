"""Withdrawal in a long-form release: a speaker's segments leave the re-issue, and with them
their speech in the whole source and their lines in the transcripts; the removal list says so.
A source's own speaker withdrawing takes every segment of that source along."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile

from labelhub.recordings.segments import segment_frames
from labelhub.releases.models import Release
from labelhub.releases.reissue import removal_rows
from labelhub.releases.services import release_build
from tests.releases.helpers import approved_clip, archive_of, build
from tests.releases.longform import RATE, long_form
from tests.releases.test_reissue import withdraw

pytestmark = pytest.mark.django_db


def reissued(v1: Release) -> Release:
    v1.refresh_from_db()
    assert v1.superseded_by is not None, "the release was not superseded"
    reissue = release_build(release_id=v1.superseded_by.pk)
    assert reissue.status == Release.Status.PUBLISHED, reissue.error
    return reissue


def test_a_segment_speakers_withdrawal_silences_them_in_the_reissued_source(
    tmp_path: Path, media_root, django_capture_on_commit_callbacks
) -> None:
    made = long_form(tmp_path)
    v1 = build(made.campaign, spec={"formats": ["commonvoice"]})
    leaving = made.segments[1].speaker
    assert leaving != made.source.speaker
    gone = [s for s in made.segments if s.speaker_id == leaving.pk]
    withdraw(leaving, django_capture_on_commit_callbacks)
    reissue = reissued(v1)
    archive = archive_of(reissue)
    rows = [json.loads(line) for line in archive.read("manifest.jsonl").decode().splitlines()]
    assert {row["recording_id"] for row in rows} == {
        str(s.uid) for s in made.segments if s not in gone
    }
    whole, _rate = soundfile.read(
        io.BytesIO(archive.read(f"sources/{made.source.uid}.wav")), dtype="int16"
    )
    for segment in made.segments:
        first, stop = segment_frames(
            start_seconds=segment.start_seconds, end_seconds=segment.end_seconds, sample_rate=RATE
        )
        if segment in gone:
            assert not whole[first:stop].any()
        else:
            np.testing.assert_array_equal(whole[first:stop], made.samples[first:stop])
    vtt = archive.read(f"transcripts/{made.source.uid}.vtt").decode()
    assert all(made.texts[s.pk] not in vtt for s in gone)

    removals = {row["recording_id"]: row["remove"] for row in removal_rows(release=v1)}
    assert set(removals) == {str(s.uid) for s in gone}
    for segment in gone:
        remove = removals[str(segment.uid)]
        assert remove["long-form"] == [
            f"sources/{made.source.uid}.wav",
            f"transcripts/{made.source.uid}.vtt#{segment.uid}",
            f"transcripts/{made.source.uid}.TextGrid",
        ]
        assert f"SHA256SUMS#sources/{made.source.uid}.wav" in remove["checksums"]
        assert not any("wav.scp" in row for row in remove["kaldi"])
        assert any(
            row.endswith(f"segments#{leaving.code}-{segment.uid}") for row in remove["kaldi"]
        )
        # Every member named is one v1 shipped.
        names = set(archive_of(v1).namelist())
        for member in remove["long-form"] + remove["audio"]:
            assert member.split("#")[0] in names


def test_the_source_speakers_withdrawal_takes_every_segment_of_the_source(
    tmp_path: Path, media_root, django_capture_on_commit_callbacks
) -> None:
    made = long_form(tmp_path)
    other = made.segments[1].speaker
    approved_clip(made.campaign, "a clip of someone else", speaker=other)
    v1 = build(made.campaign)
    withdraw(made.source.speaker, django_capture_on_commit_callbacks)
    assert {row["recording_id"] for row in removal_rows(release=v1)} == {
        str(s.uid) for s in made.segments
    }
    archive = archive_of(reissued(v1))
    rows = [json.loads(line) for line in archive.read("manifest.jsonl").decode().splitlines()]
    assert [row["text"] for row in rows] == ["a clip of someone else"]
    assert not [n for n in archive.namelist() if n.startswith(("sources/", "transcripts/"))]
