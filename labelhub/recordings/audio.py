"""Checking and normalising uploaded voice recordings.

Pure Python on purpose (no Django imports) so upload views, Celery workers and tests can all use
it without settings. Everything that touches the audio goes through ffprobe/ffmpeg subprocesses.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydub import AudioSegment

from labelhub.recordings.riff import RiffEnded, riff_chunks

ACCEPTED_SUFFIXES = frozenset({".wav", ".mp3", ".m4a", ".aac", ".ogg", ".opus", ".webm", ".flac"})
# Long-form sources may also come as video (broadcasts, online video, meeting recordings): only
# their first audio stream is used. The demuxers below already cover these containers.
SOURCE_SUFFIXES = ACCEPTED_SUFFIXES | {".mp4", ".mkv", ".mov"}

# ffprobe must only ever use the demuxers behind ACCEPTED_SUFFIXES: a crafted upload could
# otherwise be read as an HLS playlist or concat list and make ffmpeg open other files or URLs.
_DEMUXERS = "wav,mp3,mov,mp4,m4a,3gp,3g2,mj2,aac,ogg,matroska,webm,flac"
PROBE_TIMEOUT_S = 30
# Every ffmpeg run names its input's protocol and format (or the demuxers above), so no input
# can make it open anything but the file or pipe it is handed.
_FFMPEG = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error"]
# pydub's in-memory sample layouts, as ffmpeg's raw PCM formats (little-endian, signed).
_RAW_FORMATS = {1: "s8", 2: "s16le", 4: "s32le"}
_LOSSY_CODECS = frozenset({"mp3", "aac", "vorbis", "opus"})
_WIDE_SAMPLE_FORMATS = frozenset({"s32", "s64", "flt", "dbl"})
_BIT_KEYS = ("bits_per_sample", "bits_per_raw_sample")
_CHUNK = 1024 * 1024
# Some recorders cannot seek back to patch sizes, so they leave the "unknown length" marker.
_STREAMING_SIZE = 0xFFFFFFFF
_MAGIC_HINTS = {
    b"%PDF": "looks like a PDF document",
    b"\x89PNG": "looks like a PNG image",
    b"\xff\xd8\xff": "looks like a JPEG image",
    b"GIF8": "looks like a GIF image",
    b"PK\x03\x04": "looks like a ZIP archive or office document",
}


class AudioRejected(Exception):
    """An upload that cannot become a usable recording; ``reason`` is safe to show the user."""

    def __init__(self, code: str, reason: str, *, stderr: str = "") -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        # ffprobe's whole error output, for callers that tell apart causes the reason merges.
        self.stderr = stderr


@dataclass(frozen=True)
class AudioProbe:
    format_name: str
    codec: str
    duration: float
    sample_rate: int
    channels: int


@dataclass(frozen=True)
class NormalisedAudio:
    # duration, sample_rate and channels describe the original upload, not the normalised copy.
    duration: float
    sample_rate: int
    channels: int
    normalised_path: Path
    peak_dbfs: float
    rms_dbfs: float
    clipping_ratio: float = 0.0


# Ingest quality rules. Hard ones reject the clip with a reason; soft ones keep it with a flag
# for review. Levels are dBFS of the decoded signal; a sample counts as clipped at 99.9% of
# full scale because encoders round the flat tops of a clipped wave a little.
MIN_SAMPLE_RATE = 16000
SILENT_RMS_DBFS = -60.0
QUIET_RMS_DBFS = -40.0
LOUD_RMS_DBFS = -8.0
CLIPPED_SAMPLE = 0.999
CLIPPED_FLAG_RATIO = 0.001
CLIPPED_REJECT_RATIO = 0.05
# pydub reports -inf dBFS for a zero RMS (a clip of a few ±1 samples rounds to that). Levels are
# stored no lower than this floor, which is below the quietest 16-bit step (-96 dBFS), so a
# figure at the floor reads as digital silence and every stored figure is a finite number.
LEVEL_FLOOR_DBFS = -120.0


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def validate_upload(path: Path, *, filename: str, long_form: bool = False) -> AudioProbe:
    """Cheap checks run before an upload is stored; the full decode happens later in normalise.

    ``long_form``: a long-form source, which may also be a video container; a file without an
    audio stream or without its MP4 index then gets its own code (no_audio_stream, truncated).
    """
    path = Path(path)
    _check_suffix(filename, SOURCE_SUFFIXES if long_form else ACCEPTED_SUFFIXES)
    size = path.stat().st_size
    if size == 0:
        raise AudioRejected("empty", "the file is empty")
    # Before ffprobe: ffmpeg quietly decodes whatever part of a truncated WAV is present.
    _check_wav_complete(path, size)
    probe = _probe_source(path) if long_form else _probe(path)
    if probe.duration <= 0:
        raise AudioRejected("too_short", "the file contains no audio samples (duration is 0 s)")
    return probe


def normalise(
    path: Path, *, out_path: Path, sample_rate: int = 16000, min_seconds: float = 0.1
) -> NormalisedAudio:
    """Decode fully and write a 16-bit mono PCM WAV at ``sample_rate`` to ``out_path``.

    Expects a file that already passed validate_upload, which limits the demuxers ffmpeg may pick.
    """
    segment = _decode(Path(path))
    duration = segment.duration_seconds
    if duration < min_seconds:
        raise AudioRejected(
            "too_short",
            f"the recording is too short: {duration:.3f} s, at least {min_seconds:g} s needed",
        )
    peak = segment.max_dBFS
    if peak == float("-inf"):
        raise AudioRejected("silent", "the recording is completely silent")
    _export_wav(segment, Path(out_path), sample_rate=sample_rate)
    return NormalisedAudio(
        duration=duration,
        sample_rate=segment.frame_rate,
        channels=segment.channels,
        normalised_path=Path(out_path),
        peak_dbfs=level_dbfs(peak),
        rms_dbfs=level_dbfs(segment.dBFS),
        clipping_ratio=_clipping_ratio(segment),
    )


def level_dbfs(value: float) -> float:
    """A level in dBFS as stored: finite, and no lower than LEVEL_FLOOR_DBFS."""
    # Only -inf (a zero signal) occurs in practice; NaN and +inf would be a decoder's bug.
    if not math.isfinite(value):
        return LEVEL_FLOOR_DBFS
    return max(value, LEVEL_FLOOR_DBFS)


def assess_quality(audio: NormalisedAudio, *, min_seconds: float, max_seconds: float) -> list[str]:
    """The soft quality flags of a decoded clip; raises AudioRejected on a hard failure."""
    if audio.duration < min_seconds:
        raise AudioRejected(
            "too_short",
            f"the recording is {audio.duration:.1f} s; at least {min_seconds:g} s needed",
        )
    if audio.duration > max_seconds:
        raise AudioRejected(
            "too_long",
            f"the recording is {audio.duration:.1f} s; at most {max_seconds:g} s allowed",
        )
    if audio.rms_dbfs < SILENT_RMS_DBFS:
        raise AudioRejected("silent", f"the recording is silent (level {audio.rms_dbfs:.0f} dBFS)")
    if audio.sample_rate < MIN_SAMPLE_RATE:
        raise AudioRejected(
            "low_sample_rate",
            f"the sample rate is {audio.sample_rate} Hz; at least {MIN_SAMPLE_RATE} Hz needed",
        )
    if audio.clipping_ratio >= CLIPPED_REJECT_RATIO:
        raise AudioRejected(
            "clipped", f"{audio.clipping_ratio:.0%} of the samples are clipped (distorted)"
        )
    flags = []
    if audio.rms_dbfs < QUIET_RMS_DBFS:
        flags.append("quiet")
    elif audio.rms_dbfs > LOUD_RMS_DBFS:
        flags.append("loud")
    if audio.clipping_ratio >= CLIPPED_FLAG_RATIO:
        flags.append("clipped")
    return flags


def check_duration_before_decoding(probe: AudioProbe, *, max_seconds: float) -> None:
    """Refuses an over-long file from ffprobe's figure, before anything decodes it into memory."""
    if probe.duration > max_seconds:
        raise AudioRejected(
            "too_long",
            f"the recording is {probe.duration:.0f} s long; at most {max_seconds:g} s allowed",
        )


