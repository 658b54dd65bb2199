"""The query of the spectrogram API, read into a window: bad values are a 400 naming them."""

import math
from collections.abc import Mapping

from labelhub.recordings.models import Recording
from labelhub.validation import InvalidParameter

DEFAULT_WIDTH, DEFAULT_HEIGHT = 1000, 128


def spectrogram_window(query: Mapping[str, str], *, recording: Recording) -> dict:
    """start, end, width and height for spectrogram_png; unset times default to the segment's
    span (a segment) or the whole file (a clip or a source)."""
    if recording.kind == Recording.Kind.SEGMENT:
        # A segment always has its span (the model's check); the fields are nullable for clips.
        default_start, default_end = recording.start_seconds or 0.0, recording.end_seconds or 0.0
    else:
        default_start, default_end = 0.0, recording.duration_seconds or 0.0
    return {
        "start": _number(query, "start", default_start),
        "end": _number(query, "end", default_end),
        "width": _pixels(query, "width", DEFAULT_WIDTH),
        "height": _pixels(query, "height", DEFAULT_HEIGHT),
    }


def _number(query: Mapping[str, str], name: str, default: float) -> float:
    raw = query.get(name)
    if raw in (None, ""):
        return float(default)
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InvalidParameter(f"{name} must be a number of seconds", parameter=name)
    return value


def _pixels(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw in (None, ""):
        return default
    if not (raw.isascii() and raw.isdigit()):
        raise InvalidParameter(f"{name} must be a whole number of pixels", parameter=name)
    return int(raw)
