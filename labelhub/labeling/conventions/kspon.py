"""`kspon`: the ETRI KsponSpeech transcription conventions (Korean spontaneous speech).

What is checked, following the KsponSpeech transcription guide:
- dual transcription `(spelling)/(pronunciation)`: both parts non-empty, the pronunciation part
  written as spoken (Hangul, no digits or symbols); parentheses serve nothing else;
- noise tags `b/` breath, `l/` laughter, `o/` other voices, `n/` noise, `u/` unintelligible as
  whole words, and no other Latin letter tag; fillers are a Hangul word with `/` (`음/`, `어/`);
- `*` after (or as) an unclear word, `+` after a repeated word, never inside one;
- numbers written as spoken: digits only inside the spelling part of a dual transcription;
- nothing else: Latin words go in a dual transcription; symbols other than . , ? ! are stray.
"""

import re

from django.utils.translation import gettext_lazy as _

from labelhub.labeling.conventions.base import ConventionIssue

NOISE_TAGS = frozenset("blonu")
_DUAL = re.compile(r"\(([^()]*)\)/\(([^()]*)\)")
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_PUNCTUATION = ".,?!"
_TOKEN = re.compile(r"\S+")


def _is_hangul(text: str) -> bool:
    return bool(text) and all(_HANGUL.match(char) for char in text)


def check_kspon(text: str) -> list[ConventionIssue]:
    issues = _check_parentheses(text)
    if issues:
        return issues  # the rest reads the groups; unbalanced ones would only add noise
    covered = [" "] * len(text)
    plain = list(text)
    for match in _DUAL.finditer(text):
        issues += _check_dual(match)
        for index in range(match.start(), match.end()):
            plain[index], covered[index] = " ", "x"
    for match in re.finditer(r"\(", "".join(plain)):
        close = text.index(")", match.start())
        issues.append(
            ConventionIssue(
                "paren_not_dual",
                _("Parentheses are only for a dual transcription: (spelling)/(pronunciation)."),
                match.start(),
                close + 1,
            )
        )
        for index in range(match.start(), close + 1):
            plain[index] = " "
    for token in _TOKEN.finditer("".join(plain)):
        issues += _check_token(token.group(), token.start())
    return issues


def _check_parentheses(text: str) -> list[ConventionIssue]:
    opened: int | None = None
    for index, char in enumerate(text):
        if char == "(":
            if opened is not None:
                return [
                    ConventionIssue("paren_nested", _("Parentheses cannot nest."), index, index + 1)
                ]
            opened = index
        elif char == ")":
            if opened is None:
                return [
                    ConventionIssue(
                        "paren_unbalanced",
                        _("A closing parenthesis without an opening one."),
                        index,
                        index + 1,
                    )
                ]
            opened = None
    if opened is not None:
        return [
            ConventionIssue(
                "paren_unbalanced", _("This parenthesis is never closed."), opened, opened + 1
            )
        ]
    return []


def _check_dual(match: re.Match) -> list[ConventionIssue]:
    spelling, spoken = match.group(1), match.group(2)
    if not spelling.strip() or not spoken.strip():
        return [
            ConventionIssue(
                "dual_empty",
                _("Both parts of a dual transcription need text: (spelling)/(pronunciation)."),
                match.start(),
                match.end(),
            )
        ]
    issues = []
    start = match.start(2)
    for offset, char in enumerate(spoken):
        if char.isspace() or char in _PUNCTUATION or _HANGUL.match(char):
            continue
        message = (
            _("Write the pronunciation as spoken: no digits.")
            if char.isdigit()
            else _("Write the pronunciation in Hangul, as spoken.")
        )
        issues.append(ConventionIssue("dual_spoken", message, start + offset, start + offset + 1))
    return issues


def _check_token(token: str, start: int) -> list[ConventionIssue]:
    body = token.rstrip(_PUNCTUATION)
    if body.endswith("/"):
        tag_issues = _check_tag(body, start)
        if tag_issues is not None:
            return tag_issues
    if body == "*":
        return []
    word = body.rstrip("*+")
    if not word and body:
        return [
            ConventionIssue(
                "lonely_mark",
                _("+ marks a repeated word: put it right after the word."),
                start,
                start + len(body),
            )
        ]
    return _check_word(word, start)


def _check_tag(body: str, start: int) -> list[ConventionIssue] | None:
    """A token ending in "/": a noise tag or a filler (no issue), an unknown Latin tag (one
    issue), or None when it is no tag and is checked as a word."""
    tag = body[:-1]
    if len(tag) == 1 and tag in NOISE_TAGS:
        return []
    if _is_hangul(tag):
        return []  # a filler word: 음/ 어/ 그/
    if tag.isascii() and tag.isalpha():
        return [
            ConventionIssue(
                "unknown_tag",
                _(
                    "Unknown tag: use b/ (breath), l/ (laughter), o/ (other voice), "
                    "n/ (noise) or u/ (unintelligible)."
                ),
                start,
                start + len(body),
            )
        ]
    return None


def _check_word(word: str, start: int) -> list[ConventionIssue]:
    """One issue for each run of digits, of Latin letters, or each stray symbol in the word."""
    issues = []
    index = 0
    while index < len(word):
        char = word[index]
        if _HANGUL.match(char):
            index += 1
            continue
        run_end = index + 1
        kind = "digit" if char.isdigit() else "latin" if char.isascii() and char.isalpha() else ""
        if kind:
            while run_end < len(word) and (
                word[run_end].isdigit()
                if kind == "digit"
                else word[run_end].isascii() and word[run_end].isalpha()
            ):
                run_end += 1
        message = {
            "digit": _("Write numbers as spoken, or as a dual transcription (3)/(세)."),
            "latin": _("Write foreign words as spoken in Hangul, or as a dual transcription."),
            "": _("Stray symbol: only . , ? ! and the convention's marks are allowed."),
        }[kind]
        code = {"digit": "digit", "latin": "latin", "": "stray_symbol"}[kind]
        issues.append(ConventionIssue(code, message, start + index, start + run_end))
        index = run_end
    return issues