def _check_suffix(filename: str, accepted_suffixes: frozenset[str]) -> None:
    suffix = Path(filename).suffix.lower()
    if suffix in accepted_suffixes:
        return
    accepted = ", ".join(sorted(accepted_suffixes))
    what = f"files of type '{suffix}' are" if suffix else "files without an extension are"
    raise AudioRejected("unsupported_type", f"{what} not accepted (accepted: {accepted})")


def _check_wav_complete(path: Path, size: int) -> None:
    with path.open("rb") as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:4] not in (b"RIFF", b"RF64") or head[8:12] != b"WAVE":
            return

        def read(offset: int, length: int) -> bytes:
            fh.seek(offset)
            return fh.read(length)

        rf64_data_size = None
        try:
            for chunk_id, chunk_size, offset in riff_chunks(read):
                if chunk_id == b"ds64":
                    # RF64 keeps the real 64-bit data size here, 0xFFFFFFFF in the data chunk.
                    rf64_data_size = int.from_bytes(read(offset + 8, 16)[8:], "little")
                elif chunk_id == b"data":
                    promised = chunk_size
                    if chunk_size == _STREAMING_SIZE and rf64_data_size is not None:
                        promised = rf64_data_size
                    _check_data_size(promised, held=size - offset - 8)
                    return
        except RiffEnded as ended:
            raise _truncated("it ends before the audio data starts") from ended


