"""Read speech: no prompt text in two splits where that can be met, and overlap reported always."""

import pytest

from labelhub.campaigns.models import Prompt
from labelhub.releases.split_plan import plan_splits, split_overlap
from labelhub.releases.splits import SplitItem
from tests.factories import CampaignFactory
from tests.releases.helpers import approved_clip, build, release_json

RATIOS = {"train": 0.5, "test": 0.5}


def groups_reading(groups: int, speakers_per_group: int) -> list[SplitItem]:
    """Each group's speakers read the same two sentences, which no other group reads."""
    return [
        SplitItem(f"g{g}-s{s}-{k}", f"g{g}-s{s}", "cell", 2.0, f"sentence {g}.{k}")
        for g in range(groups)
        for s in range(speakers_per_group)
        for k in range(2)
    ]


def sentences_per_split(items: list[SplitItem], splits: dict[str, str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for item in items:
        found.setdefault(splits[item.item_id], set()).add(item.sentence)
    return found


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_repeated_prompts_make_sentence_disjoint_splits_by_default(seed: int) -> None:
    items = groups_reading(groups=6, speakers_per_group=3)

    plan = plan_splits(items, ratios=RATIOS, seed=seed, recorded={})

    assert plan.sentence_disjoint
    per_split = sentences_per_split(items, plan.splits)
    assert not per_split["train"] & per_split["test"]
    assert split_overlap(items, plan.splits, ["test", "train"]) == {
        "test/train": {"speakers": 0, "sentences": 0}
    }


def test_one_script_read_by_everyone_falls_back_to_speaker_disjoint_and_says_why() -> None:
    items = groups_reading(groups=1, speakers_per_group=8)

    plan = plan_splits(items, ratios=RATIOS, seed=0, recorded={})

    assert not plan.sentence_disjoint
    assert "too few separate groups" in plan.note
    assert set(plan.speakers.values()) == {"train", "test"}
    overlap = split_overlap(items, plan.splits, ["test", "train"])["test/train"]
    assert overlap == {"speakers": 0, "sentences": 2}


def test_recorded_speakers_of_two_splits_sharing_a_sentence_keep_their_splits() -> None:
    items = groups_reading(groups=1, speakers_per_group=4)
    recorded = {"g0-s0": "train", "g0-s1": "test"}

    plan = plan_splits(items, ratios=RATIOS, seed=0, recorded=recorded, sentence_disjoint=True)

    assert not plan.sentence_disjoint
    assert "earlier versions" in plan.note
    assert {key: plan.speakers[key] for key in recorded} == recorded


@pytest.mark.django_db
def test_a_read_speech_release_reports_split_overlap_in_release_json_and_the_datasheet() -> None:
    disjoint = CampaignFactory()
    for group in range(6):
        prompt = Prompt.objects.create(campaign=disjoint, text=f"Sentence number {group}.")
        for _ in range(2):
            approved_clip(disjoint, prompt.text, prompt=prompt)
    shared = CampaignFactory()
    everyone = Prompt.objects.create(campaign=shared, text="The same line for all.")
    for _ in range(6):
        approved_clip(shared, everyone.text, prompt=everyone)

    made = release_json(build(disjoint, split_ratios=RATIOS))["splits"]
    fallback_release = build(shared, split_ratios=RATIOS)
    fallback = release_json(fallback_release)["splits"]

    assert made["sentence_disjoint"] == {"asked": "auto", "made": True, "note": ""}
    assert made["overlap"] == {"test/train": {"speakers": 0, "sentences": 0}}
    assert fallback["sentence_disjoint"]["made"] is False
    assert fallback["overlap"] == {"test/train": {"speakers": 0, "sentences": 1}}
    assert "could not be made sentence-disjoint" in fallback_release.datasheet_md
    assert "| test/train | 0 | 1 |" in fallback_release.datasheet_md
    assert "split-overlap" in fallback_release.datasheet_html


@pytest.mark.django_db
def test_sentence_disjoint_false_keeps_plain_speaker_splits_and_still_reports_overlap() -> None:
    campaign = CampaignFactory()
    prompt = Prompt.objects.create(campaign=campaign, text="Everyone reads this.")
    for _ in range(4):
        approved_clip(campaign, prompt.text, prompt=prompt)

    data = release_json(build(campaign, split_ratios=RATIOS, spec={"sentence_disjoint": False}))

    assert data["splits"]["sentence_disjoint"] == {"asked": False, "made": False, "note": ""}
    assert data["splits"]["overlap"]["test/train"]["sentences"] == 1
