"""A release is delivered only to its campaigns' client: refused at creation on every path,
and, as defence in depth, never served if a row says otherwise."""

import pytest
from django.test import Client

from labelhub.accounts.models import Organisation, User
from labelhub.releases.delivery import download_url_make
from labelhub.releases.models import DownloadEvent, Release
from labelhub.releases.services import release_build, release_create
from labelhub.releases.spec import WrongClient
from tests.factories import CampaignFactory, OrganisationFactory, UserFactory
from tests.releases.helpers import approved_clip, build, release_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme_campaign():
    campaign = CampaignFactory(name="TV commands", client__name="Acme")
    approved_clip(campaign, "volume up")
    return campaign


@pytest.fixture
def other_client() -> Organisation:
    return OrganisationFactory(name="Other Client Co")


def signed_in(user: User) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def misdirected(campaign, client: Organisation) -> Release:
    """A published release of the campaign whose row names another client, as one written
    around release_create (an old bug, a manual fix in the database) would."""
    release = build(campaign)
    Release.objects.filter(pk=release.pk).update(client=client)
    release.refresh_from_db()
    return release


def test_the_api_refuses_a_release_for_another_client_naming_both(
    api_for, acme_campaign, other_client
) -> None:
    response = api_for(UserFactory(role=User.Role.PM)).post(
        "/api/releases/", {"campaign": acme_campaign.pk, "client": other_client.pk}, format="json"
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "wrong_client"
    assert "Acme" in error["message"] and "Other Client Co" in error["message"]
    assert not Release.objects.exists()


def test_the_service_refuses_another_client_whoever_calls_it(acme_campaign, other_client) -> None:
    with pytest.raises(WrongClient):
        release_create(
            campaign=acme_campaign, client=other_client, created_by=UserFactory(role=User.Role.PM)
        )

    assert not Release.objects.exists()


def test_the_portal_form_refuses_another_client_on_its_field(acme_campaign, other_client) -> None:
    form = {"campaign": acme_campaign.pk, "client": other_client.pk}
    form |= {"approved_only": "on", "train": 0.8, "dev": 0.1, "test": 0.1, "seed": 0}

    response = signed_in(UserFactory(role=User.Role.PM)).post("/portal/manage/new/", form)

    assert response.status_code == 200
    assert "Other Client Co" in response.content.decode()
    assert not Release.objects.exists()


def test_extra_campaigns_of_another_client_are_refused_by_the_same_check(
    api_for, acme_campaign, other_client
) -> None:
    foreign = CampaignFactory(client=other_client)

    response = api_for(UserFactory(role=User.Role.PM)).post(
        "/api/releases/",
        {"campaign": acme_campaign.pk, "spec": {"extra_campaigns": [foreign.pk]}},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "wrong_client"
    assert "extra_campaigns" in response.json()["error"]["message"]
    assert not Release.objects.exists()


def test_the_campaigns_own_client_still_gets_its_release(api_for, acme_campaign) -> None:
    response = api_for(UserFactory(role=User.Role.PM)).post(
        "/api/releases/",
        {"campaign": acme_campaign.pk, "client": acme_campaign.client_id},
        format="json",
    )

    assert response.status_code == 201
    assert Release.objects.get().client == acme_campaign.client


def test_a_misdirected_release_is_invisible_to_the_client_it_names(
    api_for, acme_campaign, other_client
) -> None:
    release = misdirected(acme_campaign, other_client)
    api = api_for(UserFactory(role=User.Role.CLIENT, organisation=other_client))

    assert api.get("/api/releases/").json() == []
    for tail in ("", "download/", "download-url/", "datasheet/", "changes/"):
        assert api.get(f"/api/releases/{release.pk}/{tail}").status_code == 404
    assert not DownloadEvent.objects.exists()


@pytest.mark.parametrize("tail", ["download/", "download-url/", "datasheet/"])
def test_a_misdirected_release_is_delivered_to_nobody_even_a_pm(
    api_for, acme_campaign, other_client, tail
) -> None:
    release = misdirected(acme_campaign, other_client)

    response = api_for(UserFactory(role=User.Role.PM)).get(f"/api/releases/{release.pk}/{tail}")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "wrong_client"
    assert not DownloadEvent.objects.exists()


def test_a_signed_link_to_a_misdirected_release_serves_nothing(acme_campaign, other_client) -> None:
    release = misdirected(acme_campaign, other_client)
    pm = UserFactory(role=User.Role.PM)
    path, _ttl = download_url_make(release=release, user_id=pm.pk)

    response = Client().get(path)

    assert response.status_code == 403
    assert not DownloadEvent.objects.exists()


@pytest.mark.parametrize("page", ["download/", "datasheet/"])
def test_the_portal_delivers_no_misdirected_release(acme_campaign, other_client, page) -> None:
    release = misdirected(acme_campaign, other_client)

    response = signed_in(UserFactory(role=User.Role.PM)).get(f"/portal/{release.pk}/{page}")

    assert response.status_code == 302
    assert response["Location"] == f"/portal/{release.pk}/"
    assert not DownloadEvent.objects.exists()


def test_the_changelog_never_compares_against_another_clients_release(
    acme_campaign, other_client
) -> None:
    misdirected(acme_campaign, other_client)

    release = build(acme_campaign)

    assert release.version == 2
    assert release.previous is None
    assert release_json(release)["changelog"]["against_version"] is None


def test_the_changelog_compares_against_the_same_clients_previous_version(
    acme_campaign,
) -> None:
    first = build(acme_campaign)
    approved_clip(acme_campaign, "volume down")

    second = release_build(
        release_id=release_create(
            campaign=acme_campaign,
            client=acme_campaign.client,
            created_by=UserFactory(role=User.Role.PM),
        ).pk
    )

    assert second.previous == first
