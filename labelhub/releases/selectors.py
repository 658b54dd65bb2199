from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery

from labelhub.accounts.models import User
from labelhub.campaigns.models import QuotaCell
from labelhub.errors import Conflict, DomainError
from labelhub.labeling.models import HUMAN_KINDS, Task, TranscriptRevision
from labelhub.recordings.models import Exclusion, Recording
from labelhub.releases.models import (
    DownloadEvent,
    Release,
    ReleaseChange,
    ReleaseItem,
    ReleaseRendition,
)
from labelhub.releases.spec import ANY_FLAG, ReleaseSpec, spec_load
from labelhub.speakers.models import ConsentRecord

# An item is flagged when its speaker withdrew after the release was built: the release's files
# stay as they are (they are immutable), so clients must be told instead.
# A segment also goes when its source's speaker withdraws: the source's audio, which holds the
# segment's samples, is deleted then.
WITHDRAWN_ITEM = (
    Q(items__consent__withdrawn_at__isnull=False)
    | Q(items__recording__speaker__withdrawn_at__isnull=False)
    | Q(items__recording__source__speaker__withdrawn_at__isnull=False)
)


def releases_visible_to(*, user: User) -> QuerySet[Release]:
    """PMs see every release; a client sees only its own organisation's published ones, and
    only those of its own campaigns (defence in depth behind release_create's client check)."""
    if not user.is_authenticated:
        return Release.objects.none()
    if user.is_pm:
        releases = Release.objects.all()
    elif user.is_client and user.organisation_id is not None:
        releases = Release.objects.filter(
            client_id=user.organisation_id,
            campaign__client_id=user.organisation_id,
            status=Release.Status.PUBLISHED,
        )
    else:
        return Release.objects.none()
    return releases.select_related("campaign", "client", "previous").annotate(
        withdrawn_items=Count("items", filter=WITHDRAWN_ITEM, distinct=True)
    )


def release_withdrawn_items(*, release: Release) -> QuerySet[ReleaseItem]:
    return release.items.filter(
        Q(consent__withdrawn_at__isnull=False)
        | Q(recording__speaker__withdrawn_at__isnull=False)
        | Q(recording__source__speaker__withdrawn_at__isnull=False)
    )


def release_changes(*, release: Release) -> QuerySet[ReleaseChange]:
    return release.changes.select_related("recording").order_by("kind", "recording_id")


def release_change_counts(*, release: Release) -> dict[str, int]:
    counts = dict(release.changes.order_by().values_list("kind").annotate(n=Count("id")))
    # "moved" counts every item whose split changed, text changes that moved included.
    moved = release.changes.exclude(old_split="").count()
    return counts | ({ReleaseChange.Kind.MOVED.value: moved} if moved else {})


def release_downloads(*, release: Release) -> QuerySet[DownloadEvent]:
    return release.downloads.select_related("user", "user__organisation", "fetched_by").order_by(
        "-at", "-pk"
    )


def active_exclusions() -> QuerySet[Exclusion]:
    return Exclusion.objects.filter(lifted_at__isnull=True)


def delivering_consents() -> QuerySet[ConsentRecord]:
    """Consents that allow delivery to a third-party client, newest first."""
    return ConsentRecord.objects.filter(
        withdrawn_at__isnull=True, document__allows_third_party_delivery=True
    ).order_by("-signed_at")


