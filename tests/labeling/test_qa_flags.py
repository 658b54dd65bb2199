"""QA flags on real Whisper output (fixtures/qa/whisper_outputs.json, made by
fixtures/qa/make_whisper_outputs.py from espeak-ng speech and no-speech audio), and where the
flags are stored and shown."""

import json
from pathlib import Path

import pytest
from django.urls import reverse

from asr import Transcription
from labelhub.campaigns.models import Prompt
from labelhub.labeling.drafts import draft_store, voiced_seconds_of
from labelhub.labeling.qa_flags import (
    PROMPT_MISMATCH_CER,
    hallucination_phrase,
    qa_flags,
    text_without_audio,
)
from labelhub.labeling.services import task_claim_next, task_submit
from labelhub.text_metrics import cer
from tests.factories import ConsentRecordFactory, RevisionFactory, TaskFactory
from tests.labeling.audio import ingested_recording, store_draft
from tests.labeling.helpers import reviewer_user

OUTPUTS = json.loads(
    (Path(__file__).resolve().parents[2] / "fixtures/qa/whisper_outputs.json").read_text()
)


def flags_of(entry: dict) -> list[str]:
    return qa_flags(
        entry["text"],
        language="ko" if entry["id"].startswith(("ko_", "stock_ko")) else "en",
        prompt=entry["prompt"],
        duration=entry["duration"],
        words=entry["words"],
        voiced_seconds=entry["voiced_seconds"],
    )


def entries(predicate) -> list[dict]:
    found = [entry for entry in OUTPUTS if predicate(entry)]
    assert found, "the fixture lost the entries this test reads"
    return found


def test_the_fixture_is_real_whisper_output() -> None:
    models = {entry["model"] for entry in OUTPUTS}
    assert models == {"tiny.en", "base"}
    assert all(entry["duration"] > 0 for entry in OUTPUTS)
    assert any(entry["words"] for entry in OUTPUTS)


def test_correct_english_drafts_are_not_flagged() -> None:
    read = entries(
        lambda e: e["id"].startswith("en_") and e["spoken"] == e["prompt"] and e["initial_prompt"]
    )
    assert {entry["id"]: flags_of(entry) for entry in read} == {e["id"]: [] for e in read}


def test_the_misread_prompt_is_a_mismatch() -> None:
    for entry in entries(lambda e: e["id"] == "en_misread"):
        assert "prompt_mismatch" in flags_of(entry)
        assert cer(reference=entry["prompt"], hypothesis=entry["text"]) > PROMPT_MISMATCH_CER


def test_the_threshold_separates_readings_from_misreadings() -> None:
    # The evidence for 0.5: every English reading of its own prompt, even a poor draft, stays
    # under it; the misread prompt is far over it.
    read = entries(lambda e: e["id"].startswith("en_") and e["spoken"] == e["prompt"])
    worst = max(cer(reference=e["prompt"], hypothesis=e["text"]) for e in read)
    misread = entries(lambda e: e["id"] == "en_misread")
    best_misread = min(cer(reference=e["prompt"], hypothesis=e["text"]) for e in misread)
    assert worst < PROMPT_MISMATCH_CER < best_misread


def test_garbled_korean_drafts_are_flagged_as_far_from_the_prompt() -> None:
    # espeak-ng's Korean voice is hard for Whisper base: its drafts are wrong, and say so.
    garbled = entries(lambda e: e["id"].startswith("ko_") and e["spoken"] == e["prompt"])
    assert all("prompt_mismatch" in flags_of(entry) for entry in garbled)


def test_text_over_audio_without_speech_is_flagged() -> None:
    invented = entries(lambda e: not e["spoken"] and any(c.isalnum() for c in e["text"]))
    assert {entry["id"]: "text_without_audio" in flags_of(entry) for entry in invented} == {
        entry["id"]: True for entry in invented
    }


def test_known_phrases_whole_or_trailing() -> None:
    assert hallucination_phrase(
        "Mute the sound. Thank you.", language="en", prompt="mute the sound"
    )
    assert hallucination_phrase("Thanks for watching!", language="en")
    assert hallucination_phrase("you", language="en")
    assert hallucination_phrase("시청해 주셔서 감사합니다.", language="ko")
    assert hallucination_phrase("소리 꺼 줘 구독과 좋아요 부탁드립니다", language="ko")
    assert hallucination_phrase("MBC 뉴스 이덕영입니다.", language="ko-KR")


def test_ordinary_text_is_not_a_hallucination() -> None:
    assert hallucination_phrase("Mute the sound.", language="en") is None
    assert hallucination_phrase("see you", language="en") is None  # "you" only as the whole
    assert hallucination_phrase("say thank you", language="en", prompt="say thank you") is None
    assert hallucination_phrase("소리 꺼 줘", language="ko") is None


