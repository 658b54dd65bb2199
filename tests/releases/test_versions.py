"""Versions of a dataset: what each one holds, its changelog, flags and immutability."""

from datetime import timedelta

import pytest
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.campaigns.models import SpeechStyle
from labelhub.labeling.models import Task
from labelhub.recordings.models import Exclusion
from labelhub.releases.models import Release, ReleaseChange
from labelhub.releases.selectors import release_withdrawn_items
from labelhub.releases.services import release_build
from labelhub.speakers.models import Speaker
from tests.factories import (
    CampaignFactory,
    ConsentRecordFactory,
    QuotaCellFactory,
    UserFactory,
)
from tests.releases.helpers import (
    approved_clip,
    build,
    correct,
    release_json,
    texts_in,
)

pytestmark = pytest.mark.django_db


def test_a_speaker_withdrawn_between_versions_is_absent_from_v2_listed_removed_and_flags_v1(
    api_for,
) -> None:
    campaign = CampaignFactory()
    approved_clip(campaign, "stays")
    leaving = approved_clip(campaign, "leaves")
    v1 = build(campaign)
    assert texts_in(v1) == ["leaves", "stays"]

    # What the withdrawal flow leaves behind (built by the collection side).
    now = timezone.now()
    leaving.speaker.consents.update(withdrawn_at=now)
    Speaker.objects.filter(pk=leaving.speaker_id).update(withdrawn_at=now)
    v2 = build(campaign)

    assert texts_in(v2) == ["stays"]
    removed = v2.changes.get(kind=ReleaseChange.Kind.REMOVED)
    assert removed.recording_id == leaving.pk
    assert removed.reason == ReleaseChange.Reason.WITHDRAWN_CONSENT
    changelog = release_json(v2)["changelog"]
    assert changelog["against_version"] == 1
    assert changelog["removed"] == [
        {"recording_id": str(leaving.uid), "reason": "withdrawn_consent"}
    ]
    client = api_for(UserFactory(role=User.Role.CLIENT, organisation=campaign.client))
    v1_data = client.get(f"/api/releases/{v1.pk}/").json()
    assert (v1_data["flagged"], v1_data["withdrawn_items"]) == (True, 1)
    assert client.get(f"/api/releases/{v2.pk}/").json()["flagged"] is False
    withdrawn = client.get(f"/api/releases/{v1.pk}/withdrawn-items/").json()
    assert [(row["path"], row["recording_id"]) for row in withdrawn] == [
        (v1.items.get(recording=leaving).path, str(leaving.uid))
    ]
    listed = {row["id"]: row["withdrawn_items"] for row in client.get("/api/releases/").json()}
    assert listed == {v1.pk: 1, v2.pk: 0}


def test_the_changelog_states_added_removed_with_reasons_and_changed_items(api_for) -> None:
    campaign = CampaignFactory()
    approved_clip(campaign, "unchanged")
    edited = approved_clip(campaign, "old words")
    same_text = approved_clip(campaign, "approved again")
    excluded = approved_clip(campaign, "bad audio")
    returned = approved_clip(campaign, "sent back")
    build(campaign)

    correct(edited, "new words")
    correct(same_text, "approved again")  # a newer revision with the same text is no change
    Exclusion.objects.create(
        recording=excluded, reason=Exclusion.Reason.BAD_AUDIO, created_by=UserFactory()
    )
    Task.objects.filter(recording=returned).update(status=Task.Status.OPEN, times_returned=1)
    added = approved_clip(campaign, "brand new")
    v2 = build(campaign)

    rows = {(c.recording_id, c.kind, c.reason, c.old_text, c.new_text) for c in v2.changes.all()}
    assert rows == {
        (added.pk, "added", "", "", ""),
        (excluded.pk, "removed", "excluded_by_curation", "", ""),
        (returned.pk, "removed", "rejected_on_re_review", "", ""),
        (edited.pk, "changed", "", "old words", "new words"),
    }
    changelog = release_json(v2)["changelog"]
    assert changelog["changed"] == [
        {"recording_id": str(edited.uid), "old_text": "old words", "new_text": "new words"}
    ]
    api = api_for(UserFactory(role=User.Role.PM))
    assert api.get(f"/api/releases/{v2.pk}/").json()["changes"] == {
        "added": 1,
        "removed": 2,
        "changed": 1,
    }
    assert api.get(f"/api/releases/{v2.pk}/changes/").json()["count"] == 4


