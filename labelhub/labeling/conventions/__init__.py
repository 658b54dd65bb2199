"""Transcription conventions, pluggable per campaign (Campaign.convention names one).

A checker takes the text and returns every problem with its span, so the page can point at it
and the submit service can refuse the text. The server is the single source of truth: the page
asks POST /api/conventions/check/ as the labeler types.
"""

from collections.abc import Callable

from labelhub.labeling.conventions.base import ConventionIssue
from labelhub.labeling.conventions.kspon import check_kspon
from labelhub.labeling.conventions.plain import check_plain
from labelhub.labeling.conventions.policy import TranscriptPolicy, check_policy

Checker = Callable[[str], list[ConventionIssue]]

CHECKERS: dict[str, Checker] = {
    "plain": check_plain,
    "kspon": check_kspon,
}


def convention_check(
    *, convention: str, text: str, policy: TranscriptPolicy | None = None
) -> list[ConventionIssue]:
    """Every problem of the text under the named convention and the campaign's normalisation
    policy, in reading order."""
    try:
        checker = CHECKERS[convention or "plain"]
    except KeyError:
        raise ValueError(f"unknown transcription convention {convention!r}") from None
    issues = checker(text)
    if policy is not None and text.strip():
        issues += check_policy(text, policy)
    return sorted(issues, key=lambda issue: (issue.start, issue.end))


__all__ = ["CHECKERS", "ConventionIssue", "TranscriptPolicy", "convention_check"]
