"""A campaign's transcript normalisation policy: casing, final punctuation, numbers.

Checked on top of the campaign's convention, as the labeler types and on submit, so the
delivered transcripts of one campaign all write "play the next episode" the same way. A rule
set to "any" checks nothing. Hangul has no case, so the casing rules never touch Korean text.
Where the fix is mechanical (lowercase a word, add or drop the final mark) the issue carries it
as `fix`, and the page offers it as one click.
"""

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from labelhub.labeling.conventions.base import ConventionIssue, Fix

if TYPE_CHECKING:
    from labelhub.campaigns.models import Campaign

FINAL_MARKS = ".?!"
_WORD = re.compile(r"\S+")
_DIGITS = re.compile(r"\d+(?:[.,:]\d+)*")
# English number words. Korean ones (일, 이, 삼…) are also everyday syllables ("일" is work),
# so "digits" is only checked on English words.
_NUMBER_WORDS = re.compile(
    r"\b(zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
    r"fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|"
    r"seventy|eighty|ninety|hundred|thousand|million)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class TranscriptPolicy:
    casing: str = "any"  # any | lower | sentence
    final_punctuation: str = "any"  # any | required | none
    numbers: str = "any"  # any | words | digits

    @classmethod
    def of(cls, campaign: "Campaign") -> "TranscriptPolicy":
        return cls(
            casing=campaign.transcript_casing,
            final_punctuation=campaign.transcript_final_punctuation,
            numbers=campaign.transcript_numbers,
        )

    def as_json(self) -> dict[str, str]:
        return {
            "casing": self.casing,
            "final_punctuation": self.final_punctuation,
            "numbers": self.numbers,
        }


def check_policy(text: str, policy: TranscriptPolicy) -> list[ConventionIssue]:
    return (
        _casing(text, policy.casing)
        + _final(text, policy.final_punctuation)
        + _numbers(text, policy.numbers)
    )


def _casing(text: str, rule: str) -> list[ConventionIssue]:
    if rule == "lower":
        return [
            ConventionIssue(
                "policy_lowercase",
                _("This campaign writes transcripts in lowercase."),
                m.start(),
                m.end(),
                Fix(m.start(), m.end(), m.group().lower(), str(_("Lowercase"))),
            )
            for m in _WORD.finditer(text)
            if m.group() != m.group().lower()
        ]
    if rule == "sentence":
        first = next((i for i, char in enumerate(text) if char.isalpha()), None)
        # Only a cased letter can break sentence case: Hangul, digits and marks never do.
        if first is not None and text[first].islower():
            return [
                ConventionIssue(
                    "policy_sentence_case",
                    _("This campaign starts transcripts with a capital letter."),
                    first,
                    first + 1,
                    Fix(first, first + 1, text[first].upper(), str(_("Capitalise"))),
                )
            ]
    return []


def _final(text: str, rule: str) -> list[ConventionIssue]:
    body = text.rstrip()
    if not body:
        return []
    if rule == "required" and body[-1] not in FINAL_MARKS:
        return [
            ConventionIssue(
                "policy_final_required",
                _("This campaign ends every transcript with . ? or !"),
                len(body),
                len(body),
                Fix(len(body), len(body), ".", str(_("Add a full stop"))),
            )
        ]
    if rule == "none" and body[-1] in FINAL_MARKS:
        start = len(body.rstrip(FINAL_MARKS))
        return [
            ConventionIssue(
                "policy_final_none",
                _("This campaign writes transcripts without a final punctuation mark."),
                start,
                len(body),
                Fix(start, len(body), "", str(_("Remove the final mark"))),
            )
        ]
    return []


def _numbers(text: str, rule: str) -> list[ConventionIssue]:
    if rule == "words":
        message = _("This campaign writes numbers as words (eleven, not 11).")
        return [
            ConventionIssue("policy_numbers_words", message, m.start(), m.end())
            for m in _DIGITS.finditer(text)
        ]
    if rule == "digits":
        message = _("This campaign writes numbers as digits (11, not eleven).")
        return [
            ConventionIssue("policy_numbers_digits", message, m.start(), m.end())
            for m in _NUMBER_WORDS.finditer(text)
        ]
    return []
