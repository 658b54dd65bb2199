"""QA flags on a transcript: signs that a text is not what the audio says.

Pure functions over text, word timings and a few numbers about the audio, so the ASR draft
store, the submit service and the tests share one definition. A flag is a stable code; the
pages show `flag_message(code)`.

- `hallucination`: the text is, or ends with, a phrase Whisper is known to invent over
  silence, noise and music: YouTube outros and subtitle credits it learnt from its training
  data. The lists follow the phrases collected in openai/whisper discussion #928 and by
  projects that filter them (e.g. Vexa-ai/vexa's per-language blocklists), written here by
  hand. A phrase the prompt itself contains never counts.
- `text_without_audio`: more characters per second of audio than anyone can say, or words
  timed after the audio ends: text with no speech under it.
- `prompt_mismatch`: the text is far from the prompt the speaker was asked to read.
"""

from collections.abc import Iterable, Sequence
from typing import TypedDict

from django.utils.translation import gettext_lazy as _

from labelhub.text_metrics import cer, normalise


class TimedWord(TypedDict, total=False):
    start: float
    end: float
    text: str


# Matched on normalised text (labelhub.text_metrics.normalise: casefolded, no punctuation).
HALLUCINATIONS: dict[str, tuple[str, ...]] = {
    "en": (
        "thank you",
        "thank you very much",
        "thank you so much",
        "thanks for watching",
        "thank you for watching",
        "thanks for listening",
        "thank you for listening",
        "please subscribe",
        "please subscribe to my channel",
        "subscribe",
        "like and subscribe",
        "don't forget to like and subscribe",
        "see you next time",
        "see you in the next video",
        "bye",
        "bye bye",
        "you",
        "subtitles by the amara org community",
        "transcription by castingwords",
        "www mooji org",
    ),
    "ko": (
        "감사합니다",
        "시청해 주셔서 감사합니다",
        "시청해주셔서 감사합니다",
        "시청해 주셔서 고맙습니다",
        "구독과 좋아요 부탁드립니다",
        "구독과 좋아요",
        "구독 좋아요 알림설정",
        "구독 부탁드립니다",
        "자막 제공",
        "자막 제공 및 자막 싱크",
        "한국어 자막",
        "mbc 뉴스",
        "mbc 뉴스 이덕영입니다",
        "kbs 뉴스",
        "sbs 뉴스",
        "다음 영상에서 만나요",
        "다음 시간에 만나요",
    ),
}

# Faster than anyone reads aloud: read speech is about 15 characters (letters, no spaces) a
# second in English and 7 Hangul syllables a second in Korean; auctioneers reach about twice.
MAX_CHARS_PER_SECOND = {"en": 25.0, "ko": 12.0}
DEFAULT_MAX_CHARS_PER_SECOND = 25.0
# Whisper places word ends up to a frame or two late; past this, a word has no audio under it.
PAST_END_TOLERANCE = 0.25

# Normalised character error rate of the text against the prompt above which the text is
# flagged. Chosen on fixtures/qa/whisper_outputs.json: English drafts of a prompt read as shown
# score 0 to 0.33 (worst: "the sound" for "mute the sound"; "Switch to channel 11." is 0.29)
# and 0.42 with noise under them; the prompt read for another scores 0.78.
PROMPT_MISMATCH_CER = 0.5

FLAG_MESSAGES = {
    "hallucination": _("Known Whisper hallucination phrase (said over silence or noise)."),
    "text_without_audio": _("More text than the audio can hold: some words have no speech."),
    "prompt_mismatch": _("The text is far from the prompt the speaker read."),
    # The ASR engine's own flags (asr/base.py).
    "empty": _("Whisper heard nothing."),
    "repetition": _("Whisper repeated itself."),
    "no_speech": _("Whisper thinks there is no speech."),
    "token_limit": _("Whisper ran out of room; the draft may be cut."),
    "decode_budget": _("Whisper kept failing and was stopped; the draft is likely wrong."),
    "sampled": _("Whisper was unsure and guessed; its confidence does not count."),
}


def flag_message(code: str) -> str:
    return str(FLAG_MESSAGES.get(code, code))


def _base_language(language: str) -> str:
    return (language or "").replace("_", "-").split("-")[0].lower()


def hallucination_phrase(text: str, *, language: str, prompt: str = "") -> str | None:
    """The known phrase the text is or ends with, unless the prompt holds it; else None."""
    said = normalise(text)
    if not said:
        return None
    asked = normalise(prompt)
    phrases = HALLUCINATIONS.get(_base_language(language), ()) + HALLUCINATIONS["en"]
    for phrase in sorted(set(phrases), key=len, reverse=True):
        if phrase in asked:
            continue
        # One word ("you", "bye") only as the whole text: as an ending it is ordinary speech.
        trailing = " " in phrase and said.endswith(" " + phrase)
        if said == phrase or trailing or _ends_korean(said, phrase):
            return phrase
    return None


def _ends_korean(said: str, phrase: str) -> bool:
    # Korean runs words together ("소리 꺼 줘감사합니다"): a Hangul phrase may end the text
    # without a space before it, but only a phrase of several syllables, never one word's end.
    squeezed = phrase.replace(" ", "")
    return not phrase.isascii() and len(squeezed) >= 4 and said.replace(" ", "").endswith(squeezed)


def text_without_audio(
    text: str,
    *,
    language: str,
    duration: float | None,
    words: Iterable[TimedWord] = (),
    voiced_seconds: float | None = None,
) -> bool:
    """True when the text cannot all be speech: text over audio with no voice in it, more
    letters than the voiced seconds can hold, or words timed past the audio's end.

    `voiced_seconds` is the speech Silero VAD found in the clip; without it, the duration.
    """
    letters = len(normalise(text).replace(" ", ""))
    if not letters:
        return False
    if voiced_seconds is not None and voiced_seconds <= 0:
        return True
    spoken = voiced_seconds if voiced_seconds is not None else duration
    limit = MAX_CHARS_PER_SECOND.get(_base_language(language), DEFAULT_MAX_CHARS_PER_SECOND)
    if spoken and letters > limit * max(spoken, 0.5):
        return True
    if not duration or duration <= 0:
        return False
    return any(float(word.get("end", 0.0)) > duration + PAST_END_TOLERANCE for word in words)


def prompt_mismatch(text: str, *, prompt: str) -> float | None:
    """The normalised CER of the text against the prompt when it is over the threshold."""
    if not normalise(prompt) or not normalise(text):
        return None
    rate = cer(reference=prompt, hypothesis=text)
    return rate if rate is not None and rate > PROMPT_MISMATCH_CER else None


def qa_flags(
    text: str,
    *,
    language: str,
    prompt: str = "",
    duration: float | None = None,
    words: Sequence[TimedWord] = (),
    voiced_seconds: float | None = None,
) -> list[str]:
    """Every QA flag of the text, in a fixed order."""
    flags = []
    if hallucination_phrase(text, language=language, prompt=prompt):
        flags.append("hallucination")
    if text_without_audio(
        text, language=language, duration=duration, words=words, voiced_seconds=voiced_seconds
    ):
        flags.append("text_without_audio")
    if prompt and prompt_mismatch(text, prompt=prompt) is not None:
        flags.append("prompt_mismatch")
    return flags


def words_of(segments: Iterable[dict]) -> list[TimedWord]:
    """The word timings of a draft's stored segments, in order."""
    return [word for segment in segments for word in segment.get("words") or []]
