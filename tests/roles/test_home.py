"""Home sends each role to its own work; a PM's home lists what needs them, per campaign."""

from datetime import timedelta

import pytest
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.campaigns.models import Campaign
from labelhub.labeling.models import Task
from labelhub.recordings.models import Recording
from tests.factories import (
    CampaignFactory,
    LegalReviewFactory,
    RecordingFactory,
    TaskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "target"),
    [
        (User.Role.LABELER, "/work/"),
        (User.Role.REVIEWER, "/work/review/"),
        (User.Role.CLIENT, "/portal/"),
    ],
)
def test_labelers_reviewers_and_clients_land_on_their_work(client, role, target) -> None:
    client.force_login(UserFactory(role=role))

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == target
    assert client.get(target).status_code == 200  # the page they land on opens for them


def test_a_visitor_gets_the_introduction_without_admin_or_api_links(client) -> None:
    page = client.get("/").content.decode()

    assert "Voice data, from consent to delivery" in page
    assert "/admin/" not in page
    assert 'href="/api/"' not in page
    assert 'href="/accounts/login/"' in page


def test_a_pm_home_lists_what_needs_attention_with_links(client) -> None:
    pm = UserFactory(role=User.Role.PM)
    unsigned = CampaignFactory(name="서명 대기", status=Campaign.Status.LEGAL_REVIEW)
    LegalReviewFactory(campaign=unsigned)
    busy = CampaignFactory(name="진행 중", status=Campaign.Status.ACTIVE)
    CampaignFactory(name="끝난 캠페인", status=Campaign.Status.CLOSED)
    past = timezone.now() - timedelta(minutes=5)
    TaskFactory(recording=RecordingFactory(campaign=busy), assignee=pm, lease_expires_at=past)
    TaskFactory(recording=RecordingFactory(campaign=busy), status=Task.Status.SUBMITTED)
    TaskFactory(recording=RecordingFactory(campaign=busy), status=Task.Status.SUBMITTED)
    RecordingFactory(campaign=busy, status=Recording.Status.REJECTED)
    client.force_login(pm)

    response = client.get("/")
    page = response.content.decode()

    assert response.status_code == 200
    assert "끝난 캠페인" not in page  # closed campaigns need nothing
    rows = {row.campaign.name: row for row in response.context["attention"]}
    assert rows["서명 대기"].awaiting_sign_off
    assert (rows["진행 중"].expired_leases, rows["진행 중"].awaiting_review) == (1, 2)
    assert rows["진행 중"].rejected_recordings == 1
    assert not rows["진행 중"].awaiting_sign_off
    assert f'href="/work/queue/{busy.pk}/"' in page
    assert f'href="/campaigns/{busy.pk}/recordings/"' in page
    assert f'href="/campaigns/{unsigned.pk}/"' in page
    assert 'href="/work/review/"' in page


def test_a_signed_campaign_in_legal_review_is_not_awaiting_sign_off(client) -> None:
    pm = UserFactory(role=User.Role.PM)
    campaign = CampaignFactory(status=Campaign.Status.LEGAL_REVIEW)
    LegalReviewFactory(campaign=campaign, signed_off_by=pm, signed_off_at=timezone.now())
    client.force_login(pm)

    [row] = client.get("/").context["attention"]

    assert not row.awaiting_sign_off


def test_a_pm_home_costs_a_fixed_number_of_queries(client, django_assert_max_num_queries) -> None:
    pm = UserFactory(role=User.Role.PM)
    for _ in range(5):
        campaign = CampaignFactory(status=Campaign.Status.ACTIVE)
        TaskFactory(recording=RecordingFactory(campaign=campaign), status=Task.Status.SUBMITTED)
    client.force_login(pm)

    with django_assert_max_num_queries(12):
        assert client.get("/").status_code == 200
