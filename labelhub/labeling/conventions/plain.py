"""`plain`: normalised text, one line, single spaces, no markup."""

import re

from django.utils.translation import gettext_lazy as _

from labelhub.labeling.conventions.base import ConventionIssue

_RULES = [
    (re.compile(r"[\t\r\n]+"), "line_break", _("Write the transcript on one line.")),
    (re.compile(r" {2,}"), "double_space", _("Use a single space between words.")),
    (re.compile(r"<[^>]*>"), "markup", _("Markup tags are not part of a plain transcript.")),
    (re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"), "control", _("Invisible control character.")),
]


def check_plain(text: str) -> list[ConventionIssue]:
    if not text.strip():
        return [
            ConventionIssue("empty", _("The transcript is empty; skip the clip instead."), 0, 0)
        ]
    issues = []
    for pattern, code, message in _RULES:
        issues += [
            ConventionIssue(code, message, m.start(), m.end()) for m in pattern.finditer(text)
        ]
    return issues
