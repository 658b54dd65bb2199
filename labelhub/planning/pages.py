"""A refusal in words, for the planning pages' forms (a rejected file reads as its reason)."""

from labelhub.pages import refusal_message
from labelhub.recordings.audio import AudioRejected


def refusal_text(error: Exception) -> str:
    """One line for the page: a service's refusal, a rejected file, or a model's validation."""
    if isinstance(error, AudioRejected):
        return error.reason
    return refusal_message(error)
