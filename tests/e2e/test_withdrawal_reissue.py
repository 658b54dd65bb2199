"""A withdrawal reaches published data through real workers: the withdrawal's run supersedes
v1 (its old signed link answers 410) and a worker then builds and publishes v1.1 without them."""

from pathlib import Path

import pytest
from django.test import Client

from labelhub.releases.delivery import download_url_make
from labelhub.releases.models import Release
from labelhub.speakers.withdrawal import BY_PM, consent_withdraw
from tests.e2e.conftest import StartWorker
from tests.e2e.test_faults import wait_until
from tests.factories import CampaignFactory, UserFactory
from tests.releases.helpers import approved_clip, build

pytestmark = pytest.mark.e2e


def test_the_withdrawal_run_supersedes_v1_and_a_worker_publishes_v1_1_without_the_speaker(
    start_worker: StartWorker, media_root: Path
) -> None:
    campaign = CampaignFactory()
    stays = approved_clip(campaign, "stays")
    leaving = approved_clip(campaign, "leaves")
    v1 = build(campaign)
    link, _ = download_url_make(release=v1, user_id=UserFactory(role="pm").pk)
    start_worker()

    consent_withdraw(speaker=leaving.speaker, method=BY_PM)  # queues the worker's run on commit

    wait_until(
        lambda: Release.objects.filter(reissue_of=v1, status=Release.Status.PUBLISHED).exists(),
        timeout=90,
        what="the re-issue to be built by the worker",
    )
    v1.refresh_from_db()
    assert Client().get(link).status_code == 410
    reissue = v1.superseded_by
    assert reissue.label == "1.1"
    assert list(reissue.items.values_list("recording_id", flat=True)) == [stays.pk]