def _check_data_size(promised: int, *, held: int) -> None:
    if promised == _STREAMING_SIZE:
        return
    if promised > held:
        raise _truncated(f"header promises {promised} bytes of audio, file holds {max(held, 0)}")


def _truncated(detail: str) -> AudioRejected:
    return AudioRejected("truncated", f"the WAV file is truncated: {detail}")


def _probe(path: Path) -> AudioProbe:
    info = _ffprobe_json(path)
    audio = [s for s in info.get("streams", []) if s.get("codec_type") == "audio"]
    if not audio:
        others = sorted({s.get("codec_type", "unknown") for s in info.get("streams", [])})
        hint = f"it only has {', '.join(others)} streams" if others else "it has no streams"
        raise AudioRejected("not_audio", f"the file is not audio: no audio stream found ({hint})")
    stream, fmt = audio[0], info.get("format", {})
    return AudioProbe(
        format_name=fmt.get("format_name", ""),
        codec=stream.get("codec_name", ""),
        duration=_duration(path, stream, fmt),
        sample_rate=int(stream.get("sample_rate") or 0),
        channels=int(stream.get("channels") or 0),
    )


def _probe_source(path: Path) -> AudioProbe:
    """_probe, with the reasons a long-form source's uploader needs: a video that has no sound,
    or an MP4/MOV cut short (its index, written last by most encoders, is missing)."""
    try:
        return _probe(path)
    except AudioRejected as rejected:
        if "moov atom not found" in rejected.stderr:
            raise AudioRejected(
                "truncated",
                "the file is truncated: its MP4/MOV index (moov atom) is missing, "
                "as when an upload or a recording stopped before the end",
            ) from rejected
        if "only has" in rejected.reason:
            hint = rejected.reason.rsplit("(", 1)[-1].rstrip(")")
            reason = f"the file has no audio stream to use: {hint}"
            raise AudioRejected("no_audio_stream", reason) from rejected
        raise


def _ffprobe_json(path: Path) -> dict:
    result = _run_ffprobe(path, ["-show_format", "-show_streams", "-of", "json"])
    if result.returncode != 0:
        hint = _sniff(path) or _last_line(result.stderr, path) or "unreadable"
        reason = f"the file is not audio: no audio stream found ({hint})"
        raise AudioRejected("not_audio", reason, stderr=result.stderr)
    return json.loads(result.stdout or "{}")


def _duration(path: Path, stream: dict, fmt: dict) -> float:
    # Raw ADTS AAC has no length field; ffprobe guesses from the bitrate and can be 10% off.
    if fmt.get("format_name") != "aac":
        for value in (stream.get("duration"), fmt.get("duration")):
            if (seconds := _seconds(value)) is not None:
                return seconds
    return _duration_from_packets(path)


def _duration_from_packets(path: Path) -> float:
    # Browser MediaRecorder WebM has no duration in its header, so go by packet timestamps.
    entries = ["-select_streams", "a:0", "-show_entries", "packet=pts_time,duration_time"]
    result = _run_ffprobe(path, [*entries, "-of", "csv=p=0"])
    rows = [line.split(",") for line in result.stdout.splitlines() if line.strip()]
    read = [(_seconds(r[0]), _seconds(r[1]) if len(r) > 1 else None) for r in rows]
    times = [(pts, dur or 0.0) for pts, dur in read if pts is not None]
    if not times:
        return 0.0
    return max(pts + dur for pts, dur in times) - min(pts for pts, _ in times)


