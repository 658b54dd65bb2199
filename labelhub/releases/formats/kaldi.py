"""Kaldi data directories ``kaldi/<split>/`` that pass ``utils/validate_data_dir.sh --no-feats``.

Utterance ids are ``<speaker>-<item>``, so sorting by utterance also groups by speaker, which
validate_data_dir.sh needs for utt2spk and spk2utt to agree. Files are sorted in C-locale byte
order; Python sorts str by code point, which is the same order as UTF-8 bytes.

``wav.scp`` paths are relative to the release root, since Kaldi opens them from the working
directory; pass ``audio_prefix`` (e.g. where the release was unpacked) to make them absolute.
``spk2gender`` only allows m and f, and a partial file fails validation, so a split with any
other gender gets no spk2gender; likewise utt2dur needs every duration above zero. Both files
are optional. FLAC audio is listed as a pipe, ``sox <path> -t wav - |``: Kaldi's tools read
only WAV, and sox is one of Kaldi's own required tools (tools/extras/check_dependencies.sh),
whereas the ``flac`` command that the LibriSpeech recipe pipes through often is not installed.
Transcripts are flattened to one line of ASCII spaces: validate_text.pl refuses
other Unicode whitespace (U+3000, no-break space).

Long-form sources stay whole, as Kaldi recipes keep long recordings: a split holding segments
gets a ``segments`` file, ``<utt-id> <recording-id> <start> <end>`` in seconds, and its
``wav.scp`` then lists recordings, not utterances: each source once (recording-id = the
source's uid) pointing at ``sources/<uid>.wav``. Once a data dir has ``segments`` every
utterance must be in it and every wav.scp entry must be a recording one names
(validate_data_dir.sh compares the two lists), so a clip in the same split becomes a recording
of its own, its utterance id, with one segment spanning the whole clip. Times are exact sample
positions (k/16000 s). Splits without segments are written exactly as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from functools import partial

from labelhub.releases.formats.base import (
    ExportItem,
    Files,
    Streams,
    by_split,
    check_items,
    joined,
    one_line,
    seconds_text,
)

KALDI_GENDER = {"male": "m", "female": "f"}
# What Kaldi's tables cannot hold in a key or a path: empty, a leading ~, any whitespace (str's
# isspace and re's \s agree on what whitespace is).
_NOT_A_KALDI_TOKEN = re.compile(r"\A(?:~|\Z)|\s")


def kaldi_files(items: Iterable[ExportItem], *, audio_prefix: str = "") -> Files:
    return joined(kaldi_streams(items, audio_prefix=audio_prefix))


def kaldi_streams(items: Iterable[ExportItem], *, audio_prefix: str = "") -> Streams:
    streams: Streams = {}
    for split, group in by_split(check_items(items)).items():
        for name, lines in _data_dir(group, audio_prefix).items():
            streams[f"kaldi/{split}/{name}"] = partial(_ended, lines)
    return streams


def _ended(lines: Callable[[], Iterable[str]]) -> Iterator[str]:
    for line in lines():
        yield line + "\n"


def utterance_id(item: ExportItem) -> str:
    return f"{item.speaker_id}-{item.item_id}"


Utts = list[tuple[str, ExportItem]]


def _data_dir(items: list[ExportItem], audio_prefix: str) -> dict[str, Callable[[], Iterable[str]]]:
    """Each file's lines, made when read: the checks that decide which files exist run now."""
    utts = sorted(((utterance_id(i), i) for i in _checked(items, audio_prefix)), key=_first)
    if len({utt for utt, _ in utts}) < len(utts):
        raise ValueError("two items get the same utterance id <speaker>-<item>; rename one")
    in_utt_order = [item.speaker_id for _, item in utts]
    if in_utt_order != sorted(in_utt_order):
        raise ValueError(
            f"speaker ids {sorted(set(in_utt_order))} interleave when their utterance ids are "
            "sorted (one id is another's prefix followed by '-' or a lower character); rename one"
        )
    del in_utt_order
    speakers: dict[str, list[str]] = {}
    for utt, item in utts:
        speakers.setdefault(item.speaker_id, []).append(utt)
    genders = {item.speaker_id: KALDI_GENDER.get(item.gender) for _, item in utts}
    data_dir: dict[str, Callable[[], Iterable[str]]] = {
        "wav.scp": partial(_wav_scp, utts, audio_prefix),
        "text": partial(_text, utts),
        "utt2spk": partial(_utt2spk, utts),
        "spk2utt": partial(_spk2utt, speakers),
    }
    if any(item.span for _, item in utts):
        data_dir["segments"] = partial(_segments, utts)
    # Optional files whose every line must be valid, or validation fails: written only if so.
    if all(item.duration > 0 for _, item in utts):
        data_dir["utt2dur"] = partial(_utt2dur, utts)
    if all(genders.values()):
        data_dir["spk2gender"] = partial(_spk2gender, speakers, genders)
    return data_dir


