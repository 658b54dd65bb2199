"""The checks every input passes before it is stored: text, identifiers and query parameters.

Text: PostgreSQL text cannot hold NUL, and the other C0 controls (all but tab, CR and LF) and
lone surrogates break CSV, TSV and Kaldi files and UTF-8 encoding later. They are refused at the
door with the field named, never stored.

Identifiers: anything that later becomes a path, a Kaldi id, a file name or a CSV key matches
:data:`IDENTIFIER_PATTERN`, checked when it is created, so a release never fails late on a value
a form accepted.
"""

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from labelhub.errors import DomainError
from labelhub.releases.formats.audiofolder import looks_like_split

# C0 controls except tab (09), LF (0A) and CR (0D); surrogates only reach a str unpaired.
_BAD_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")

# Letters, digits, "_", "-" and "."; starting with a letter or digit; no ".."; 1–64 characters.
# Safe as a folder or file name on every OS, as a Kaldi id (no whitespace, no leading "~") and
# as a TSV or CSV key (no separators, quotes or line breaks).
IDENTIFIER_MAX_LENGTH = 64
IDENTIFIER_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
IDENTIFIER_RULE = gettext_lazy(
    "use 1 to 64 letters, digits, '_', '-' or '.', starting with a letter or digit, without '..'"
)


class InvalidText(DomainError):
    code = "control_character"


class InvalidParameter(DomainError):
    code = "invalid_parameter"

    def __init__(self, message: str, *, parameter: str) -> None:
        super().__init__(message)
        self.extra = {"parameter": parameter}


def bad_character(value: str) -> str | None:
    """The first forbidden character of value, written as U+XXXX, or None when it is clean."""
    match = _BAD_CHARACTER.search(value)
    return f"U+{ord(match.group()):04X}" if match else None


def printable(value: str) -> str:
    """value with each forbidden character written as an escape: safe to store and to show."""
    return _BAD_CHARACTER.sub(lambda match: f"\\u{ord(match.group()):04x}", value)


def text_problem(value: str, *, field: str) -> str | None:
    """A readable reason why value may not be stored as text, or None."""
    found = bad_character(value)
    if found is None:
        return None
    return _("%(field)s: contains the control character %(char)s, which is not allowed") % {
        "field": printable(field),
        "char": found,
    }


def _walk(data: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, Mapping):
        for key, value in data.items():
            name = f"{path}.{key}" if path else str(key)
            if isinstance(key, str):
                yield name, key
            yield from _walk(value, name)
    elif isinstance(data, list | tuple):
        for index, value in enumerate(data):
            yield from _walk(value, f"{path}[{index}]" if path else f"[{index}]")


def first_text_problem(data: Any, *, field: str = "") -> str | None:
    """Walks strings, keys included, in nested dicts and lists; the first problem found."""
    for name, value in _walk(data, field):
        problem = text_problem(value, field=name or "body")
        if problem:
            return problem
    return None


def identifier_problem(value: str) -> str | None:
    """Why value is not a safe identifier, or None."""
    if not IDENTIFIER_PATTERN.fullmatch(value) or ".." in value:
        return _("'%(value)s' is not a valid identifier: %(rule)s") % {
            "value": printable(value)[:80],
            "rule": IDENTIFIER_RULE,
        }
    return None


def speaker_code_problem(value: str) -> str | None:
    """Identifier rules, and no split keyword: a speaker code becomes a folder under a split."""
    problem = identifier_problem(value)
    if problem is None and looks_like_split(value):
        problem = _(
            "'%(value)s' contains a split name (train, dev, test…) that dataset loaders would "
            "read as a split of its own"
        ) % {"value": value}
    return problem


def prefix_clash(code: str, others: Iterable[str]) -> str | None:
    """The first other code that is code + "-" + more, or the reverse.

    Kaldi utterance ids are "<speaker>-<item>": "A-<uuid>" and "A-B-<uuid>" interleave when
    sorted, which Kaldi's validate_data_dir.sh refuses, so two such codes cannot share a release.
    """
    for other in others:
        if other != code and (other.startswith(code + "-") or code.startswith(other + "-")):
            return other
    return None


def validate_identifier(value: str) -> None:
    """Django/DRF field validator for :data:`IDENTIFIER_PATTERN`."""
    problem = identifier_problem(value)
    if problem:
        raise ValidationError(problem, code="invalid_identifier")


def validate_speaker_code(value: str) -> None:
    problem = speaker_code_problem(value)
    if problem:
        raise ValidationError(problem, code="invalid_identifier")


# --- query parameters ----------------------------------------------------------------------------

_MAX_ID = 2**63 - 1  # PostgreSQL bigint


def _invalid(name: str, reason: str) -> InvalidParameter:
    return InvalidParameter(
        _("query parameter %(name)s: %(reason)s") % {"name": name, "reason": reason},
        parameter=name,
    )


def query_text(params: Mapping[str, str], name: str, default: str = "") -> str:
    value = params.get(name)
    if value is None:
        return default
    return check_query_text(name, value)


def check_query_text(name: str, value: str) -> str:
    found = bad_character(value)
    if found:
        raise _invalid(name, _("contains the control character %(char)s") % {"char": found})
    return value


def query_id(params: Mapping[str, str], name: str, *, required: bool = False) -> int | None:
    """A database id from the query string: a positive integer, or None when absent."""
    value = query_text(params, name).strip()
    if not value:
        if required:
            raise _invalid(name, _("is required"))
        return None
    if not value.isascii() or not value.isdigit() or not 0 < int(value) <= _MAX_ID:
        reason = _("'%(value)s' is not an id (a positive whole number)") % {"value": value[:40]}
        raise _invalid(name, reason)
    return int(value)


def query_choice(params: Mapping[str, str], name: str, choices: list[str], default: str) -> str:
    """One of choices, or default when absent or empty."""
    value = query_text(params, name)
    if not value:
        return default
    if value not in choices:
        raise _invalid(name, _("use one of %(choices)s") % {"choices": ", ".join(choices)})
    return value
