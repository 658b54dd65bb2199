"""Identifiers safe by construction: whatever the identifier pattern lets through, every format
writes; what it refuses is refused when created; rows stored before the check stop a release
up front with the codes listed, never after a long build."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelhub.errors import DomainError
from labelhub.releases.archive import speaker_key
from labelhub.releases.formats import export_files
from labelhub.releases.models import Release
from labelhub.validation import prefix_clash, speaker_code_problem
from tests.factories import (
    CampaignFactory,
    ConsentDocumentFactory,
    ConsentRecordFactory,
    SpeakerFactory,
)
from tests.releases.helpers import approved_clip, build
from tests.releases.test_formats import make_item

ALPHABET = "abcdefgABCXYZ0123456789_.-"
codes = st.text(alphabet=ALPHABET, min_size=1, max_size=24).filter(
    lambda code: speaker_code_problem(code) is None
)


def consented(campaign, code: str):
    return ConsentRecordFactory(speaker__campaign=campaign, speaker__code=code).speaker


@settings(max_examples=60, deadline=None)
@given(st.lists(codes, min_size=1, max_size=4, unique=True), st.booleans())
def test_every_format_writes_any_speaker_codes_the_pattern_accepts(found, pooled) -> None:
    accepted: list[str] = []
    for code in found:  # what speaker creation lets in: no code another's prefix plus "-"
        if prefix_clash(code, accepted) is None:
            accepted.append(code)
    items = [
        make_item(split, speaker_key(code, 12, pooled=pooled), "female", "20s", f"hi {split}")
        for code in accepted
        for split in ("train", "dev", "test")
    ]

    files = export_files(items, salt="salt")

    assert any(name.startswith("kaldi/") for name in files)


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["../../x", "SPK 01", "SPK-test", "a..b", "SPK\t1"])
def test_a_speaker_code_that_would_break_a_release_is_refused_at_creation(
    api_for, pm, code
) -> None:
    document = ConsentDocumentFactory()
    response = api_for(pm).post(
        f"/api/campaigns/{document.campaign_id}/speakers/",
        {
            "code": code,
            "age_band": "30s",
            "gender": "female",
            "consent_document": document.pk,
            "consent_method": "web_signature",
        },
        format="json",
    )

    assert response.status_code == 400 and response.json()["error"]["message"]
    assert not document.campaign.speakers.exists()


@pytest.mark.django_db
def test_a_code_that_is_another_plus_a_dash_is_refused(api_for, pm) -> None:
    document = ConsentDocumentFactory()
    SpeakerFactory(campaign=document.campaign, code="SEOUL")
    body = {"code": "SEOUL-7", "age_band": "30s", "gender": "female"}
    body |= {"consent_document": document.pk, "consent_method": "web_signature"}

    response = api_for(pm).post(
        f"/api/campaigns/{document.campaign_id}/speakers/", body, format="json"
    )

    assert response.status_code == 400 and "SEOUL" in response.json()["error"]["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["../x", "SPK 01", "dev"])
def test_an_invite_with_a_bad_speaker_code_is_refused(api_for, pm, code) -> None:
    campaign = CampaignFactory(status="active")

    response = api_for(pm).post(
        f"/api/campaigns/{campaign.pk}/invites/", {"speaker_code": code}, format="json"
    )

    assert response.status_code == 400
    assert not campaign.invites.exists()


@pytest.mark.django_db
def test_a_release_of_a_campaign_with_bad_stored_codes_is_refused_listing_them(api_for, pm):
    campaign = CampaignFactory()
    for code in ("../../x", "SPK 01", "OK-1"):
        # Stored before codes were checked: save() does not validate.
        approved_clip(campaign, speaker=consented(campaign, code))

    response = api_for(pm).post(
        "/api/releases/", {"campaign": campaign.pk, "client": campaign.client_id}, format="json"
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "bad_identifiers"
    assert "../../x, SPK 01" in error["message"] and "OK-1" not in error["message"]
    assert not Release.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("split", ["../up", "a b", "kaldi", "originals"])
def test_a_split_name_no_format_can_write_is_refused_up_front(split) -> None:
    campaign = CampaignFactory()

    with pytest.raises(DomainError) as refused:
        build(campaign, split_ratios={split: 1.0})

    assert refused.value.code == "bad_split_ratios"


@pytest.mark.django_db
def test_codes_from_the_pattern_build_a_release_in_every_format() -> None:
    campaign = CampaignFactory()
    for code in ("A.1", "b_2", "C-3", "9z"):
        approved_clip(campaign, speaker=consented(campaign, code))

    release = build(campaign)  # every format is written into each release

    assert release.item_count == 4