def test_text_too_long_for_the_audio_or_timed_past_it() -> None:
    long = "turn on the television and switch to channel eleven and show me the weather"
    assert text_without_audio(long, language="en", duration=1.0)
    assert not text_without_audio("turn on the television", language="en", duration=2.0)
    late = [{"start": 1.8, "end": 2.9, "text": "tv"}]
    assert text_without_audio("turn on the tv", language="en", duration=2.0, words=late)
    assert text_without_audio("thanks", language="en", duration=5.0, voiced_seconds=0.0)
    assert not text_without_audio("", language="en", duration=5.0, voiced_seconds=0.0)


def prompted_submission(labeler, *, prompt: str, text: str):
    """A clip whose speaker was shown `prompt`, submitted by the labeler as `text`."""
    draft = RevisionFactory(text=text, recording__prompt=None)
    recording = draft.recording
    recording.prompt = Prompt.objects.create(campaign=recording.campaign, text=prompt)
    recording.save(update_fields=["prompt"])
    task = TaskFactory(recording=recording)
    assert task_claim_next(labeler=labeler).pk == task.pk
    revision = task_submit(task_id=task.pk, labeler=labeler, text=text, base_revision_id=draft.pk)
    return task, revision


@pytest.mark.django_db
def test_a_mismatched_submission_is_flagged_for_the_reviewer(labeler, api_for) -> None:
    task, revision = prompted_submission(
        labeler, prompt="show me the weather for tomorrow", text="turn on the television."
    )

    assert revision.flags == ["prompt_mismatch"]
    assert revision.prompt_cer > PROMPT_MISMATCH_CER
    claimed = api_for(reviewer_user()).post(reverse("review-claim")).json()
    assert claimed["id"] == task.pk
    assert [flag["code"] for flag in claimed["qa_flags"]] == ["prompt_mismatch"]
    assert claimed["qa_flags"][0]["message"] == "The text is far from the prompt the speaker read."
    assert claimed["submitted"]["flags"] == ["prompt_mismatch"]


@pytest.mark.django_db
def test_a_faithful_submission_carries_no_flag(labeler) -> None:
    _task, revision = prompted_submission(
        labeler, prompt="switch to channel eleven", text="Switch to channel 11."
    )

    assert revision.flags == []
    assert revision.prompt_cer < PROMPT_MISMATCH_CER


@pytest.mark.django_db
def test_a_hallucinated_ending_is_flagged_on_submit(labeler) -> None:
    _task, revision = prompted_submission(
        labeler, prompt="mute the sound", text="Mute the sound. Thank you."
    )

    # Two words added to a three-word prompt are also far from it (CER 8/12).
    assert revision.flags == ["hallucination", "prompt_mismatch"]


@pytest.mark.django_db
def test_drafts_are_stored_with_their_qa_flags(tmp_path) -> None:
    speaker = ConsentRecordFactory().speaker
    recording = ingested_recording(speaker, tmp_path, text="mute the sound")
    recording.prompt = Prompt.objects.create(campaign=recording.campaign, text="mute the sound")
    recording.save(update_fields=["prompt"])

    assert store_draft(recording, "Mute the sound.").flags == []
    # Another engine's draft of the same clip, with Whisper's favourite ending.
    assert "hallucination" in hallucinated_draft(recording).flags


def hallucinated_draft(recording):
    result = Transcription(
        text="Mute the sound. Thank you.",
        language="en",
        language_probability=1.0,
        duration=recording.duration_seconds,
        segments=(),
        engine="faster-whisper",
        model="other",
    )
    return draft_store(recording_id=recording.pk, result=result)


@pytest.mark.django_db
def test_approving_a_flagged_text_needs_confirm_flags(labeler, api_for) -> None:
    task, revision = prompted_submission(
        labeler, prompt="show me the weather for tomorrow", text="turn on the television."
    )
    client = api_for(reviewer_user())
    client.post(reverse("review-claim"))
    decide = reverse("review-decide", args=[task.pk])
    body = {"decision": "approve", "text": revision.text, "base_revision": revision.pk}

    refused = client.post(decide, body, format="json")
    approved = client.post(decide, {**body, "confirm_flags": True}, format="json")

    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "flags_unconfirmed"
    assert refused.json()["error"]["flags"] == ["prompt_mismatch"]
    assert approved.status_code == 201
    assert approved.json()["decision"] == "approved"


@pytest.mark.django_db
def test_a_draft_over_no_voice_is_flagged_and_vad_hears_the_speech(tmp_path) -> None:
    speaker = ConsentRecordFactory().speaker
    recording = ingested_recording(speaker, tmp_path, text="turn on the kitchen lights")
    result = Transcription(
        text="Thanks for the sound of the car.",
        language="en",
        language_probability=1.0,
        duration=recording.duration_seconds,
        segments=(),
        engine="faster-whisper",
        model="other",
    )

    assert voiced_seconds_of(recording) > 0.5  # espeak speech, heard by Silero VAD
    draft = draft_store(recording_id=recording.pk, result=result, voiced_seconds=0.0)
    assert "text_without_audio" in draft.flags