def test_a_speaker_excluded_by_curation_and_a_lifted_exclusion() -> None:
    campaign = CampaignFactory()
    excluded = approved_clip(campaign, "excluded speaker")
    lifted = approved_clip(campaign, "lifted")
    pm = UserFactory()
    Exclusion.objects.create(
        speaker=excluded.speaker, reason=Exclusion.Reason.DUPLICATE_SPEAKER, created_by=pm
    )
    Exclusion.objects.create(
        recording=lifted,
        reason=Exclusion.Reason.MISREAD,
        created_by=pm,
        lifted_at=timezone.now(),
        lifted_by=pm,
    )

    assert texts_in(build(campaign)) == ["lifted"]


def test_keep_test_set_carries_the_previous_test_speakers_into_test() -> None:
    campaign = CampaignFactory()
    for index in range(12):
        approved_clip(campaign, f"clip {index}")
    v1 = build(campaign, seed=1)
    test_speakers = set(v1.items.filter(split="test").values_list("recording__speaker", flat=True))
    assert test_speakers
    for index in range(12):
        approved_clip(campaign, f"more {index}")

    v2 = build(campaign, seed=99, spec={"keep_test_set": True})

    assert set(
        v2.items.filter(recording__speaker__in=test_speakers).values_list("split", flat=True)
    ) == {"test"}
    assert release_json(v2)["spec"]["keep_test_set"] is True


def test_keep_test_set_needs_a_test_split(api_for) -> None:
    campaign = CampaignFactory()
    response = api_for(UserFactory(role=User.Role.PM)).post(
        "/api/releases/",
        {
            "campaign": campaign.pk,
            "split_ratios": {"train": 0.9, "dev": 0.1},
            "spec": {"keep_test_set": True},
        },
        format="json",
    )

    assert response.status_code == 400
    assert "keep_test_set" in response.json()["error"]["message"]
    assert Release.objects.count() == 0


def test_the_spec_filters_demographics_duration_flags_dates_and_approval() -> None:
    campaign = CampaignFactory()
    male = ConsentRecordFactory(speaker__campaign=campaign, speaker__gender="male").speaker
    approved_clip(campaign, "male speaker", speaker=male)
    approved_clip(campaign, "too short", duration_seconds=0.4)
    approved_clip(campaign, "flagged", quality_flags=["clipped"])
    approved_clip(campaign, "kept", quality_flags=["quiet"])
    old = approved_clip(campaign, "old")
    old.__class__.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    unapproved = approved_clip(campaign, "not approved")
    Task.objects.filter(recording=unapproved).update(status=Task.Status.SUBMITTED)

    release = build(
        campaign,
        spec={
            "genders": ["female"],
            "min_duration": 1.0,
            "exclude_quality_flags": ["clipped"],
            "recorded_from": (timezone.now() - timedelta(days=7)).date().isoformat(),
        },
    )

    assert texts_in(release) == ["kept"]
    assert release_json(release)["spec"]["genders"] == ["female"]
    assert release.spec["approved_only"] is True


def test_approved_only_can_be_turned_off_but_consent_never() -> None:
    campaign = CampaignFactory()
    unapproved = approved_clip(campaign, "submitted")
    Task.objects.filter(recording=unapproved).update(status=Task.Status.SUBMITTED)
    approved_clip(campaign, "no delivery consent").speaker.consents.update(
        document=ConsentRecordFactory(
            speaker__campaign=campaign, document__allows_third_party_delivery=False
        ).document
    )

    release = build(campaign, spec={"approved_only": False})

    assert texts_in(release) == ["submitted"]


