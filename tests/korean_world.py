"""A small LabelHub whose own data is Korean or digits: one campaign with a speaker, a clip
with its draft and correction, a submitted and a skipped task, a published release, an invite.

tests/test_korean_pages.py renders the main pages over it in Korean and fails on any English
word, so the names it creates here must not contain one.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.core.files.base import ContentFile
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.campaigns.models import Campaign, Prompt
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.recordings.models import Recording
from labelhub.releases.models import Release
from labelhub.releases.spec import ReleaseSpec
from labelhub.speakers.invites import invite_token, withdrawal_token
from tests.factories import (
    CampaignFactory,
    CollectionChannelFactory,
    ConsentRecordFactory,
    LegalReviewFactory,
    OrganisationFactory,
    QuotaCellFactory,
    RecordingEnvironmentFactory,
    RecordingFactory,
    RevisionFactory,
    SpeakerInviteFactory,
    TaskFactory,
    UserFactory,
)
from tests.security.access_world import _silent_wav

CONSENT_TEXT = "녹음한 제 목소리를 음성 인식 학습에 쓰는 데 동의합니다."


@dataclass
class KoreanWorld:
    users: dict[str, User]
    campaign: Campaign
    recording: Recording
    release: Release
    invite_token: str
    withdrawal_token: str
    media: Path | None = None  # the folder the world's files were stored in


def _users(organisation: object) -> dict[str, User]:
    return {
        "pm": UserFactory(role=User.Role.PM, username="김피엠"),
        "labeler": UserFactory(role=User.Role.LABELER, username="이라벨러"),
        "reviewer": UserFactory(role=User.Role.REVIEWER, username="박검수자"),
        "client": UserFactory(role=User.Role.CLIENT, username="최고객", organisation=organisation),
    }


def _campaign(organisation: object, pm: User) -> Campaign:
    campaign = CampaignFactory(
        name="음성 명령 수집 1",
        client=organisation,
        language="ko",
        created_by=pm,
        status=Campaign.Status.ACTIVE,
        description="거실에서 말하는 가전 명령",
    )
    LegalReviewFactory(campaign=campaign, minors_policy="미성년자는 보호자 동의가 필요합니다.")
    QuotaCellFactory(campaign=campaign)
    RecordingEnvironmentFactory(campaign=campaign, name="조용한 거실")
    CollectionChannelFactory(campaign=campaign, name="공개 모집")
    return campaign


def _recording(campaign: Campaign, code: str) -> Recording:
    speaker = ConsentRecordFactory(
        speaker__campaign=campaign,
        speaker__code=code,
        speaker__region="서울",
        speaker__dialect="표준어",
        document__language="ko",
        document__title="음성 데이터 동의서",
        document__text=CONSENT_TEXT,
    ).speaker
    prompt = Prompt.objects.create(campaign=campaign, text="거실 불 켜 줘")
    recording = RecordingFactory(
        speaker=speaker,
        prompt=prompt,
        original_filename="녹음1.wav",
        normalised_file=ContentFile(_silent_wav(), name="norm.wav"),
    )
    draft = RevisionFactory(recording=recording, text="거실 불 켜줘")
    RevisionFactory(
        recording=recording,
        number=2,
        parent=draft,
        kind=TranscriptRevision.Kind.LABELER_EDIT,
        text="거실 불 켜 줘",
    )
    return recording


def _release(campaign: Campaign, pm: User) -> Release:
    archive = b"PK\x05\x06" + b"\x00" * 18  # an empty zip: the rows are what the pages show
    release = Release(
        campaign=campaign,
        client=campaign.client,
        version=1,
        created_by=pm,
        spec=ReleaseSpec().as_json(),
        status=Release.Status.PUBLISHED,
        progress=100,
        archive_sha256=hashlib.sha256(archive).hexdigest(),
        archive_size_bytes=len(archive),
        item_count=1,
        datasheet_md="# 데이터시트",
        datasheet_html="<h1>데이터시트</h1>",
        published_at=timezone.now(),
    )
    release.archive.save(f"release-{campaign.pk}-1.zip", ContentFile(archive))
    release.renditions.create(
        key="wav",
        status="published",
        archive=release.archive.name,
        archive_sha256=release.archive_sha256,
        archive_size_bytes=release.archive_size_bytes,
    )
    return release


def korean_world_build() -> KoreanWorld:
    organisation = OrganisationFactory(name="가나다 전자")
    users = _users(organisation)
    campaign = _campaign(organisation, users["pm"])
    recording = _recording(campaign, "화자-0001")
    TaskFactory(recording=recording, status=Task.Status.SUBMITTED, labeler=users["labeler"])
    skipped = _recording(campaign, "화자-0002")
    TaskFactory(
        recording=skipped,
        status=Task.Status.SKIPPED,
        skip_reason=Task.SkipReason.NOISE,
        skip_note="잡음만 들립니다",
    )
    invite = SpeakerInviteFactory(campaign=campaign, created_by=users["pm"])
    return KoreanWorld(
        users=users,
        campaign=campaign,
        recording=recording,
        release=_release(campaign, users["pm"]),
        invite_token=invite_token(invite=invite),
        withdrawal_token=withdrawal_token(speaker=recording.speaker),
    )
