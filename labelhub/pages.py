"""What every server-rendered page does with a service call: run it, and flash how it went."""

from collections.abc import Callable
from typing import TypeVar

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from labelhub.errors import DomainError

T = TypeVar("T")


def refusal_message(error: Exception) -> str:
    """One line for a message or a form: a service's refusal, or a model's validation."""
    if isinstance(error, DomainError):
        return error.message
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        return "; ".join(f"{field}: {' '.join(errs)}" for field, errs in error.message_dict.items())
    return " ".join(getattr(error, "messages", [str(error)]))


def flash_outcome(
    request: HttpRequest,
    call: Callable[[], T],
    *,
    success: str | Callable[[T], str] | None = None,
    refused: tuple[type[Exception], ...] = (DomainError,),
) -> bool:
    """Calls the service; flashes `success` (a message, or one made from what the call
    returned) when it goes through, or the refusal it raised. True when it went through.

    Only the `refused` errors (a DomainError, unless the page also expects a model's
    ValidationError) become a message; anything else is a bug and stays a 500.
    """
    try:
        result = call()
    except refused as error:
        messages.error(request, refusal_message(error))
        return False
    if success is not None:
        messages.success(request, success(result) if callable(success) else success)
    return True
