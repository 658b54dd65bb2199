from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from labelhub.accounts.models import User
from labelhub.campaigns.models import Campaign, Prompt, QuotaCell
from labelhub.campaigns.quota_cells import cell_label, cell_value_labels
from labelhub.campaigns.selectors import campaigns_open_to
from labelhub.recordings.filters import RecordingFilters, filters_apply
from labelhub.recordings.flag_labels import flag_choices
from labelhub.recordings.models import BulkUpload, Recording
from labelhub.speakers.models import ConsentRecord, Speaker
from labelhub.validation import InvalidParameter


def recordings_visible_to(*, user: User) -> QuerySet[Recording]:
    """Clips of the campaigns the user may work on (campaigns_open_to, as claims use), plus the
    clip of a task they still hold a lease on: taking someone off a campaign leaves their open
    task with them until it is submitted or the lease runs out, so its audio must stay playable.

    Clients see audio only through releases.
    """
    if not (user.is_authenticated and user.is_labeling_staff):
        return Recording.objects.none()
    recordings = Recording.objects.select_related("speaker", "campaign")
    if user.is_pm:
        return recordings
    return recordings.filter(
        Q(campaign_id__in=campaigns_open_to(user=user).values("pk")) | _leased_to(user)
    )


def _leased_to(user: User) -> Q:
    # Names the task through its reverse relation: recordings must not import labeling.
    now = timezone.now()
    leased = Q(task__assignee=user, task__lease_expires_at__gte=now) | Q(
        task__double_assignee=user, task__double_lease_expires_at__gte=now
    )
    # A long-form segment plays from its source: holding the segment lets you hear the source.
    segments = Recording.objects.filter(leased, kind=Recording.Kind.SEGMENT)
    return leased | Q(pk__in=segments.values("source_id"))


def recording_list(*, user: User, filters: RecordingFilters) -> QuerySet[Recording]:
    """The recordings browser: what recordings_visible_to shows, filtered, newest first."""
    recordings = filters_apply(recordings_visible_to(user=user), filters)
    return recordings.select_related("prompt", "environment", "channel").order_by(
        "-created_at", "-pk"
    )


