"""The objects the access matrix probes: two clients' campaigns and a restricted one, each with
everything a route can name, and one user per role. Built once per test module.

Rows only, no real pipeline: the audio files are a tenth of a second of real 16 kHz silence (so
peaks and playback work) and the releases are published rows over a stand-in archive, the
shape release_build leaves behind.
"""

import hashlib
import io
import wave
from dataclasses import dataclass, field
from pathlib import Path

from django.core.files.base import ContentFile
from django.utils import timezone

from labelhub.accounts.models import Organisation, User
from labelhub.campaigns.models import Campaign, Prompt
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.recordings.models import BulkUpload, Recording
from labelhub.recordings.segments import segment_new
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

# The roles, as the matrix names them.
PM = "pm"
LABELER = "labeler"  # on no campaign's list: works on the open campaigns only
LISTED = "listed labeler"  # on the restricted campaign's list
UNLISTED = "unlisted labeler"  # on another campaign's list, not the restricted one's
REVIEWER = "reviewer"  # on no list
CLIENT_A = "client A"
CLIENT_B = "client B"
ANONYMOUS = "anonymous"
ROLES = (ANONYMOUS, CLIENT_B, CLIENT_A, REVIEWER, UNLISTED, LISTED, LABELER, PM)

# The object sets: client A's open campaign, client B's open campaign, and client A's
# restricted campaign (its labelers list set). Routes without ids are probed once, as NONE.
A, B, RESTRICTED, NONE = "A", "B", "restricted", "-"
OBJECT_SETS = (A, B, RESTRICTED)


def _silent_wav(seconds: float = 0.1) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\x00\x00" * round(seconds * 16000))
    return buffer.getvalue()


@dataclass
class World:
    users: dict[str, User | None] = field(default_factory=dict)
    # Per object set: the value of every route kwarg that names one of its objects.
    ids: dict[str, dict[str, object]] = field(default_factory=dict)
    # Route kwargs whose value depends on the route (place_id: a channel or an environment).
    by_route: dict[str, dict[str, dict[str, object]]] = field(default_factory=dict)
    media: Path | None = None  # the folder the world's files were stored in


def _users(client_a: Organisation, client_b: Organisation) -> dict[str, User | None]:
    return {
        PM: UserFactory(role=User.Role.PM, username="matrix-pm"),
        LABELER: UserFactory(role=User.Role.LABELER, username="matrix-labeler"),
        LISTED: UserFactory(role=User.Role.LABELER, username="matrix-listed"),
        UNLISTED: UserFactory(role=User.Role.LABELER, username="matrix-unlisted"),
        REVIEWER: UserFactory(role=User.Role.REVIEWER, username="matrix-reviewer"),
        CLIENT_A: UserFactory(role=User.Role.CLIENT, organisation=client_a, username="matrix-a"),
        CLIENT_B: UserFactory(role=User.Role.CLIENT, organisation=client_b, username="matrix-b"),
        ANONYMOUS: None,
    }


def _release(campaign: Campaign, pm: User) -> Release:
    archive = b"PK\x05\x06" + b"\x00" * 18  # an empty zip
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
        datasheet_md="# Datasheet",
        datasheet_html="<h1>Datasheet</h1>",
        published_at=timezone.now(),
    )
    release.archive.save(f"labelhub-campaign{campaign.pk}-v1.zip", ContentFile(archive))
    # The archive served is the default rendition's; the release's fields mirror it.
    release.renditions.create(
        key="wav",
        status="published",
        archive=release.archive.name,
        archive_sha256=release.archive_sha256,
        archive_size_bytes=release.archive_size_bytes,
    )
    return release


def _campaign_objects(campaign: Campaign, pm: User) -> tuple[dict, dict]:
    speaker = ConsentRecordFactory(speaker__campaign=campaign).speaker
    prompt = Prompt.objects.create(campaign=campaign, text="turn on the tv")
    recording = RecordingFactory(
        speaker=speaker,
        prompt=prompt,
        normalised_file=ContentFile(_silent_wav(), name="norm.wav"),
    )
    draft = RevisionFactory(recording=recording)
    RevisionFactory(
        recording=recording,
        number=2,
        parent=draft,
        kind=TranscriptRevision.Kind.LABELER_EDIT,
        text="turn on the TV",
    )
    task = TaskFactory(recording=recording, status=Task.Status.OPEN)
    source = RecordingFactory(
        speaker=speaker,
        kind=Recording.Kind.SOURCE,
        normalised_file=ContentFile(_silent_wav(1.0), name="source.wav"),
        duration_seconds=1.0,
    )
    segment = segment_new(source=source, start_seconds=0.2, end_seconds=0.8)
    TaskFactory(recording=segment, status=Task.Status.OPEN)
    upload = BulkUpload.objects.create(campaign=campaign, uploaded_by=pm)
    LegalReviewFactory(campaign=campaign)
    channel = CollectionChannelFactory(campaign=campaign)
    environment = RecordingEnvironmentFactory(campaign=campaign)
    ids = {
        "campaign_id": campaign.pk,
        "speaker_id": speaker.pk,
        "document_id": speaker.consents.get().document_id,
        "recording_id": recording.pk,
        "task_id": task.pk,
        "source_id": source.pk,
        "segment_id": segment.pk,
        "release_id": _release(campaign, pm).pk,
        "cell_id": QuotaCellFactory(campaign=campaign).pk,
        "bulk_upload_id": upload.pk,
        "upload_id": upload.pk,
        "table": "coverage",
    }
    tokens = {
        "invite": invite_token(invite=SpeakerInviteFactory(campaign=campaign, created_by=pm)),
        "withdrawal": withdrawal_token(speaker=speaker),
    }
    return ids, {"channel": channel.pk, "environment": environment.pk, **tokens}


def _route_values(named: dict) -> dict[str, dict[str, object]]:
    """Kwargs named alike on different routes: which object each route means."""
    channel, environment = {"place_id": named["channel"]}, {"place_id": named["environment"]}
    return {
        "api/campaigns/<int:campaign_id>/channels/<int:place_id>/": channel,
        "campaigns/<int:campaign_id>/channels/<int:place_id>/delete/": channel,
        "api/campaigns/<int:campaign_id>/environments/<int:place_id>/": environment,
        "campaigns/<int:campaign_id>/environments/<int:place_id>/delete/": environment,
        "record/withdraw/<str:token>/": {"token": named["withdrawal"]},
    }


def world_build() -> World:
    client_a = OrganisationFactory(name="Matrix Client A")
    client_b = OrganisationFactory(name="Matrix Client B")
    world = World(users=_users(client_a, client_b))
    pm = world.users[PM]
    campaigns = {
        A: CampaignFactory(client=client_a, created_by=pm, status=Campaign.Status.ACTIVE),
        B: CampaignFactory(client=client_b, created_by=pm, status=Campaign.Status.ACTIVE),
        RESTRICTED: CampaignFactory(client=client_a, created_by=pm, status=Campaign.Status.ACTIVE),
    }
    campaigns[RESTRICTED].labelers.set([world.users[LISTED]])
    # The unlisted labeler is on a list, just not the restricted campaign's.
    CampaignFactory(client=client_b, created_by=pm).labelers.set([world.users[UNLISTED]])
    for name, campaign in campaigns.items():
        ids, named = _campaign_objects(campaign, pm)
        world.ids[name] = {**ids, "token": named["invite"]}
        world.by_route[name] = _route_values(named)
    return world
