"""The menu offers each role exactly the pages its guards let it open."""

import pytest
from django.test import Client

from labelhub.accounts.models import User
from labelhub.navigation import nav_items
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Every page a menu could offer: none may be missing from a role that may open it.
MENU_PAGES = ["/campaigns/", "/analytics/", "/work/", "/work/review/", "/work/triage/", "/portal/"]
EXPECTED = {
    User.Role.PM: MENU_PAGES,
    User.Role.REVIEWER: ["/work/", "/work/review/"],
    User.Role.LABELER: ["/work/"],
    User.Role.CLIENT: ["/portal/"],
}


def _opens(client: Client, url: str) -> bool:
    status = client.get(url).status_code
    assert status in (200, 403), (url, status)
    return status == 200


@pytest.mark.parametrize("role", list(EXPECTED))
def test_the_menu_lists_exactly_the_pages_the_role_may_open(client, role) -> None:
    user = UserFactory(role=role)
    client.force_login(user)

    offered = [item.url for item in nav_items(user)]

    assert offered == EXPECTED[role]
    assert [url for url in MENU_PAGES if _opens(client, url)] == offered


@pytest.mark.parametrize("role", list(EXPECTED))
def test_the_rendered_menu_is_the_role_menu(client, role) -> None:
    client.force_login(UserFactory(role=role))

    page = client.get("/accounts/login/").content.decode()
    nav = page[page.index("<nav>") : page.index("</nav>")]

    for url in MENU_PAGES:
        assert (f'href="{url}"' in nav) == (url in EXPECTED[role]), url
    assert "/admin/" not in nav


def test_administration_is_offered_to_staff_accounts_only(client) -> None:
    staff = UserFactory(role=User.Role.PM, is_staff=True)
    client.force_login(staff)

    assert nav_items(staff)[-1].url == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert "/admin/" not in [item.url for item in nav_items(UserFactory(role=User.Role.PM))]


def test_a_visitor_gets_no_menu(client) -> None:
    page = client.get("/").content.decode()

    assert page[page.index("<nav>") : page.index("</nav>")].count("<a ") == 1  # the brand only
