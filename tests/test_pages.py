"""flash_outcome: the pages' one way to call a service and flash how it went."""

import pytest
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from labelhub.errors import DomainError
from labelhub.pages import flash_outcome


@pytest.fixture
def request_():
    request = RequestFactory().post("/")
    request._messages = CookieStorage(request)
    return request


def flashed(request) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in messages.get_messages(request)]


def test_a_call_that_goes_through_flashes_its_success(request_):
    assert flash_outcome(request_, lambda: 3, success="Saved.") is True
    assert flashed(request_) == [("success", "Saved.")]


def test_the_success_message_can_be_made_from_what_the_call_returned(request_):
    flash_outcome(request_, lambda: 3, success=lambda n: f"{n} saved.")
    assert flashed(request_) == [("success", "3 saved.")]


def test_a_call_without_a_success_message_flashes_nothing(request_):
    assert flash_outcome(request_, lambda: None) is True
    assert flashed(request_) == []


def test_a_refusal_flashes_the_services_message_and_no_success(request_):
    def refuse():
        raise DomainError("This clip is not waiting.", code="not_pending")

    assert flash_outcome(request_, refuse, success="Saved.") is False
    assert flashed(request_) == [("error", "This clip is not waiting.")]


def test_a_validation_error_is_flashed_only_where_the_page_expects_one(request_):
    def invalid():
        raise ValidationError({"signed_at": ["Must be in the past."]})

    refused = (DomainError, ValidationError)
    assert flash_outcome(request_, invalid, refused=refused) is False
    assert flashed(request_) == [("error", "signed_at: Must be in the past.")]
    with pytest.raises(ValidationError):
        flash_outcome(request_, invalid)


def test_any_other_error_is_a_bug_and_is_not_swallowed(request_):
    with pytest.raises(ZeroDivisionError):
        flash_outcome(request_, lambda: 1 / 0, success="Saved.")
