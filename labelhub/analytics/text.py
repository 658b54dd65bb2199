"""Text normalisation and edit counts for WER and CER.

Drafts and finals are compared after the same normalisation, so a capital letter or a full stop
the labeler added is not counted as an ASR error: lowercase (Unicode casefold), punctuation
removed, runs of whitespace collapsed. CER ignores spaces, because Korean spacing (띄어쓰기) is
notoriously inconsistent and would otherwise dominate the character errors.
"""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    # Unicode categories P* are punctuation and S* symbols: both go, letters and digits stay.
    kept = "".join(" " if unicodedata.category(char)[0] in {"P", "S"} else char for char in text)
    return _SPACES.sub(" ", kept).strip()


@dataclass(frozen=True)
class EditCounts:
    """Levenshtein edits (substitutions + deletions + insertions) and the reference's length."""

    word_edits: int
    words: int
    char_edits: int
    chars: int


def edit_counts(*, reference: str, hypothesis: str) -> EditCounts:
    """Edits needed to turn the hypothesis into the reference, in words and in characters.

    rapidfuzz is the edit-distance engine jiwer itself uses; calling it directly keeps empty
    drafts (a clip Whisper heard as silence) countable as all deletions.
    """
    ref, hyp = normalise(reference), normalise(hypothesis)
    ref_words, hyp_words = ref.split(), hyp.split()
    ref_chars, hyp_chars = ref.replace(" ", ""), hyp.replace(" ", "")
    return EditCounts(
        word_edits=Levenshtein.distance(ref_words, hyp_words),
        words=len(ref_words),
        char_edits=Levenshtein.distance(ref_chars, hyp_chars),
        chars=len(ref_chars),
    )


def cer(*, reference: str, hypothesis: str) -> float | None:
    return pooled_cer([edit_counts(reference=reference, hypothesis=hypothesis)])


def pooled_cer(pairs: Iterable[EditCounts]) -> float | None:
    """Character edits over reference characters, summed over all pairs first (corpus CER)."""
    pairs = list(pairs)
    chars = sum(counts.chars for counts in pairs)
    return sum(counts.char_edits for counts in pairs) / chars if chars else None
