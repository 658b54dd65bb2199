"""Clips with a known transcript chain, for the analytics tests."""

from labelhub.accounts.models import User
from labelhub.campaigns.models import Campaign
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.recordings.models import Recording
from labelhub.speakers.models import Speaker
from tests.factories import RecordingFactory, SpeakerFactory


def clip(
    *,
    campaign: Campaign,
    speaker: Speaker | None = None,
    draft: str | None = "turn on the tv",
    final: str | None = "turn on the tv",
    seconds: float = 3.0,
    status: str = Task.Status.APPROVED,
    recording_status: str = Recording.Status.READY,
    labeler=None,
    work_seconds: float | None = None,
    decisions: tuple[str, ...] = (),
    double: str | None = None,
    model: str = "small",
    **demographics: str,
) -> Recording:
    """A recording with an ASR draft, a labeler edit (the final text) and review decisions."""
    speaker = speaker or SpeakerFactory(campaign=campaign, **demographics)
    recording = RecordingFactory(speaker=speaker, duration_seconds=seconds, status=recording_status)
    number = 0

    def add(**fields: object) -> TranscriptRevision:
        nonlocal number
        number += 1
        return TranscriptRevision.objects.create(recording=recording, number=number, **fields)

    if draft is not None:
        add(
            kind=TranscriptRevision.Kind.ASR_DRAFT,
            text=draft,
            engine="faster-whisper",
            model_name=model,
        )
    if final is not None:
        add(
            kind=TranscriptRevision.Kind.LABELER_EDIT,
            text=final,
            author=labeler or _labeler(),
            work_seconds=work_seconds,
        )
    for decision in decisions:
        add(kind=TranscriptRevision.Kind.REVIEW, text=final or "", decision=decision)
    if double is not None:
        add(kind=TranscriptRevision.Kind.DOUBLE, text=double)
    Task.objects.create(recording=recording, status=status)
    return recording


def _labeler() -> User:
    # One unhashed-password labeler for all clips: hashing a password per clip is seconds each.
    return User.objects.get_or_create(username="clip-labeler", defaults={"role": "labeler"})[0]


def active_feedback_campaign(*, client, pm: User) -> Campaign:
    """The client's feedback campaign taken through its legal review to active, as a PM would."""
    from labelhub.analytics.services import feedback_campaign_for
    from labelhub.campaigns.services import campaign_transition, legal_review_sign_off
    from tests.factories import LegalReviewFactory

    campaign = feedback_campaign_for(client=client, by=pm, language="ko")
    LegalReviewFactory(campaign=campaign)
    legal_review_sign_off(campaign=campaign, by=pm)
    campaign_transition(campaign=campaign, to=Campaign.Status.LEGAL_REVIEW, by=pm)
    return campaign_transition(campaign=campaign, to=Campaign.Status.ACTIVE, by=pm)
