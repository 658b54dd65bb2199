"""Word error rate as LabelHub counts it for drafts: lower case, punctuation dropped.

Free of Django, so the ASR benchmark and the test audio helpers can use it without settings.
"""

from __future__ import annotations

import re

import jiwer


def normalised_words(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())


def wer(reference: str | list[str], hypothesis: str | list[str]) -> float:
    """Word error rate of one transcript, or of a corpus (lists)."""
    if isinstance(reference, str):
        return jiwer.wer(normalised_words(reference), normalised_words(hypothesis))
    return jiwer.wer(
        [normalised_words(r) for r in reference], [normalised_words(h) for h in hypothesis]
    )


def prompt_error_rates(prompt: str, draft: str) -> tuple[float | None, float | None]:
    """WER and CER of a draft against the prompt the speaker was asked to read."""
    reference, hypothesis = normalised_words(prompt), normalised_words(draft)
    if not reference:
        return None, None
    if not hypothesis:
        return 1.0, 1.0
    return round(jiwer.wer(reference, hypothesis), 4), round(jiwer.cer(reference, hypothesis), 4)
