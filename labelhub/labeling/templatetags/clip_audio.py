"""Inline players for the PM's lists of clips (triage, curation, exclusions).

`{% clip_player recording %}` plays a Recording the page already has; for a list that holds
only recording ids, `{% clip_audio_srcs rows as srcs %}` reads them all in one query and
`{% clip_player_src srcs row.recording_id %}` plays one. A long-form segment has no file of
its own: it plays its source's audio over the segment's span (a media fragment, #t=start,end).
"""

from collections.abc import Iterable

from django import template
from django.urls import reverse

from labelhub.recordings.models import Recording

register = template.Library()

PLAYER = "labeling/_clip_player.html"


def audio_src(recording: Recording) -> str:
    """The clip's audio URL, or "" when it has none to play (a withdrawn speaker's clip)."""
    if recording.status != Recording.Status.READY:
        return ""
    if recording.kind == Recording.Kind.SEGMENT and recording.source_id:
        url = reverse("recording-audio", args=[recording.source_id])
        return f"{url}#t={recording.start_seconds:.3f},{recording.end_seconds:.3f}"
    return reverse("recording-audio", args=[recording.pk])


@register.inclusion_tag(PLAYER)
def clip_player(recording: Recording) -> dict:
    return {"src": audio_src(recording), "recording_id": recording.pk}


@register.simple_tag
def clip_audio_srcs(rows: Iterable[object]) -> dict[int, str]:
    """recording id -> audio URL for every row (an object or a dict) with a `recording_id`;
    rows without one (a speaker's exclusion) are skipped."""
    ids = {pk for row in rows if (pk := _recording_id(row)) is not None}
    fields = ("pk", "status", "kind", "source_id", "start_seconds", "end_seconds")
    recordings = Recording.objects.filter(pk__in=ids).only(*fields)
    return {recording.pk: audio_src(recording) for recording in recordings}


def _recording_id(row: object) -> int | None:
    if isinstance(row, dict):
        return row.get("recording_id")
    return getattr(row, "recording_id", None)


@register.inclusion_tag(PLAYER)
def clip_player_src(srcs: dict[int, str], recording_id: int | None) -> dict:
    return {"src": srcs.get(recording_id, "") if recording_id else "", "recording_id": recording_id}
