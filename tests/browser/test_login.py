import pytest

from labelhub.accounts.models import User
from tests.factories import UserFactory


@pytest.mark.django_db(transaction=True)
def test_a_labeler_signs_in_and_sees_the_workbench_link(page) -> None:
    user = UserFactory(role=User.Role.LABELER, username="mina")
    user.set_password("a-long-test-password")
    user.save()

    page.goto("/accounts/login/")
    page.fill("#id_username", "mina")
    page.fill("#id_password", "a-long-test-password")
    page.click("button[type=submit]")

    assert page.locator("header .session span").inner_text() == "mina"
    assert page.locator("header nav a", has_text="Workbench").count() == 1
    assert page.locator("header nav a", has_text="Campaigns").count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_wrong_password_is_refused_with_a_message(page) -> None:
    UserFactory(username="mina")

    page.goto("/accounts/login/")
    page.fill("#id_username", "mina")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")

    assert page.locator("p.error[role=alert]").is_visible()
