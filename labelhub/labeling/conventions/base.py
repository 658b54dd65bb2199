from dataclasses import asdict, dataclass
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class Fix:
    """A one-click repair: replace [start, end) of the text with `replacement`."""

    start: int
    end: int
    replacement: str
    label: str


@dataclass(frozen=True)
class ConventionIssue:
    """One problem: a stable code, a translated message, and the span [start, end) it covers."""

    code: str
    message: str | Promise  # often a lazy translation, rendered in the reader's language
    start: int
    end: int
    fix: Fix | None = None

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "message": str(self.message)}