def _text(utts: Utts) -> Iterator[str]:
    return (f"{utt} {one_line(item.text)}".rstrip() for utt, item in utts)


def _utt2spk(utts: Utts) -> Iterator[str]:
    return (f"{utt} {item.speaker_id}" for utt, item in utts)


def _spk2utt(speakers: dict[str, list[str]]) -> Iterator[str]:
    return (f"{speaker} {' '.join(ids)}" for speaker, ids in speakers.items())


def _segments(utts: Utts) -> Iterator[str]:
    return (_segment_line(utt, item) for utt, item in utts)


def _utt2dur(utts: Utts) -> Iterator[str]:
    return (f"{utt} {_duration(item)}" for utt, item in utts)


def _spk2gender(speakers: dict[str, list[str]], genders: dict[str, str | None]) -> Iterator[str]:
    return (f"{speaker} {genders[speaker]}" for speaker in speakers)


def _wav_scp(utts: Utts, audio_prefix: str) -> Iterable[str]:
    """Utterance -> audio lines for a split of clips; recording -> audio lines, sorted by
    recording id and each source once, when the split holds segments."""
    if not any(item.span for _, item in utts):
        return (f"{utt} {wav_entry(audio_prefix + item.audio_name)}" for utt, item in utts)
    recordings: dict[str, str] = {}
    for utt, item in utts:
        recording, audio = _recording_of(utt, item)
        recordings[recording] = wav_entry(audio_prefix + audio)
    return [f"{recording} {entry}" for recording, entry in sorted(recordings.items())]


def _recording_of(utt: str, item: ExportItem) -> tuple[str, str]:
    if item.span is None:
        return utt, item.audio_name
    return item.span.source_id, item.span.source_audio


def _segment_line(utt: str, item: ExportItem) -> str:
    recording, _audio = _recording_of(utt, item)
    if item.span is None:  # a clip in a split with segments: one segment, all of it
        return f"{utt} {recording} 0 {item.duration:g}"
    span = item.span
    start, end = (
        seconds_text(span.first, span.sample_rate),
        seconds_text(span.stop, span.sample_rate),
    )
    return f"{utt} {recording} {start} {end}"


def _duration(item: ExportItem) -> str:
    span = item.span
    return (
        f"{item.duration:g}"
        if span is None
        else seconds_text(span.stop - span.first, span.sample_rate)
    )


def wav_entry(path: str) -> str:
    """The wav.scp value for an audio file: the path itself for WAV, a decoding pipe otherwise."""
    if path.endswith(".wav"):
        return path
    return f"sox {path} -t wav - |"


def _first(pair: tuple[str, ExportItem]) -> str:
    return pair[0]


def _checked(items: list[ExportItem], audio_prefix: str) -> list[ExportItem]:
    for item in items:
        for label, value in (
            ("speaker id", item.speaker_id),
            ("item id", item.item_id),
            ("audio path", audio_prefix + item.audio_name),
            ("source id", item.span.source_id if item.span else "-"),
            ("source audio path", audio_prefix + item.span.source_audio if item.span else "-"),
        ):
            if _NOT_A_KALDI_TOKEN.search(value):
                raise ValueError(
                    f"Kaldi {label} {value!r} is empty, starts with ~ or contains whitespace"
                )
    return items
