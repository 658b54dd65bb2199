"""Over any sequence of versions, no speaker changes split unless a re-split is asked for."""

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from labelhub.recordings.models import Exclusion
from labelhub.releases.models import SpeakerSplit
from labelhub.releases.split_plan import plan_splits
from labelhub.releases.splits import SplitItem
from tests.factories import CampaignFactory, UserFactory
from tests.releases.helpers import approved_clip, build

RATIOS = [
    {"train": 0.8, "dev": 0.1, "test": 0.1},
    {"train": 0.6, "dev": 0.2, "test": 0.2},
    {"train": 0.34, "dev": 0.33, "test": 0.33},
]
SENTENCES = ["", "a", "b", "c", "d"]


@st.composite
def versions(draw: st.DrawFn) -> list[tuple[list[SplitItem], bool, int, dict]]:
    """Each version: its items (speakers added and withdrawn), resplit or not, seed, ratios."""
    pool: dict[str, list[SplitItem]] = {}
    steps = []
    for version in range(draw(st.integers(1, 5))):
        for n in range(draw(st.integers(0, 6))):
            speaker = f"S{version}-{n}"
            cell = draw(st.sampled_from(["a", "b"]))
            pool[speaker] = [
                SplitItem(
                    f"{speaker}-{k}",
                    speaker,
                    cell,
                    draw(st.floats(0, 20)),
                    draw(st.sampled_from(SENTENCES)),
                )
                for k in range(draw(st.integers(1, 3)))
            ]
        for speaker in draw(st.lists(st.sampled_from(sorted(pool) or ["-"]), max_size=2)):
            pool.pop(speaker, None)
        items = [item for group in pool.values() for item in group]
        steps.append(
            (
                items,
                draw(st.booleans()) and version > 0,
                draw(st.integers(0, 2**16)),
                draw(st.sampled_from(RATIOS)),
            )
        )
    return steps


@settings(max_examples=150, deadline=None)
@given(steps=versions(), sentence_disjoint=st.sampled_from([None, True, False]))
def test_no_speaker_ever_changes_split_without_a_resplit(
    steps: list, sentence_disjoint: bool | None
) -> None:
    recorded: dict[str, str] = {}
    for items, resplit, seed, ratios in steps:
        if resplit:
            recorded = {}
        plan = plan_splits(
            items,
            ratios=ratios,
            seed=seed,
            recorded=recorded,
            resplit=resplit,
            sentence_disjoint=sentence_disjoint,
        )
        for item in items:
            assert plan.splits[item.item_id] == plan.speakers[item.speaker_id]
        for speaker, split in plan.speakers.items():
            assert recorded.setdefault(speaker, split) == split


@pytest.mark.django_db
def test_a_dataset_built_five_times_keeps_every_speakers_split() -> None:
    campaign = CampaignFactory()
    clips = [approved_clip(campaign, f"line {n}") for n in range(6)]
    seen: dict[int, str] = {}
    for version in range(5):
        clips += [approved_clip(campaign, f"v{version} line {n}") for n in range(2)]
        if version == 2:  # a speaker leaves by curation, then comes back
            left = Exclusion.objects.create(
                speaker=clips[0].speaker, reason=Exclusion.Reason.OTHER, created_by=UserFactory()
            )
        if version == 4:
            Exclusion.objects.filter(pk=left.pk).update(lifted_at=timezone.now())
        release = build(campaign, seed=version)
        for speaker, split in release.items.values_list("recording__speaker_id", "split"):
            assert seen.setdefault(speaker, split) == split
    assert clips[0].speaker_id in set(release.items.values_list("recording__speaker_id", flat=True))
    assert SpeakerSplit.objects.filter(campaign=campaign).count() == len(seen)