def _run_ffprobe(path: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    command = [
        "ffprobe", "-v", "error", "-protocol_whitelist", "file", "-format_whitelist", _DEMUXERS,
        *args, f"file:{path.resolve()}",
    ]  # fmt: skip
    try:
        return subprocess.run(
            command, capture_output=True, text=True, errors="replace", timeout=PROBE_TIMEOUT_S
        )
    except subprocess.TimeoutExpired as exc:
        reason = f"the file took longer than {PROBE_TIMEOUT_S} s to inspect"
        raise AudioRejected("probe_timeout", reason) from exc


def _sniff(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(4096)
    for magic, hint in _MAGIC_HINTS.items():
        if head.startswith(magic):
            return hint
    # Cut a few bytes so a multi-byte character split at the 4 KiB boundary still decodes.
    sample = head[:-3] if len(head) == 4096 else head
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return "looks like text" if text and printable / len(text) > 0.95 else ""


def _last_line(stderr: str, path: Path) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    if not lines:
        return ""
    # ffmpeg prefixes messages with the input name; the server-side path means nothing to users.
    for prefix in (f"file:{path.resolve()}: ", f"{path}: ", "pipe:0: ", "cache:pipe:0: "):
        lines[-1] = lines[-1].removeprefix(prefix)
    return lines[-1]


def _seconds(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _decode(path: Path) -> AudioSegment:
    """ffmpeg run directly, not through pydub: pydub's ffprobe and ffmpeg calls take no input
    options, so they would open a playlist's URLs. The samples are pydub's: the first audio
    stream at its own rate and channels, 16-bit (32-bit for high-resolution sources)."""
    stream = _first_audio_stream(path)
    width = _decoded_width(stream)
    command = [
        *_FFMPEG, "-protocol_whitelist", "file", "-format_whitelist", _DEMUXERS,
        "-i", f"file:{path.resolve()}", "-map", "0:a:0", "-vn",
        "-ar", str(stream["sample_rate"]), "-ac", str(stream["channels"]),
        "-f", _RAW_FORMATS[width], "-protocol_whitelist", "pipe", "pipe:1",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True)
    if result.returncode != 0 or not result.stdout:
        stderr = result.stderr.decode("utf-8", errors="replace")
        detail = _last_line(stderr, path) or "ffmpeg could not decode it"
        raise AudioRejected("undecodable", f"the audio could not be decoded: {detail}")
    usable = len(result.stdout) - len(result.stdout) % (width * stream["channels"])
    return AudioSegment(
        data=result.stdout[:usable],
        sample_width=width,
        frame_rate=stream["sample_rate"],
        channels=stream["channels"],
    )


def _first_audio_stream(path: Path) -> dict:
    result = _run_ffprobe(path, ["-show_streams", "-of", "json"])
    if result.returncode != 0:
        detail = _last_line(result.stderr, path) or "unreadable"
        reason = f"the audio could not be decoded: no audio stream could be read (ffmpeg: {detail})"
        raise AudioRejected("undecodable", reason)
    for stream in json.loads(result.stdout or "{}").get("streams", []):
        rate, channels = _seconds(stream.get("sample_rate")), _seconds(stream.get("channels"))
        if stream.get("codec_type") == "audio" and rate and channels:
            return {**stream, "sample_rate": int(rate), "channels": int(channels)}
    raise AudioRejected("undecodable", "the audio could not be decoded: no usable audio stream")


def _decoded_width(stream: dict) -> int:
    # As pydub chose: lossy codecs decode to 16 bits, 24- and 32-bit and float sources to 32.
    if stream.get("codec_name") in _LOSSY_CODECS:
        return 2
    bits = max(int(_seconds(stream.get(key)) or 0) for key in _BIT_KEYS)
    high = bits > 16 or stream.get("sample_fmt", "").rstrip("p") in _WIDE_SAMPLE_FORMATS
    return 4 if high else 2


def _clipping_ratio(segment: AudioSegment) -> float:
    samples = np.abs(np.asarray(segment.get_array_of_samples(), dtype=np.float64))
    if samples.size == 0:
        return 0.0
    threshold = CLIPPED_SAMPLE * segment.max_possible_amplitude
    return float(np.count_nonzero(samples >= threshold) / samples.size)


def _export_wav(segment: AudioSegment, out_path: Path, *, sample_rate: int) -> None:
    # ffmpeg's resampler, not pydub's audioop.ratecv, which does no anti-alias filtering.
    # bitexact and no metadata keep the output deterministic and free of uploaders' tags.
    parameters = ["-ar", str(sample_rate), "-ac", "1", "-map_metadata", "-1", "-bitexact"]
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = out_path.with_name(f".{out_path.name}.{secrets.token_hex(6)}.tmp")
    try:
        # Not mkstemp: its 0600 mode would survive os.replace and hide the file from other users
        # (web server, workers); "x" mode creates it with the normal umask-derived permissions.
        tmp_path.open("xb").close()
        _encode_wav(segment, tmp_path, parameters)
        os.replace(tmp_path, out_path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def _encode_wav(segment: AudioSegment, out_path: Path, parameters: list[str]) -> None:
    """ffmpeg run directly, with its input (raw samples on a pipe) and output (one file)
    whitelisted; pydub's export takes no input options."""
    command = [
        *_FFMPEG, "-protocol_whitelist", "pipe", "-f", _RAW_FORMATS[segment.sample_width],
        "-ar", str(segment.frame_rate), "-ac", str(segment.channels), "-i", "pipe:0",
        *parameters, "-acodec", "pcm_s16le", "-f", "wav",
        "-protocol_whitelist", "file", "-y", f"file:{out_path.resolve()}",
    ]  # fmt: skip
    result = subprocess.run(command, input=segment.raw_data, capture_output=True)
    if result.returncode != 0:
        detail = _last_line(result.stderr.decode("utf-8", errors="replace"), out_path)
        raise RuntimeError(f"ffmpeg could not write the normalised WAV: {detail}")
