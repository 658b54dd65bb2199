"""The datasheet's terms and trust figures: licence and terms of use, transcription conventions,
double-transcription agreement and the review decisions behind Common Voice's up/down votes."""

from __future__ import annotations

import sys
from collections.abc import Collection

from django.db.models import Count, Q

from labelhub.db_ids import among
from labelhub.labeling.conventions import CHECKERS
from labelhub.labeling.models import TranscriptRevision
from labelhub.labeling.selectors import double_agreement


def terms_context(*, campaigns: list, recording_ids: Collection[int]) -> dict:
    return {
        "terms": [
            {
                "campaign": campaign.name,
                "license": campaign.dataset_license,
                "terms_of_use": campaign.terms_of_use.strip(),
                "convention": campaign.get_convention_display(),
                "rules": convention_rules(campaign.convention),
                "agreement": _agreement(campaign),
            }
            for campaign in campaigns
        ],
        "reviews": review_figures(recording_ids),
    }


def convention_rules(convention: str) -> list[str]:
    """The convention's rules as its checker module states them (its docstring's lines)."""
    checker = CHECKERS[convention or "plain"]
    doc = (sys.modules[checker.__module__].__doc__ or "").strip()
    return [" ".join(line.split()) for line in doc.split("\n- ")]


def _agreement(campaign) -> dict:
    figures = double_agreement(campaign=campaign)
    return {"pairs": figures["pairs"], "cer": figures["cer"]}


def review_figures(recording_ids: Collection[int]) -> dict:
    """Reviewed clips and their decisions: the counts Common Voice's up/down votes come from."""
    decision = TranscriptRevision.Decision
    reviews = TranscriptRevision.objects.filter(
        recording_id__in=among(recording_ids), kind=TranscriptRevision.Kind.REVIEW
    )
    counts = reviews.aggregate(
        approvals=Count("pk", filter=Q(decision__in=[decision.APPROVED, decision.EDITED])),
        returns=Count("pk", filter=Q(decision=decision.RETURNED)),
    )
    reviewed = reviews.values("recording_id").distinct().count()
    return {"clips": len(recording_ids), "reviewed_clips": reviewed} | counts


def terms_markdown(context: dict) -> list[str]:
    lines = ["## Licence and terms of use", ""]
    for terms in context["terms"]:
        lines += [f"- {terms['campaign']}: licence: {terms['license']}."]
        if terms["terms_of_use"]:
            lines += [f"  Terms of use: {' '.join(terms['terms_of_use'].split())}"]
    lines += ["", "## Transcription conventions", ""]
    for terms in context["terms"]:
        lines += [f"{terms['campaign']}: {terms['convention']}.", ""]
        lines += [f"- {rule}" for rule in terms["rules"]] + [""]
    lines += ["## Double-transcription agreement", ""]
    for terms in context["terms"]:
        pairs, cer = terms["agreement"]["pairs"], terms["agreement"]["cer"]
        shown = "n/a" if cer is None else f"{cer:g}"
        lines += [f"- {terms['campaign']}: {pairs} double-transcribed clips, pooled CER {shown}."]
    reviews = context["reviews"]
    lines += [
        "",
        "## Review decisions",
        "",
        f"{reviews['reviewed_clips']} of {reviews['clips']} clips were reviewed: "
        f"{reviews['approvals']} approvals and {reviews['returns']} returns. Common Voice's "
        "`up_votes` and `down_votes` count these per clip; an unreviewed clip has 0 and 0.",
        "",
        "Common Voice `client_id` and clip names are salted per version: they are not stable "
        "across versions, so a speaker cannot be linked between them by those ids.",
        "",
    ]
    return lines
