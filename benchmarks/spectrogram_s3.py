"""Spectrogram tiles of a long WAV in object storage: ranged reads against the whole-file copy.

Stores a generated 16 kHz mono WAV (--minutes, default 120: 230 MB) in a throwaway SeaweedFS
(scripts/s3_server.py), then draws tiles of it three ways and prints bytes fetched from S3 and
seconds per tile: by ranged GETs (labelhub.storage.S3ByteSource, as the API does now), and by
the former way, a copy of the whole object to a temporary file read with seek (local_path).
The last line printed is one JSON object.

Usage: nice -n 5 .venv/bin/python benchmarks/spectrogram_s3.py [--minutes 120] [--width 1000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from labelhub.recordings.spectrogram import spectrogram_png  # noqa: E402
from labelhub.storage import LocalByteSource, S3ByteSource  # noqa: E402

RATE = 16000


class Counting:
    def __init__(self, source: S3ByteSource) -> None:
        self.source, self.bytes, self.requests = source, 0, 0

    def read_spans(self, spans: list[tuple[int, int]]) -> list[bytes]:
        out = self.source.read_spans(spans)
        self.requests += len(spans)
        self.bytes += sum(len(part) for part in out)
        return out


def write_wav(path: Path, minutes: int) -> None:
    rng = np.random.default_rng(1)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        for _ in range(minutes):  # one minute at a time: never the whole file in memory
            out.writeframes((rng.standard_normal(60 * RATE) * 3000).astype("<i2").tobytes())


def ranged(source: S3ByteSource, window: dict) -> tuple[dict, bytes]:
    counting = Counting(source)
    began = time.perf_counter()
    png = spectrogram_png(counting, **window)
    seconds = time.perf_counter() - began
    return {"seconds": round(seconds, 3), "bytes": counting.bytes, "gets": counting.requests}, png


def copied(client, bucket: str, key: str, window: dict) -> tuple[dict, bytes]:
    began = time.perf_counter()
    with tempfile.NamedTemporaryFile(suffix=".wav") as tmp:
        body = client.get_object(Bucket=bucket, Key=key)["Body"]
        shutil.copyfileobj(body, tmp, 4 * 1024 * 1024)
        tmp.flush()
        size = tmp.tell()
        with open(tmp.name, "rb") as handle:
            png = spectrogram_png(LocalByteSource(handle), **window)
    seconds = time.perf_counter() - began
    return {"seconds": round(seconds, 3), "bytes": size, "gets": 1}, png


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=120)
    parser.add_argument("--width", type=int, default=1000)
    args = parser.parse_args()
    if args.minutes < 1 or not 8 <= args.width <= 4096:
        parser.error("--minutes must be at least 1 and --width 8 to 4096")
    from s3_server import SeaweedS3, free_port

    seconds = args.minutes * 60.0
    tile = {"width": args.width, "height": 128}
    windows = {
        "whole file": {"start": 0.0, "end": seconds, **tile},
        "ten seconds": {"start": seconds / 2, "end": seconds / 2 + 10, **tile},
    }
    result: dict = {"minutes": args.minutes, "width": args.width}
    with tempfile.TemporaryDirectory(prefix="spectrogram-bench-") as folder:
        wav = Path(folder) / "long.wav"
        write_wav(wav, args.minutes)
        result["file_bytes"] = wav.stat().st_size
        with SeaweedS3(Path(folder) / "weed", free_port()) as server:
            client, bucket = server.client(), "spectrogram-bench"
            server.bucket_create(bucket)
            client.upload_file(str(wav), bucket, "long.wav")
            source = S3ByteSource(client, bucket, "long.wav")
            for label, window in windows.items():
                new, new_png = ranged(source, window)
                old, old_png = copied(client, bucket, "long.wav", window)
                if new_png != old_png:
                    raise SystemExit(f"{label}: the ranged and the copied tile differ")
                result[label] = {"ranged": new, "copied": old}
                print(
                    f"{label}: ranged {new['bytes']:,} bytes in {new['gets']} GETs,"
                    f" {new['seconds']:.2f} s; whole copy {old['bytes']:,} bytes,"
                    f" {old['seconds']:.2f} s"
                )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
