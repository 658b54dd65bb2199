"""The build's fast path (rows by COPY) keeps what the slow one did."""

import hashlib

import pytest

from labelhub.recordings.models import Recording
from labelhub.releases.models import ReleaseItem
from tests.factories import CampaignFactory, ConsentRecordFactory
from tests.releases.helpers import approved_clip, archive_of, build

pytestmark = pytest.mark.django_db


def test_every_release_item_row_names_its_file_its_hash_and_its_choices() -> None:
    campaign = CampaignFactory()
    speakers = [ConsentRecordFactory(speaker__campaign=campaign).speaker for _ in range(3)]
    clips = [
        approved_clip(campaign, f"clip {index}", speaker=speakers[index % 3]) for index in range(6)
    ]
    release = build(campaign)
    unpacked = archive_of(release)
    items = ReleaseItem.objects.filter(release=release).select_related("revision", "consent")
    assert sorted(item.recording_id for item in items) == sorted(clip.pk for clip in clips)
    for item in items:
        assert hashlib.sha256(unpacked.read(item.path)).hexdigest() == item.sha256
        assert item.path.startswith(f"{item.split}/audio/")
        assert item.revision.recording_id == item.recording_id
        assert item.consent.speaker_id == Recording.objects.get(pk=item.recording_id).speaker_id
        assert (item.start_seconds, item.end_seconds) == (None, None)  # clips, not segments