def test_max_draft_wer_leaves_out_clips_the_labeler_rewrote() -> None:
    campaign = CampaignFactory()
    approved_clip(campaign, "turn on the tv", draft="turn on the tv")
    approved_clip(campaign, "turn off the radio now", draft="burn of a radius no")

    release = build(campaign, spec={"max_draft_wer": 0.5})

    assert texts_in(release) == ["turn on the tv"]


def test_quota_cells_select_the_matching_speakers_and_styles() -> None:
    campaign = CampaignFactory()
    cell = QuotaCellFactory(
        campaign=campaign, age_band="30s", gender="female", speech_style=SpeechStyle.COMMAND
    )
    approved_clip(campaign, "command", speech_style=SpeechStyle.COMMAND)
    approved_clip(campaign, "read", speech_style=SpeechStyle.READ)

    assert texts_in(build(campaign, spec={"quota_cells": [cell.pk]})) == ["command"]


def test_extra_campaigns_are_pooled_with_speaker_ids_kept_apart() -> None:
    campaign = CampaignFactory()
    other = CampaignFactory(client=campaign.client)
    one = approved_clip(campaign, "first campaign")
    two = approved_clip(other, "second campaign")
    Speaker.objects.filter(pk=two.speaker_id).update(code=one.speaker.code)

    release = build(campaign, spec={"extra_campaigns": [other.pk]})

    assert texts_in(release) == ["first campaign", "second campaign"]
    assert release_json(release)["campaigns"] == [campaign.pk, other.pk]
    assert release_json(release)["speakers"] == 2


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ({"genders": ["robot"]}, "genders"),
        ({"min_duration": 5, "max_duration": 1}, "min_duration is above max_duration"),
        ({"colour": "blue"}, "unknown spec keys"),
        ({"extra_campaigns": [999999]}, "no campaign"),
    ],
)
def test_a_bad_spec_is_refused_naming_the_problem(api_for, spec, problem) -> None:
    campaign = CampaignFactory()

    response = api_for(UserFactory(role=User.Role.PM)).post(
        "/api/releases/", {"campaign": campaign.pk, "spec": spec}, format="json"
    )

    assert response.status_code == 400, response.json()
    assert response.json()["error"]["code"] == "bad_spec"
    assert problem in response.json()["error"]["message"]
    assert Release.objects.count() == 0


def test_a_published_release_cannot_be_edited_or_deleted(api_for) -> None:
    campaign = CampaignFactory()
    approved_clip(campaign)
    release = build(campaign)
    api = api_for(UserFactory(role=User.Role.PM))

    for method in (api.patch, api.put, api.delete):
        response = method(f"/api/releases/{release.pk}/", {"seed": 5}, format="json")
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "immutable"
    release.refresh_from_db()
    assert release.seed == 0 and release.status == Release.Status.PUBLISHED


def test_building_a_published_release_again_changes_nothing() -> None:
    campaign = CampaignFactory()
    approved_clip(campaign, "first")
    release = build(campaign)
    approved_clip(campaign, "arrived later")

    again = release_build(release_id=release.pk)

    assert again.archive.name == release.archive.name
    assert again.archive_sha256 == release.archive_sha256
    assert again.items.count() == 1 and texts_in(again) == ["first"]


def test_the_real_withdrawal_flow_flags_v1_keeps_its_archive_and_leaves_v2_without_the_speaker(
    django_capture_on_commit_callbacks,
) -> None:
    from labelhub.erasure import speaker_audio_delete
    from labelhub.speakers.withdrawal import BY_PM, consent_withdraw

    campaign = CampaignFactory()
    approved_clip(campaign, "stays")
    leaving = approved_clip(campaign, "leaves")
    v1 = build(campaign)

    with django_capture_on_commit_callbacks(execute=False):
        consent_withdraw(speaker=leaving.speaker, method=BY_PM, by=UserFactory())
    speaker_audio_delete(speaker_id=leaving.speaker_id)
    v2 = build(campaign)

    assert texts_in(v2) == ["stays"]
    assert v2.changes.get().reason == ReleaseChange.Reason.WITHDRAWN_CONSENT
    assert release_withdrawn_items(release=v1).get().recording_id == leaving.pk
    assert texts_in(v1) == ["leaves", "stays"]  # the published archive is untouched
