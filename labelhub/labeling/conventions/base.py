from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class ConventionIssue:
    """One problem: a stable code, a translated message, and the span [start, end) it covers."""

    code: str
    message: str
    start: int
    end: int

    def as_json(self) -> dict:
        return {**asdict(self), "message": str(self.message)}
