"""What the API answers when PostgreSQL fails a transaction so that another can go on."""

import json
import threading

import pytest
from django.db import OperationalError, connection, connections, transaction

from labelhub.accounts.models import Organisation
from labelhub.api_errors import exception_handler
from tests.factories import OrganisationFactory


def a_real_deadlock() -> OperationalError:
    """Two transactions that lock two rows in opposite orders: PostgreSQL fails one."""
    first, second = OrganisationFactory(), OrganisationFactory()
    both_hold_one = threading.Barrier(2)
    failures: list[OperationalError] = []

    def lock(one: int, other: int) -> None:
        try:
            with transaction.atomic():
                Organisation.objects.select_for_update().get(pk=one)
                both_hold_one.wait(timeout=10)
                Organisation.objects.select_for_update().get(pk=other)
        except OperationalError as error:
            failures.append(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=lock, args=(first.pk, second.pk)),
        threading.Thread(target=lock, args=(second.pk, first.pk)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(failures) == 1
    return failures[0]


@pytest.mark.django_db(transaction=True)
def test_a_deadlock_is_a_503_that_says_try_again_not_a_500() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("a deadlock needs PostgreSQL's row locks")
    response = exception_handler(a_real_deadlock(), {})

    assert response is not None
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    body = response.data
    assert body["error"]["code"] == "retry"
    assert "Try again" in json.dumps(body)


@pytest.mark.django_db
def test_other_database_errors_are_left_to_the_500_page() -> None:
    assert exception_handler(OperationalError("the server closed the connection"), {}) is None
