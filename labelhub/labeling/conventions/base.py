from dataclasses import asdict, dataclass


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
    message: str
    start: int
    end: int
    fix: Fix | None = None

    def as_json(self) -> dict:
        return {**asdict(self), "message": str(self.message)}
