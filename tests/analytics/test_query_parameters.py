"""Query parameters of the analytics pages: a bad one is a readable 400, never a 500."""

import pytest

from tests.factories import CampaignFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_unknown_clip_list_format_is_refused_by_name(client) -> None:
    client.force_login(UserFactory())
    campaign = CampaignFactory()

    response = client.get(f"/analytics/{campaign.pk}/clips/", {"format": "xlsx"})

    assert response.status_code == 400 and "format" in response.content.decode()
