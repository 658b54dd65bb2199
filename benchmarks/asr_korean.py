"""Korean drafts on the koreanset clips with the multilingual base model: wall time against
audio time, CER, confidence and flags per clip. The last line is one JSON object.

Usage: .venv/bin/python benchmarks/asr_korean.py [--beam-size 5] [--per-file]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import koreanset

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument("--per-file", action="store_true", help="transcribe() clip by clip")
    parser.add_argument("--cache-dir", type=Path, default=REPO / "var" / "asr-cache")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from asr import DecodeOptions, get_engine
    from labelhub.text_metrics import cer

    clips = koreanset.build()
    options = DecodeOptions(language="ko", beam_size=args.beam_size)
    engine = get_engine(
        engine="faster-whisper", model="base", language="ko", cache_dir=args.cache_dir
    )
    started = time.perf_counter()
    paths = [c.path for c in clips]
    if args.per_file:
        results = [engine.transcribe(p, options=options) for p in paths]
    else:
        results = engine.transcribe_batch(paths, options=options, batch_size=8)
    wall = time.perf_counter() - started
    rows = []
    for clip, result in zip(clips, results, strict=True):
        row = {
            "clip": clip.path.stem,
            "noisy": clip.noisy,
            "audio_s": round(clip.seconds, 2),
            "decode_s": result.decode_seconds,
            "confidence": result.confidence,
            "flags": list(result.flags),
            "flagged": result.low_confidence,
            "cer": round(cer(clip.text, result.text) or 0.0, 3),
            "text": result.text,
        }
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False))
    audio = sum(c.seconds for c in clips)
    summary = {
        "clips": len(clips),
        "audio_s": round(audio, 2),
        "wall_s": round(wall, 2),
        "wall_over_audio": round(wall / audio, 3),
        "max_clip_decode_over_audio": round(max(r["decode_s"] / r["audio_s"] for r in rows), 3),
        "cer": round(cer([c.text for c in clips], [r.text for r in results]) or 0.0, 3),
        "flagged": sum(r["flagged"] for r in rows),
        "per_file": args.per_file,
        "beam_size": args.beam_size,
        "stats": None if args.per_file else getattr(engine, "last_batch_stats", None),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
