"""Re-collection drafts, curation exclusions and product feedback intake."""

import math

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from labelhub.analytics.models import FeedbackReport
from labelhub.analytics.selectors import excluded_recording_ids, exclusion_history
from labelhub.analytics.services import (
    exclusion_add,
    exclusion_lift,
    feedback_intake,
    recollection_draft,
)
from labelhub.campaigns.models import Campaign, CollectionChannel
from labelhub.errors import Conflict, DomainError
from labelhub.recordings.models import Exclusion, Recording
from labelhub.speakers.models import ConsentDocument
from tests.analytics.factories import active_feedback_campaign, clip
from tests.audio_samples import silence
from tests.factories import (
    CampaignFactory,
    CollectionChannelFactory,
    ConsentDocumentFactory,
    OrganisationFactory,
    QuotaCellFactory,
    RecordingEnvironmentFactory,
    SpeakerFactory,
)

pytestmark = pytest.mark.django_db


def cell(campaign, dialect: str, clips: int, **targets):
    return QuotaCellFactory(
        campaign=campaign,
        age_band="",
        gender="",
        dialect=dialect,
        target_clips=clips,
        target_minutes=targets.get("minutes", 0),
        target_speakers=targets.get("speakers", 0),
    )


def dims(quota_cell) -> tuple:
    return (quota_cell.dialect, quota_cell.target_clips, quota_cell.target_speakers)


def test_a_recollection_draft_targets_exactly_the_cells_below_target(pm) -> None:
    parent = CampaignFactory(language="ko")
    cell(parent, "standard", 1, speakers=1)
    cell(parent, "jeolla", 3, speakers=2)
    cell(parent, "gyeongsang", 2, minutes=1.0)
    clip(campaign=parent, dialect="standard")
    clip(campaign=parent, dialect="jeolla")
    clip(campaign=parent, dialect="jeolla", status="open")  # collected, not approved

    child = recollection_draft(campaign=parent, by=pm)

    cells = sorted(dims(c) for c in child.quota_cells.all())
    assert cells == [("gyeongsang", 2, 0), ("jeolla", 2, 1)]
    assert child.quota_cells.get(dialect="gyeongsang").target_minutes == 1.0
    assert child.parent == parent
    assert child.status == "draft"


def test_a_recollection_draft_inherits_consent_environments_channels_and_prompts(pm) -> None:
    parent = CampaignFactory(language="ko")
    cell(parent, "jeolla", 5)
    ConsentDocumentFactory(campaign=parent, version=1, text="old text")
    ConsentDocumentFactory(campaign=parent, version=2, text="current text", retention_days=90)
    RecordingEnvironmentFactory(campaign=parent, name="Car", kind="car")
    CollectionChannelFactory(campaign=parent, name="Crowd")
    parent.prompts.create(text="볼륨 올려 줘", external_id="P1", recordings_needed=3)

    child = recollection_draft(campaign=parent, by=pm, name="Jeolla top-up")

    (document,) = ConsentDocument.objects.filter(campaign=child)
    assert (document.version, document.text, document.retention_days) == (1, "current text", 90)
    assert list(child.environments.values_list("name", "kind")) == [("Car", "car")]
    assert list(child.channels.values_list("name", flat=True)) == ["Crowd"]
    assert list(child.prompts.values_list("text", "external_id", "recordings_needed")) == [
        ("볼륨 올려 줘", "P1", 3)
    ]
    assert child.name == "Jeolla top-up"
    assert child.client == parent.client


def test_high_error_cells_join_the_draft_with_enough_clips_for_the_chosen_width(pm) -> None:
    parent = CampaignFactory(language="en")
    cell(parent, "jeolla", 2)
    cell(parent, "standard", 2)
    for draft in ("turn of the tv", "turn of the tb"):  # per-clip WER 0.25 and 0.5
        clip(campaign=parent, dialect="jeolla", draft=draft, final="turn on the tv")
    for _ in range(2):
        clip(campaign=parent, dialect="standard", draft="mute", final="mute")

    child = recollection_draft(campaign=parent, by=pm, error_threshold=0.1, ci_half_width=0.05)

    sd = math.sqrt(((0.25 - 0.375) ** 2 + (0.5 - 0.375) ** 2) / 1)
    (jeolla,) = child.quota_cells.all()
    assert jeolla.dialect == "jeolla"
    assert jeolla.target_clips == math.ceil((1.96 * sd / 0.05) ** 2)


def test_a_full_campaign_with_low_error_has_nothing_to_recollect(pm) -> None:
    parent = CampaignFactory()
    cell(parent, "standard", 1)
    clip(campaign=parent, dialect="standard")

    with pytest.raises(DomainError, match="nothing to re-collect"):
        recollection_draft(campaign=parent, by=pm, error_threshold=0.1)
    assert parent.children.count() == 0