def recording_page(recordings: QuerySet[Recording], *, page: int, page_size: int) -> dict[str, Any]:
    """One page of the list: its rows, the total count and whether pages lie either side.

    A page past the last one is refused (400 naming page) rather than shown empty, so a client
    walking pages stops on an error it can read instead of looping on an empty answer.
    """
    count = recordings.count()
    last = max(1, -(-count // page_size))
    if page > last:
        raise InvalidParameter(
            _("query parameter page: there are only %(last)d pages") % {"last": last},
            parameter="page",
        )
    start = (page - 1) * page_size
    return {
        "count": count,
        "page": page,
        "page_size": page_size,
        "last_page": last,
        "rows": list(recordings[start : start + page_size]),
        "has_previous": page > 1,
        "has_next": page < last,
    }


# A bulk row's live state. "accepted" in the stored report only means "stored, queued for
# ingest": ingest may still reject the clip, so the report is followed through the recordings.
ROW_STATE_LABELS = {
    "received": gettext_lazy("Received, waiting for ingest"),
    "ingesting": gettext_lazy("Ingesting"),
    "ready": gettext_lazy("Ready"),
    "rejected": gettext_lazy("Rejected"),
    "withdrawn": gettext_lazy("Withdrawn"),
    "removed": gettext_lazy("Removed"),
}
PENDING_STATES = ("received", "ingesting")


def bulk_upload_rows(*, upload: BulkUpload) -> dict[str, Any]:
    """Each manifest row with its recording's current state, and counts after ingest.

    ``settled`` is true once the upload is processed and no row waits for ingest any more.
    """
    report = upload.report or {}
    accepted = report.get("accepted", [])
    found = Recording.objects.in_bulk([row["recording"] for row in accepted if "recording" in row])
    rows = [_refused_row(row) for row in report.get("rejected", [])]
    rows += [_followed_row(row, found.get(row.get("recording"))) for row in accepted]
    rows.sort(key=lambda row: row["row"])
    summary = {"accepted": 0, "rejected": 0, "pending": 0}
    for row in rows:
        summary[_outcome(row["state"])] += 1
    finished = upload.status not in (BulkUpload.Status.QUEUED, BulkUpload.Status.RUNNING)
    return {"rows": rows, "summary": summary, "settled": finished and not summary["pending"]}


def _outcome(state: str) -> str:
    # Withdrawn and removed clips passed ingest before they left: they count as accepted.
    if state in PENDING_STATES:
        return "pending"
    return "rejected" if state == "rejected" else "accepted"


_NO_RECORDING = {"recording": None, "uid": None, "recording_url": None}


def _refused_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "row": row["row"],
        "file": row["file"],
        "stage": "upload",
        "state": "rejected",
        **_NO_RECORDING,
        "code": row.get("code", ""),
        "reason": row.get("error", ""),
    }


def _followed_row(row: dict[str, Any], recording: Recording | None) -> dict[str, Any]:
    followed = {"row": row["row"], "file": row["file"], "stage": "ingest", **_NO_RECORDING}
    if recording is None:  # deleted since: nothing left to follow
        return {**followed, "state": "removed", "code": "", "reason": ""}
    return {
        **followed,
        "recording": recording.pk,
        "uid": str(recording.uid),
        "recording_url": f"/api/recordings/{recording.pk}/",
        "state": _state(recording),
        "code": recording.rejection_code,
        "reason": recording.rejection_reason,
    }


def _state(recording: Recording) -> str:
    if recording.status == Recording.Status.RECEIVED:
        # A run has begun once the ingest job counted an attempt.
        return "ingesting" if recording.ingest_attempts else "received"
    return recording.status


PROMPT_EXCERPT = 60


def recording_filter_choices(*, campaign: Campaign) -> dict[str, list[tuple[str, str]]]:
    """The browser form's select lists: (value, label) pairs of what this campaign holds."""
    prompts = campaign.prompts.order_by("pk").values_list("pk", "external_id", "text")
    codes = (
        campaign.recordings.exclude(rejection_code="")
        .order_by("rejection_code")
        .values_list("rejection_code", flat=True)
        .distinct()
    )
    cell_labels = cell_value_labels(campaign)
    return {
        "speaker": [
            (c, c) for c in campaign.speakers.order_by("code").values_list("code", flat=True)
        ],
        "cell": [
            (str(cell.pk), cell_label(cell, cell_labels)) for cell in campaign.quota_cells.all()
        ],
        "prompt": [
            (str(pk), _excerpt(f"{ext} {text}" if ext else text)) for pk, ext, text in prompts
        ],
        "environment": [(str(e.pk), e.name) for e in campaign.environments.order_by("name")],
        "channel": [(str(c.pk), c.name) for c in campaign.channels.order_by("name")],
        "status": [(value, str(label)) for value, label in Recording.Status.choices],
        "kind": [(value, str(label)) for value, label in Recording.Kind.choices],
        "rejection_code": [(code, code) for code in codes],
        "flag": flag_choices(),
    }


def _excerpt(text: str) -> str:
    return text if len(text) <= PROMPT_EXCERPT else text[: PROMPT_EXCERPT - 1] + "…"


def bulk_upload_followed(*, upload: BulkUpload) -> dict[str, Any]:
    """bulk_upload_rows for the report page: each row also carries its state's label."""
    followed = bulk_upload_rows(upload=upload)
    for row in followed["rows"]:
        row["state_label"] = ROW_STATE_LABELS.get(row["state"], row["state"])
    return followed


# --- what the campaign page lists ---------------------------------------------------------------


def prompts_with_recording_counts(*, campaign: Campaign) -> QuerySet[Prompt]:
    """Prompts in script order, each with its recordings that count (kept, of current speakers).

    `recorded`: every such recording; `ready`: those that passed ingest.
    """
    kept = Q(recordings__speaker__withdrawn_at__isnull=True) & ~Q(
        recordings__status__in=[Recording.Status.REJECTED, Recording.Status.REMOVED]
    )
    return (
        Prompt.objects.filter(campaign=campaign)
        .annotate(
            recorded=Count("recordings", filter=kept),
            ready=Count("recordings", filter=kept & Q(recordings__status=Recording.Status.READY)),
        )
        .order_by("id")
    )


def speakers_with_consent(*, campaign: Campaign) -> QuerySet[Speaker]:
    """Speakers, newest first, with their consents (and the versions signed) prefetched."""
    consents = ConsentRecord.objects.select_related("document").order_by("-signed_at")
    return (
        Speaker.objects.filter(campaign=campaign)
        .annotate(
            clip_count=Count(
                "recordings",
                filter=~Q(
                    recordings__status__in=[Recording.Status.REJECTED, Recording.Status.REMOVED]
                ),
            )
        )
        .prefetch_related(Prefetch("consents", queryset=consents))
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class CellProgress:
    """One quota cell's target against what was collected and approved (clips and minutes)."""

    cell: QuotaCell
    collected_clips: int
    approved_clips: int
    collected_minutes: float
    approved_minutes: float
    collected_speakers: int


def _cell_filter(cell: QuotaCell) -> Q:
    """Recordings in a cell: matching each of its non-blank dimensions (as analytics counts)."""
    match = Q()
    for name in ("age_band", "gender", "region", "dialect"):
        if getattr(cell, name):
            match &= Q(**{f"speaker__{name}": getattr(cell, name)})
    if cell.speech_style:
        match &= Q(speech_style=cell.speech_style)
    return match


def quota_progress(*, campaign: Campaign) -> dict[int, CellProgress]:
    """Per quota cell id, the progress the campaign page draws as bars: one aggregate query.

    Counted as labelhub.analytics.coverage counts: ready clips of current speakers (long-form
    sources through their segments), approved when their task is.
    """
    cells = list(QuotaCell.objects.filter(campaign=campaign))
    collected = Q(status=Recording.Status.READY, speaker__withdrawn_at__isnull=True)
    approved = collected & Q(task__status="approved")
    sums: dict[str, Count | Sum] = {}
    for cell in cells:
        inside = _cell_filter(cell)
        for name, which in (("collected", collected), ("approved", approved)):
            sums[f"{name}_clips_{cell.pk}"] = Count("id", filter=inside & which)
            sums[f"{name}_seconds_{cell.pk}"] = Sum("duration_seconds", filter=inside & which)
        sums[f"speakers_{cell.pk}"] = Count("speaker", filter=inside & collected, distinct=True)
    totals = (
        Recording.objects.filter(campaign=campaign)
        .exclude(kind=Recording.Kind.SOURCE)
        .exclude(status=Recording.Status.REMOVED)
        .aggregate(**sums)
        if cells
        else {}
    )

    def minutes(key: str) -> float:
        return round((totals[key] or 0.0) / 60, 2)

    return {
        cell.pk: CellProgress(
            cell=cell,
            collected_clips=totals[f"collected_clips_{cell.pk}"],
            approved_clips=totals[f"approved_clips_{cell.pk}"],
            collected_minutes=minutes(f"collected_seconds_{cell.pk}"),
            approved_minutes=minutes(f"approved_seconds_{cell.pk}"),
            collected_speakers=totals[f"speakers_{cell.pk}"],
        )
        for cell in cells
    }
