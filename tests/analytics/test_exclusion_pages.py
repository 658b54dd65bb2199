"""The clips page's exclude and lift forms: each flashes what the service did, or its refusal."""

import pytest

from labelhub.recordings.models import Exclusion
from tests.analytics.factories import clip
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def flashed(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_excluding_a_speakers_clips_flashes_how_many_exclusions_are_in_force(client, pm):
    campaign = CampaignFactory()
    recording = clip(campaign=campaign)
    client.force_login(pm)

    response = client.post(
        f"/analytics/{campaign.pk}/exclusions/add/",
        {"recording": [recording.pk], "target": "speakers", "reason": "bad_audio"},
        follow=True,
    )

    assert flashed(response) == ["1 exclusion in force."]
    assert Exclusion.objects.get().speaker_id == recording.speaker_id


def test_an_unknown_reason_is_flashed_and_nothing_is_excluded(client, pm):
    campaign = CampaignFactory()
    recording = clip(campaign=campaign)
    client.force_login(pm)

    response = client.post(
        f"/analytics/{campaign.pk}/exclusions/add/",
        {"recording": [recording.pk], "reason": "boredom"},
        follow=True,
    )

    assert len(flashed(response)) == 1 and "boredom" in flashed(response)[0]
    assert not Exclusion.objects.exists()