def release_recordings(*, campaign_ids: list[int], spec: ReleaseSpec) -> QuerySet[Recording]:
    """Recordings a release with this spec ships, annotated with the revision and consent to use.

    Always enforced, whatever the spec says: a human-written final text, a consent that allows
    third-party delivery, no withdrawn speaker, no active curation exclusion (on the clip or its
    speaker). Curation's exclusions are read here directly (lifted_at null = active), the same
    rule analytics applies. Long-form sources are never items (their segments are), and a
    segment ships only while it and its source are ready: a removed (merged or deleted) one, or
    one whose source was withdrawn or rejected, does not.
    """
    final = TranscriptRevision.objects.filter(
        recording=OuterRef("pk"), kind__in=HUMAN_KINDS
    ).order_by("-number")
    consent = delivering_consents().filter(speaker=OuterRef("speaker_id"))
    excluded = active_exclusions().filter(
        Q(recording=OuterRef("pk")) | Q(speaker=OuterRef("speaker_id"))
    )
    recordings = (
        Recording.objects.filter(
            campaign_id__in=campaign_ids,
            status=Recording.Status.READY,
            speaker__withdrawn_at__isnull=True,
        )
        .exclude(kind=Recording.Kind.SOURCE)
        .filter(Q(source__isnull=True) | Q(source__status=Recording.Status.READY))
        .annotate(
            final_revision_id=Subquery(final.values("pk")[:1]),
            consent_id=Subquery(consent.values("pk")[:1]),
        )
        .filter(final_revision_id__isnull=False, consent_id__isnull=False)
        .exclude(Exists(excluded))
    )
    return _spec_filtered(recordings, spec).order_by("pk")


def _spec_filtered(recordings: QuerySet[Recording], spec: ReleaseSpec) -> QuerySet[Recording]:
    if spec.approved_only:
        recordings = recordings.filter(task__status=Task.Status.APPROVED)
    for values, lookup in (
        (spec.age_bands, "speaker__age_band__in"),
        (spec.genders, "speaker__gender__in"),
        (spec.regions, "speaker__region__in"),
        (spec.dialects, "speaker__dialect__in"),
        (spec.speech_styles, "speech_style__in"),
    ):
        if values:
            recordings = recordings.filter(**{lookup: values})
    if spec.quota_cells:
        recordings = recordings.filter(_in_any_cell(spec.quota_cells))
    if spec.recorded_from:
        recordings = recordings.filter(created_at__date__gte=spec.recorded_from)
    if spec.recorded_to:
        recordings = recordings.filter(created_at__date__lte=spec.recorded_to)
    if spec.min_duration is not None:
        recordings = recordings.filter(duration_seconds__gte=spec.min_duration)
    if spec.max_duration is not None:
        recordings = recordings.filter(duration_seconds__lte=spec.max_duration)
    # Quality flags are filtered by the caller (has_excluded_flag): JSON containment lookups
    # differ between PostgreSQL and SQLite, and a flag list is small.
    return recordings


def has_excluded_flag(flags: list[str] | None, spec: ReleaseSpec) -> bool:
    if not flags or not spec.exclude_quality_flags:
        return False
    return ANY_FLAG in spec.exclude_quality_flags or bool(
        set(flags) & set(spec.exclude_quality_flags)
    )


def _in_any_cell(cell_ids: list[int]) -> Q:
    """A recording is in a cell when it matches every non-blank field of the cell."""
    match = Q(pk__in=[])
    for cell in QuotaCell.objects.filter(pk__in=cell_ids):
        fields = {
            "speaker__age_band": cell.age_band,
            "speaker__gender": cell.gender,
            "speaker__region": cell.region,
            "speaker__dialect": cell.dialect,
            "speech_style": cell.speech_style,
        }
        match |= Q(**{key: value for key, value in fields.items() if value})
    return match


class RenditionNotBuilt(DomainError):
    status_code = 404
    code = "rendition_not_built"


def release_rendition(*, release: Release, key: str = "") -> ReleaseRendition:
    """The published rendition ``key`` of a release ("": its default rendition).

    RenditionNotBuilt (404) when nobody asked for it, Conflict (409) while it is building.
    """
    key = key or spec_load(release.spec).rendition.key
    rendition = ReleaseRendition.objects.filter(release=release, key=key).first()
    if rendition is None or rendition.status == ReleaseRendition.Status.FAILED:
        raise RenditionNotBuilt(
            f"release {release.pk} has no rendition '{key}': ask for it with "
            f"POST /api/releases/{release.pk}/renditions/"
        )
    if rendition.status != ReleaseRendition.Status.PUBLISHED:
        raise Conflict(
            f"rendition '{key}' of release {release.pk} is still building ({rendition.progress}%)",
            code="rendition_building",
        )
    return rendition
