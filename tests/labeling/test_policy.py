"""The campaign's transcript normalisation policy: each rule, its fixes, and submit refusal."""

import json
from pathlib import Path

import pytest
from django.urls import reverse

from labelhub.labeling.conventions import TranscriptPolicy, convention_check
from labelhub.labeling.services import ConventionViolation, task_claim_next, task_submit
from tests.factories import CampaignFactory
from tests.labeling.helpers import task_with_draft


def issues(text: str, **policy: str) -> list[tuple[str, str]]:
    found = convention_check(convention="plain", text=text, policy=TranscriptPolicy(**policy))
    return [(issue.code, text[issue.start : issue.end]) for issue in found]


def fixed(text: str, **policy: str) -> str:
    """The text after clicking every offered fix, right to left so offsets stay true."""
    found = convention_check(convention="plain", text=text, policy=TranscriptPolicy(**policy))
    for issue in sorted(found, key=lambda i: i.start, reverse=True):
        if issue.fix:
            text = text[: issue.fix.start] + issue.fix.replacement + text[issue.fix.end :]
    return text


def test_any_checks_nothing() -> None:
    assert issues("Play the NEXT episode 11.") == []


def test_lowercase_marks_each_cased_word_and_fixes_it() -> None:
    assert issues("Play the NEXT episode", casing="lower") == [
        ("policy_lowercase", "Play"),
        ("policy_lowercase", "NEXT"),
    ]
    assert fixed("Play the NEXT episode", casing="lower") == "play the next episode"


def test_sentence_case_wants_a_capital_first_letter() -> None:
    assert issues("play the next episode", casing="sentence") == [("policy_sentence_case", "p")]
    assert issues("Play the next episode", casing="sentence") == []
    assert fixed("play it", casing="sentence") == "Play it"


@pytest.mark.parametrize("casing", ["lower", "sentence"])
def test_casing_rules_leave_korean_alone(casing: str) -> None:
    assert issues("티비 켜 줘", casing=casing) == []
    assert issues("채널 십일번으로 바꿔 줘.", casing=casing) == []


def test_final_punctuation_required_adds_a_full_stop() -> None:
    assert issues("play the next episode", final_punctuation="required") == [
        ("policy_final_required", "")
    ]
    assert issues("is it on?", final_punctuation="required") == []
    assert fixed("티비 켜 줘", final_punctuation="required") == "티비 켜 줘."


def test_final_punctuation_none_removes_the_mark() -> None:
    assert issues("play it!?", final_punctuation="none") == [("policy_final_none", "!?")]
    assert fixed("Play the next episode.", final_punctuation="none") == "Play the next episode"
    assert issues("play it", final_punctuation="none") == []


def test_numbers_as_words_flags_digits() -> None:
    assert issues("switch to channel 11", numbers="words") == [("policy_numbers_words", "11")]
    assert issues("switch to channel eleven", numbers="words") == []
    assert issues("채널 11번", numbers="words") == [("policy_numbers_words", "11")]


def test_numbers_as_digits_flags_english_number_words() -> None:
    assert issues("turn it off in Ten minutes", numbers="digits") == [
        ("policy_numbers_digits", "Ten")
    ]
    assert issues("turn it off in 10 minutes", numbers="digits") == []
    # 일 is also "work": Korean number words are not guessed at.
    assert issues("일 끝나고 티비 켜 줘", numbers="digits") == []


def test_the_whole_demo_policy_fixes_a_whisper_draft() -> None:
    policy = {"casing": "lower", "final_punctuation": "none", "numbers": "words"}
    assert fixed("Play the next episode.", **policy) == "play the next episode"
    assert ("policy_numbers_words", "11") in issues("Switch to channel 11.", **policy)


@pytest.mark.django_db
def test_submit_refuses_text_that_breaks_the_policy(labeler) -> None:
    campaign = CampaignFactory(transcript_casing="lower", transcript_final_punctuation="none")
    task, draft = task_with_draft(campaign=campaign, text="Play the next episode.")
    task_claim_next(labeler=labeler)

    with pytest.raises(ConventionViolation) as refused:
        task_submit(task_id=task.pk, labeler=labeler, text="Play the next episode.",
                    base_revision_id=draft.pk)  # fmt: skip

    codes = [issue["code"] for issue in refused.value.extra["issues"]]
    assert codes == ["policy_lowercase", "policy_final_none"]
    revision = task_submit(
        task_id=task.pk, labeler=labeler, text="play the next episode", base_revision_id=draft.pk
    )
    assert revision.text == "play the next episode"


@pytest.mark.django_db
def test_submit_api_answers_400_naming_the_issue(labeler, api_for) -> None:
    campaign = CampaignFactory(transcript_numbers="words")
    task, draft = task_with_draft(campaign=campaign, text="switch to channel 11")
    client = api_for(labeler)
    claimed = client.post(reverse("task-claim")).json()
    assert claimed["policy"] == {"casing": "any", "final_punctuation": "any", "numbers": "words"}

    response = client.post(
        reverse("task-submit", args=[task.pk]),
        {"text": "switch to channel 11", "base_revision": draft.pk},
        format="json",
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "convention_error"
    assert error["issues"][0]["code"] == "policy_numbers_words"
    assert (error["issues"][0]["start"], error["issues"][0]["end"]) == (18, 20)


@pytest.mark.django_db
def test_check_api_takes_the_policy_and_translates(labeler, api_for) -> None:
    client = api_for(labeler)
    body = {"text": "Play it.", "casing": "lower", "final_punctuation": "none"}

    english = client.post(reverse("convention-check"), body, format="json").json()["issues"]
    korean = client.post(
        reverse("convention-check"), body, format="json", HTTP_ACCEPT_LANGUAGE="ko"
    ).json()["issues"]

    assert [i["code"] for i in english] == ["policy_lowercase", "policy_final_none"]
    assert english[0]["fix"] == {"start": 0, "end": 4, "replacement": "play", "label": "Lowercase"}
    assert korean[0]["message"] == "이 캠페인은 전사문을 소문자로 씁니다."
    assert korean[0]["fix"]["label"] == "소문자로"
    bad = client.post(reverse("convention-check"), {"text": "x", "casing": "upper"}, format="json")
    assert bad.status_code == 400


def test_the_demo_prompts_follow_the_demo_policy() -> None:
    # The demo campaign writes transcripts like its script; every prompt passes its policy.
    demo = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
    plan = json.loads((demo / "demo.json").read_text())["campaign"]
    policy = {k.removeprefix("transcript_"): v for k, v in plan["transcript_policy"].items()}
    assert policy == {"casing": "lower", "final_punctuation": "none", "numbers": "words"}
    prompts = (demo / plan["prompts_file"]).read_text().split("\n")
    assert {p: issues(p, **policy) for p in prompts if p} == {p: [] for p in prompts if p}
