import factory
from django.utils import timezone

from labelhub.accounts.models import Organisation, User
from labelhub.campaigns.demographics import AgeBand, Gender
from labelhub.campaigns.models import (
    Campaign,
    CollectionChannel,
    LegalReview,
    QuotaCell,
    RecordingEnvironment,
)
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.recordings.models import Recording
from labelhub.speakers.models import ConsentDocument, ConsentRecord, Speaker


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Client {n}")
    kind = Organisation.Kind.CLIENT


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    role = User.Role.PM
    password = factory.django.Password("pass-for-tests-1")


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    client = factory.SubFactory(OrganisationFactory)
    language = "en"
    created_by = factory.SubFactory(UserFactory)


class ConsentDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsentDocument

    campaign = factory.SubFactory(CampaignFactory)
    version = factory.Sequence(lambda n: n + 1)
    language = "en"
    title = "Voice data consent"
    text = "I agree that my recorded voice may be used to train speech recognition."


class SpeakerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Speaker

    campaign = factory.SubFactory(CampaignFactory)
    code = factory.Sequence(lambda n: f"SPK-{n:06d}")
    age_band = AgeBand.THIRTIES
    gender = Gender.FEMALE
    region = "Seoul"
    dialect = "standard"


class ConsentRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsentRecord

    speaker = factory.SubFactory(SpeakerFactory)
    document = factory.SubFactory(
        ConsentDocumentFactory, campaign=factory.SelfAttribute("..speaker.campaign")
    )
    method = ConsentRecord.Method.WEB_SIGNATURE
    signed_at = factory.LazyFunction(timezone.now)


class RecordingFactory(factory.django.DjangoModelFactory):
    """A ready recording as ingest leaves it; the audio files are stand-ins of the right shape."""

    class Meta:
        model = Recording

    speaker = factory.SubFactory(SpeakerFactory)
    campaign = factory.SelfAttribute("speaker.campaign")
    raw_file = factory.django.FileField(filename="raw.wav", data=b"RIFF....WAVE")
    raw_sha256 = "0" * 64
    raw_size_bytes = 12
    original_filename = "take.wav"
    original_suffix = ".wav"
    status = Recording.Status.READY
    normalised_file = factory.django.FileField(filename="norm.wav", data=b"RIFF....WAVE")
    duration_seconds = 2.5


class RevisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TranscriptRevision

    recording = factory.SubFactory(RecordingFactory)
    number = 1
    kind = TranscriptRevision.Kind.ASR_DRAFT
    text = "turn on the tv"


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    recording = factory.SubFactory(RecordingFactory)


class QuotaCellFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuotaCell

    campaign = factory.SubFactory(CampaignFactory)
    age_band = AgeBand.THIRTIES
    gender = Gender.FEMALE
    target_clips = 100
    target_minutes = 15.0
    target_speakers = 10


class RecordingEnvironmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RecordingEnvironment

    campaign = factory.SubFactory(CampaignFactory)
    kind = RecordingEnvironment.Kind.HOME
    name = factory.Sequence(lambda n: f"Environment {n}")
    noise_level = RecordingEnvironment.NoiseLevel.QUIET


class CollectionChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CollectionChannel

    campaign = factory.SubFactory(CampaignFactory)
    kind = CollectionChannel.Kind.PUBLIC
    name = factory.Sequence(lambda n: f"Channel {n}")


class LegalReviewFactory(factory.django.DjangoModelFactory):
    """A complete checklist, not yet signed: pass signed_off_by/signed_off_at to sign it."""

    class Meta:
        model = LegalReview

    campaign = factory.SubFactory(CampaignFactory)
    consent_text_reviewed = True
    retention_period_set = True
    purpose_stated = True
    third_party_delivery_stated = True
    minors_policy = "Speakers under the age of consent need a guardian's consent record."


def _in_thirty_days():
    from datetime import timedelta

    return timezone.now() + timedelta(days=30)


class SpeakerInviteFactory(factory.django.DjangoModelFactory):
    """An unused invite link to an active campaign."""

    class Meta:
        model = "speakers.SpeakerInvite"

    campaign = factory.SubFactory(CampaignFactory, status=Campaign.Status.ACTIVE)
    created_by = factory.SubFactory(UserFactory)
    expires_at = factory.LazyFunction(_in_thirty_days)
