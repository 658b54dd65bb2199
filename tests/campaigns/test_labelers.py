"""Who works on a campaign: the `labelers` field of the planning API and the admin."""

import pytest
from django.test import Client

from labelhub.accounts.models import User
from labelhub.campaigns.models import Campaign
from tests.factories import CampaignFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_pm_lists_the_labelers_and_reviewers_of_a_campaign(api_for, pm, labeler) -> None:
    reviewer = UserFactory(role=User.Role.REVIEWER)
    created = api_for(pm).post(
        "/api/campaigns/",
        {
            "name": "Busan elders",
            "client": OrganisationFactory().pk,
            "language": "ko",
            "labelers": [labeler.pk],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    campaign_id = created.json()["id"]
    assert created.json()["labelers"] == [labeler.pk]

    changed = api_for(pm).patch(
        f"/api/campaigns/{campaign_id}/", {"labelers": [reviewer.pk, labeler.pk]}, format="json"
    )

    assert changed.status_code == 200, changed.json()
    assert sorted(changed.json()["labelers"]) == sorted([labeler.pk, reviewer.pk])
    assert set(Campaign.objects.get(pk=campaign_id).labelers.all()) == {labeler, reviewer}
    listed = api_for(pm).get("/api/campaigns/").json()
    assert sorted(listed[0]["labelers"]) == sorted([labeler.pk, reviewer.pk])


def test_someone_outside_the_labeling_staff_is_refused_and_nothing_stored(
    api_for, pm, labeler
) -> None:
    campaign = CampaignFactory()
    campaign.labelers.set([labeler])
    buyer = UserFactory(role=User.Role.CLIENT, username="acme-buyer")

    response = api_for(pm).patch(
        f"/api/campaigns/{campaign.pk}/",
        {"name": "renamed", "labelers": [labeler.pk, buyer.pk]},
        format="json",
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and "labelers" in error["message"]
    assert "acme-buyer" in error["message"]
    campaign.refresh_from_db()
    assert campaign.name != "renamed" and list(campaign.labelers.all()) == [labeler]


def test_an_unknown_user_id_is_a_400(api_for, pm) -> None:
    campaign = CampaignFactory()

    response = api_for(pm).patch(
        f"/api/campaigns/{campaign.pk}/", {"labelers": [987654]}, format="json"
    )

    assert response.status_code == 400
    assert "labelers" in response.json()["error"]["message"]


def test_only_a_pm_may_change_the_labelers(api_for, labeler) -> None:
    campaign = CampaignFactory()

    response = api_for(labeler).patch(
        f"/api/campaigns/{campaign.pk}/", {"labelers": [labeler.pk]}, format="json"
    )

    assert response.status_code == 403
    assert not campaign.labelers.exists()


def test_the_admin_offers_only_labelers_and_reviewers(labeler) -> None:
    reviewer = UserFactory(role=User.Role.REVIEWER, username="rev-kim")
    UserFactory(role=User.Role.CLIENT, username="acme-buyer")
    admin = Client()
    admin.force_login(UserFactory(is_staff=True, is_superuser=True, username="root-admin"))

    html = admin.get(f"/admin/campaigns/campaign/{CampaignFactory().pk}/change/").content.decode()

    assert 'name="labelers"' in html and "selectfilter" in html
    assert f">{labeler.username}<" in html and f">{reviewer.username}<" in html
    assert "acme-buyer" not in html
