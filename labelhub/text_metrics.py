"""WER and CER as LabelHub counts them, everywhere: ASR drafts against prompts, the analytics
dashboard, QA flags, double-transcription agreement, release filters and datasheets, benchmarks.

Pure Python and rapidfuzz, no Django: the ASR package (which must stay free of Django and
Celery), the benchmarks and the data migrations import it too.

Both texts are normalised the same way before counting, so a capital letter or a full stop the
labeler added is not an ASR error (normalise): Unicode NFKC, casefold, apostrophes dropped
("don't" stays one word), other punctuation and symbols turned into spaces, runs of whitespace
folded into one space.

CER counts characters with the spaces taken out, in every language. The reason is Korean:
spacing (띄어쓰기) is inconsistent in practice and the standard itself allows both forms in many
places (Hangul Orthography, Articles 43, 46, 47 and 48: a bound noun with a number, auxiliary
verbs and the like may be written joined or spaced), so "켜 줘" and "켜줘" are the same
transcript. Counting spaces would make those variants dominate the character errors; the
KsponSpeech paper evaluates Korean ASR with space-normalised error rates for the same reason
(Bang et al., "KsponSpeech: Korean Spontaneous Speech Corpus for Automatic Speech Recognition",
Applied Sciences 10(19):6936, 2020, sections 2.2.7 and 3.2, https://doi.org/10.3390/app10196936).
For English the spaces add nothing CER needs: word boundaries are WER's business.

Rates are pooled (corpus rates): edits summed over all pairs, divided by the reference units
summed over all pairs, never a mean of per-clip rates. An empty reference has no rate (None);
an empty hypothesis against a non-empty reference is all deletions (1.0).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

__all__ = [
    "EditCounts",
    "cer",
    "edit_counts",
    "normalise",
    "pooled_cer",
    "pooled_wer",
    "prompt_error_rates",
    "wer",
]

_SPACES = re.compile(r"\s+")
_APOSTROPHES = "'\u2019\u02bc"  # ASCII, right single quote, modifier letter


class _FoldTable(dict[int, int | None]):
    """str.translate's table: apostrophes dropped, punctuation and symbols (Unicode categories
    P* and S*) to a space, every other character kept. Filled as characters are first met, so
    a character's category is looked up once per process, not once per character of every
    text (a release build normalises four texts a clip)."""

    def __missing__(self, codepoint: int) -> int:
        folded = ord(" ") if unicodedata.category(chr(codepoint))[0] in "PS" else codepoint
        self[codepoint] = folded
        return folded


_FOLD = _FoldTable(dict.fromkeys(map(ord, _APOSTROPHES)))


def normalise(text: str) -> str:
    """NFKC, casefolded, punctuation and symbols out, whitespace folded to single spaces."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_FOLD)
    return _SPACES.sub(" ", folded).strip()


@dataclass(frozen=True)
class EditCounts:
    """Levenshtein edits (substitutions + deletions + insertions) and the reference's length,
    in words and in characters (spaces not counted)."""

    word_edits: int
    words: int
    char_edits: int
    chars: int

    @property
    def wer(self) -> float | None:
        return self.word_edits / self.words if self.words else None

    @property
    def cer(self) -> float | None:
        return self.char_edits / self.chars if self.chars else None


def edit_counts(*, reference: str, hypothesis: str) -> EditCounts:
    """Edits needed to turn the hypothesis into the reference, in words and in characters."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    ref_words, hyp_words = ref.split(), hyp.split()
    ref_chars, hyp_chars = ref.replace(" ", ""), hyp.replace(" ", "")
    return EditCounts(
        word_edits=Levenshtein.distance(ref_words, hyp_words),
        words=len(ref_words),
        char_edits=Levenshtein.distance(ref_chars, hyp_chars),
        chars=len(ref_chars),
    )


def pooled_wer(pairs: Iterable[EditCounts]) -> float | None:
    """Word edits over reference words, summed over all pairs first (corpus WER)."""
    pairs = list(pairs)
    words = sum(counts.words for counts in pairs)
    return sum(counts.word_edits for counts in pairs) / words if words else None


def pooled_cer(pairs: Iterable[EditCounts]) -> float | None:
    """Character edits over reference characters, summed over all pairs first (corpus CER)."""
    pairs = list(pairs)
    chars = sum(counts.chars for counts in pairs)
    return sum(counts.char_edits for counts in pairs) / chars if chars else None


def _pairs(reference: str | Sequence[str], hypothesis: str | Sequence[str]) -> list[EditCounts]:
    if isinstance(reference, str) and isinstance(hypothesis, str):
        return [edit_counts(reference=reference, hypothesis=hypothesis)]
    if isinstance(reference, str) or isinstance(hypothesis, str):
        raise TypeError("pass two strings or two sequences of strings")
    if len(reference) != len(hypothesis):
        raise ValueError(f"{len(reference)} references but {len(hypothesis)} hypotheses")
    return [
        edit_counts(reference=r, hypothesis=h) for r, h in zip(reference, hypothesis, strict=True)
    ]


def wer(reference: str | Sequence[str], hypothesis: str | Sequence[str]) -> float | None:
    """WER of one transcript (two strings), or the pooled WER of a corpus (two sequences)."""
    return pooled_wer(_pairs(reference, hypothesis))


def cer(reference: str | Sequence[str], hypothesis: str | Sequence[str]) -> float | None:
    """CER of one transcript (two strings), or the pooled CER of a corpus (two sequences)."""
    return pooled_cer(_pairs(reference, hypothesis))


def prompt_error_rates(prompt: str, text: str) -> tuple[float | None, float | None]:
    """(WER, CER) of a transcript against the prompt the speaker was asked to read, rounded to
    4 places as stored on the revision; (None, None) when the prompt has no words."""
    counts = edit_counts(reference=prompt, hypothesis=text)
    return _rounded(counts.wer), _rounded(counts.cer)


def _rounded(rate: float | None) -> float | None:
    return round(rate, 4) if rate is not None else None