def test_excluding_a_speaker_excludes_every_clip_of_theirs_until_lifted(pm) -> None:
    campaign = CampaignFactory()
    speaker = SpeakerFactory(campaign=campaign)
    theirs = [clip(campaign=campaign, speaker=speaker) for _ in range(2)]
    other = clip(campaign=campaign)
    lone = clip(campaign=campaign)

    (by_speaker,) = exclusion_add(by=pm, reason="duplicate_speaker", speaker_ids=[speaker.pk])
    exclusion_add(by=pm, reason="bad_audio", recording_ids=[lone.pk], note="hum")

    assert excluded_recording_ids(campaign=campaign) == {theirs[0].pk, theirs[1].pk, lone.pk}
    exclusion_lift(exclusion_ids=[by_speaker.pk], by=pm)
    assert excluded_recording_ids(campaign=campaign) == {lone.pk}
    assert other.pk not in excluded_recording_ids(campaign=campaign)
    by_speaker.refresh_from_db()
    assert by_speaker.lifted_by == pm and by_speaker.lifted_at is not None
    assert exclusion_history(campaign=campaign).count() == 2


def test_excluding_an_excluded_clip_again_keeps_the_one_exclusion(pm) -> None:
    recording = clip(campaign=CampaignFactory())

    first = exclusion_add(by=pm, reason="misread", recording_ids=[recording.pk])
    again = exclusion_add(by=pm, reason="misread", recording_ids=[recording.pk])

    assert first == again
    assert Exclusion.objects.count() == 1


def test_an_unknown_id_in_a_bulk_exclusion_stores_nothing(pm) -> None:
    campaign = CampaignFactory()
    recording = clip(campaign=campaign)
    elsewhere = clip(campaign=CampaignFactory())

    with pytest.raises(DomainError, match=str(elsewhere.pk)):
        exclusion_add(
            by=pm, reason="misread", recording_ids=[recording.pk, elsewhere.pk], campaign=campaign
        )
    assert Exclusion.objects.count() == 0


def test_lifting_twice_is_a_conflict(pm) -> None:
    (exclusion,) = exclusion_add(
        by=pm, reason="other", recording_ids=[clip(campaign=CampaignFactory()).pk]
    )
    exclusion_lift(exclusion_ids=[exclusion.pk], by=pm)

    with pytest.raises(Conflict):
        exclusion_lift(exclusion_ids=[exclusion.pk], by=pm)


def wav_upload(tmp_path) -> SimpleUploadedFile:
    path = silence(tmp_path / "heard.wav", seconds=1.0)
    return SimpleUploadedFile("heard.wav", path.read_bytes(), content_type="audio/wav")


def test_feedback_waits_for_the_campaigns_legal_review(pm, tmp_path, media_root) -> None:
    client = OrganisationFactory(name="Acme")

    with pytest.raises(Conflict, match="must sign off its legal review") as refused:
        feedback_intake(
            client=client,
            submitted_by=pm,
            audio=wav_upload(tmp_path),
            heard_text="볼륨 내려",
            consent_reference="terms-2024-06#u123",
        )

    campaign = Campaign.objects.get(client=client)
    assert refused.value.code == "feedback_campaign_not_active"
    assert campaign.status == Campaign.Status.DRAFT  # kept, for the PM to review
    assert campaign.consent_documents.count() == 1
    assert Recording.objects.count() == 0 and FeedbackReport.objects.count() == 0
    assert not any(path.is_file() for path in media_root.rglob("*"))


def test_feedback_lands_as_a_recording_in_the_clients_feedback_campaign(pm, tmp_path) -> None:
    client = OrganisationFactory(name="Acme")
    active_feedback_campaign(client=client, pm=pm)

    report = feedback_intake(
        client=client,
        submitted_by=pm,
        audio=wav_upload(tmp_path),
        heard_text="볼륨 내려",
        user_correction="볼륨 올려",
        consent_reference="terms-2024-06#u123",
        user_reference="u123",
        product="Acme TV v3",
    )
    second = feedback_intake(
        client=client,
        submitted_by=pm,
        audio=wav_upload(tmp_path),
        heard_text="꺼",
        consent_reference="terms-2024-06#u123",
        user_reference="u123",
    )

    recording = report.recording
    assert recording.status == Recording.Status.RECEIVED
    assert recording.channel.kind == CollectionChannel.Kind.PRODUCT_FEEDBACK
    assert recording.campaign.client == client
    assert second.recording.campaign == recording.campaign
    assert second.recording.speaker == recording.speaker
    assert "u123" not in recording.speaker.code
    assert report.consent.speaker == recording.speaker
    assert (report.heard_text, report.user_correction) == ("볼륨 내려", "볼륨 올려")


def test_feedback_without_a_consent_reference_is_refused_and_nothing_stored(
    pm, tmp_path, media_root
) -> None:
    with pytest.raises(DomainError, match="consent_reference is required"):
        feedback_intake(
            client=OrganisationFactory(),
            submitted_by=pm,
            audio=wav_upload(tmp_path),
            heard_text="볼륨 내려",
            consent_reference="  ",
        )
    assert FeedbackReport.objects.count() == 0
    assert Recording.objects.count() == 0
    assert not any(path.is_file() for path in media_root.rglob("*"))
