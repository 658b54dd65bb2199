import factory
from django.utils import timezone

from labelhub.accounts.models import Organisation, User
from labelhub.campaigns.models import Campaign
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
    age_band = Speaker.AgeBand.THIRTIES
    gender = Speaker.Gender.FEMALE
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
