"""The demo's long-form campaign: active, two consenting speakers, and one talk-show MP4 stored
as a source; loading it twice adds nothing."""

import json
import subprocess

import pytest

from labelhub.planning.demo_longform import NAME, longform_demo_load
from labelhub.planning.management.commands.demo_load import DEMO_LEGAL_REVIEW
from labelhub.recordings.models import Recording
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def test_the_long_form_demo_stores_one_talk_show_video_once(pm, tmp_path) -> None:
    client = OrganisationFactory(kind="client")

    campaign = longform_demo_load(pm=pm, client=client, legal_review=DEMO_LEGAL_REVIEW)

    assert campaign is not None and campaign.name == NAME
    assert campaign.is_long_form and campaign.status == "active"
    assert sorted(campaign.speakers.values_list("code", flat=True)) == ["SHOW-GUEST", "SHOW-HOST"]
    source = Recording.objects.get(campaign=campaign)
    assert source.original_filename == "talk-show.mp4"
    copy = tmp_path / "talk-show.mp4"
    copy.write_bytes(source.raw_file.read())
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(copy)],
        check=True,
        capture_output=True,
        text=True,
    )
    info = json.loads(probe.stdout)
    assert {s["codec_type"] for s in info["streams"]} == {"audio", "video"}
    assert 40 < float(info["format"]["duration"]) < 120
    assert longform_demo_load(pm=pm, client=client, legal_review=DEMO_LEGAL_REVIEW) is None
    assert Recording.objects.filter(campaign=campaign).count() == 1
