"""A speaker keeps their split in every version of a dataset unless the PM asks for a re-split."""

import pytest

from labelhub.accounts.models import User
from labelhub.erasure import speaker_audio_delete
from labelhub.releases.models import ReleaseChange, SpeakerSplit
from labelhub.speakers.withdrawal import BY_PM, consent_withdraw
from tests.factories import CampaignFactory, UserFactory
from tests.releases.helpers import approved_clip, build, release_json

pytestmark = pytest.mark.django_db


def speaker_splits(release) -> dict[int, str]:
    return dict(release.items.values_list("recording__speaker_id", "split").distinct())


def test_withdrawing_a_speaker_moves_nobody_and_only_a_resplit_moves_items() -> None:
    campaign = CampaignFactory()
    clips = [approved_clip(campaign, f"sentence {n}") for n in range(10)]
    v1 = build(campaign, seed=1)
    # A train speaker leaves, so v2 keeps its dev speaker whatever the seed drew for v1.
    train_speakers = {s for s, split in speaker_splits(v1).items() if split == "train"}
    leaving = next(clip.speaker for clip in clips if clip.speaker_id in train_speakers)
    consent_withdraw(speaker=leaving, method=BY_PM)
    speaker_audio_delete(speaker_id=leaving.pk)

    v2 = build(campaign, seed=2)  # another seed: recorded speakers keep their split all the same

    before, after = speaker_splits(v1), speaker_splits(v2)
    assert leaving.pk not in after
    assert after == {speaker: split for speaker, split in before.items() if speaker != leaving.pk}
    assert not v2.changes.filter(kind=ReleaseChange.Kind.MOVED).exists()
    assert release_json(v2)["changelog"]["moved"] == []
    assert release_json(v2)["splits"]["kept_across_versions"] is True

    v3 = build(
        campaign,
        seed=3,
        split_ratios={"train": 0.5, "test": 0.5},
        spec={"resplit": {"reason": "the client asked for a bigger test set"}},
    )

    dev_items = v2.items.filter(split="dev")
    assert dev_items.exists()
    moved = v3.changes.filter(kind=ReleaseChange.Kind.MOVED)
    assert {c.recording_id for c in moved} >= set(dev_items.values_list("recording_id", flat=True))
    assert all(c.old_split == speaker_splits(v2)[c.recording.speaker_id] for c in moved)
    data = release_json(v3)
    assert len(data["changelog"]["moved"]) == moved.count()
    assert data["splits"]["resplit"]["reason"] == "the client asked for a bigger test set"
    assert "Re-split in this version" in v3.datasheet_md
    assert f"{moved.count()} moved between splits" in v3.datasheet_md
    recorded = dict(
        SpeakerSplit.objects.filter(campaign=campaign).values_list("speaker_key", "split")
    )
    assert set(recorded.values()) <= {"train", "test"}


def test_the_changes_endpoint_and_counts_show_the_moves(api_for) -> None:
    campaign = CampaignFactory()
    for n in range(10):
        approved_clip(campaign, f"sentence {n}")
    build(campaign)
    v2 = build(
        campaign, split_ratios={"train": 0.5, "test": 0.5}, spec={"resplit": {"reason": "why"}}
    )
    client = api_for(UserFactory(role=User.Role.CLIENT, organisation=campaign.client))

    rows = client.get(f"/api/releases/{v2.pk}/changes/").json()["results"]
    counts = client.get(f"/api/releases/{v2.pk}/").json()["changes"]

    moves = [row for row in rows if row["kind"] == "moved"]
    assert moves and all(row["old_split"] and row["new_split"] for row in moves)
    assert counts["moved"] == len(moves)


def test_a_resplit_without_a_reason_is_refused(api_for) -> None:
    campaign = CampaignFactory()
    pm = api_for(UserFactory(role=User.Role.PM))
    response = pm.post(
        "/api/releases/",
        {"campaign": campaign.pk, "client": campaign.client.pk, "spec": {"resplit": {}}},
        format="json",
    )
    assert response.status_code == 400
    assert "resplit" in response.json()["error"]["message"]
