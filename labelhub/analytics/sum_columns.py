"""The SQL sums every analytics figure is built from, over ClipFact rows or their rollups.

Below both sums.py (which groups and reads them) and rollups.py (which stores them per speaker),
so neither imports the other's module for them.
"""

from django.db.models import Count, F, FloatField, Q, Sum
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce

_MEASURED = Q(measured=True)


def summed(expression: str | Combinable, condition: Q | None = None) -> Coalesce:
    # Floats throughout: Python adds groups and divides them, and an empty group sums to 0.
    return Coalesce(Sum(expression, filter=condition), 0, output_field=FloatField())


def _square(name: str) -> Combinable:
    return F(name) * F(name)


# What an error figure needs per group: counts, the second moments the ratio's interval is
# computed from, and the per-clip rates' sums for their spread. The edit columns are zero (and
# the rates null) on every clip that is not measured (facts._fact_row), so they are summed
# without a FILTER: at a million clips each FILTER costs a noticeable share of the query.
ERROR_SUMS = {
    "clips": Count("pk", filter=_MEASURED),
    "word_edits": summed("word_edits"),
    "words": summed("words"),
    "word_edits_sq": summed(_square("word_edits")),
    "words_sq": summed(_square("words")),
    "word_cross": summed(F("word_edits") * F("words")),
    "char_edits": summed("char_edits"),
    "chars": summed("chars"),
    "char_edits_sq": summed(_square("char_edits")),
    "chars_sq": summed(_square("chars")),
    "char_cross": summed(F("char_edits") * F("chars")),
    "wer_n": Count("clip_wer"),
    "wer_sum": summed("clip_wer"),
    "wer_sq": summed(_square("clip_wer")),
    "cer_n": Count("clip_cer"),
    "cer_sum": summed("clip_cer"),
    "cer_sq": summed(_square("clip_cer")),
    "seconds": summed("seconds", _MEASURED),
}

_LABELED = Q(labeled=True)
_DRAFTED = Q(approved=True, has_draft=True)
# Labeler seconds and the double-transcription counts are zero unless the clip is labeled.
COST_SUMS = {
    "labeled": Count("pk", filter=_LABELED),
    "labeled_seconds": summed("seconds", _LABELED),
    "work_seconds": summed("work_seconds"),
    "drafted": Count("pk", filter=_DRAFTED),
    "edited": Count("pk", filter=_DRAFTED & Q(edited=True)),
    "review_decisions": summed("review_decisions"),
    "returned": summed("returned"),
    "doubles": Count("pk", filter=Q(has_double=True)),
    "double_char_edits": summed("double_char_edits"),
    "double_chars": summed("double_chars"),
}

COVERAGE_SUMS = {
    "collected_clips": Count("pk", filter=Q(collected=True)),
    "collected_seconds": summed("seconds", Q(collected=True)),
    "approved_clips": Count("pk", filter=Q(approved=True)),
    "approved_seconds": summed("seconds", Q(approved=True)),
}

ALL_SUMS = {**COVERAGE_SUMS, **ERROR_SUMS, **COST_SUMS}
