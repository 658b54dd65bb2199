"""Prompt rotation: a speaker gets a prompt they have not recorded, the least covered first."""

import pytest

from labelhub.recordings.models import Recording
from labelhub.speakers.selectors import prompt_next_for
from tests.factories import CampaignFactory, RecordingFactory, SpeakerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    return CampaignFactory()


def prompt(campaign, text: str, needed: int = 1):
    return campaign.prompts.create(text=text, recordings_needed=needed)


def record(speaker, prompt, status=Recording.Status.READY) -> Recording:
    return RecordingFactory(speaker=speaker, prompt=prompt, status=status)


def test_the_least_covered_prompt_comes_first_ties_by_id(campaign) -> None:
    first, second, third = (prompt(campaign, t) for t in ("one", "two", "three"))
    other = SpeakerFactory(campaign=campaign)
    record(other, first)
    record(other, third)

    assert prompt_next_for(speaker=SpeakerFactory(campaign=campaign)) == second


def test_coverage_is_relative_to_the_recordings_needed(campaign) -> None:
    many = prompt(campaign, "needs ten", needed=10)
    few = prompt(campaign, "needs two", needed=2)
    others = SpeakerFactory.create_batch(2, campaign=campaign)
    for speaker in others:
        record(speaker, many)  # 2 of 10
    record(others[0], few)  # 1 of 2

    assert prompt_next_for(speaker=SpeakerFactory(campaign=campaign)) == many


def test_a_speaker_never_gets_a_prompt_they_recorded(campaign) -> None:
    first, second = prompt(campaign, "one"), prompt(campaign, "two")
    speaker = SpeakerFactory(campaign=campaign)
    record(speaker, first)

    assert prompt_next_for(speaker=speaker) == second
    record(speaker, second, status=Recording.Status.RECEIVED)
    assert prompt_next_for(speaker=speaker) is None


def test_a_rejected_take_neither_counts_nor_blocks_a_retake(campaign) -> None:
    first, second = prompt(campaign, "one"), prompt(campaign, "two")
    speaker = SpeakerFactory(campaign=campaign)
    record(SpeakerFactory(campaign=campaign), second)
    record(speaker, first, status=Recording.Status.REJECTED)

    assert prompt_next_for(speaker=speaker) == first


def test_recordings_of_withdrawn_speakers_do_not_count(campaign) -> None:
    from django.utils import timezone

    first, second = prompt(campaign, "one"), prompt(campaign, "two")
    record(SpeakerFactory(campaign=campaign, withdrawn_at=timezone.now()), first)
    record(SpeakerFactory(campaign=campaign), second)

    assert prompt_next_for(speaker=SpeakerFactory(campaign=campaign)) == first


def test_only_the_speakers_campaign_prompts_are_offered(campaign) -> None:
    prompt(CampaignFactory(), "elsewhere")

    assert prompt_next_for(speaker=SpeakerFactory(campaign=campaign)) is None
