"""Measure ASR throughput on synthetic espeak-ng English clips.

Usage: .venv/bin/python benchmarks/asr_throughput.py --model tiny.en --clips 6
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import jiwer

REPO = Path(__file__).resolve().parents[1]
WORDS_PER_MINUTE = 150

SENTENCES = [
    "The quick brown fox jumps over the lazy dog near the quiet river bank.",
    "Please set an alarm for seven thirty tomorrow morning and remind me to buy milk.",
    "Our quarterly revenue grew by twelve percent despite higher shipping costs.",
    "Turn on the living room television and lower the volume a little.",
    "The weather forecast says it will rain this afternoon, so bring an umbrella.",
    "She walked to the station, bought a ticket, and waited for the last train home.",
    "Add two cups of flour, a pinch of salt, and stir until the batter is smooth.",
    "Call the front desk and ask whether the meeting room is free on Friday.",
]


def make_clip(out: Path, index: int, seconds: float) -> str:
    # espeak speaks roughly WORDS_PER_MINUTE, so pick sentences until ~seconds of speech.
    text, words, i = [], 0, index
    while words < seconds * WORDS_PER_MINUTE / 60:
        sentence = SENTENCES[i % len(SENTENCES)]
        text.append(sentence)
        words += len(sentence.split())
        i += 1
    joined = " ".join(text)
    cmd = ["espeak-ng", "-v", "en-us", "-s", str(WORDS_PER_MINUTE), "-w", str(out), joined]
    subprocess.run(cmd, check=True)
    return joined


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny.en", help="tiny.en, base or a model directory")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--compute-type", default="int8")
    parser.add_argument("--clips", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=10.0, help="approx. speech per clip")
    parser.add_argument("--cache-dir", type=Path, help="where 'base' is assembled (default: temp)")
    args = parser.parse_args()

    # Runnable from a checkout even when the editable install predates the workers package.
    sys.path.insert(0, str(REPO))
    from workers.asr import get_engine, resolve_model

    with tempfile.TemporaryDirectory() as tmp:
        tmp_dir = Path(tmp)
        cache_dir = args.cache_dir or tmp_dir / "cache"

        started = time.perf_counter()
        resolve_model(args.model, cache_dir=cache_dir)
        resolve_s = time.perf_counter() - started
        started = time.perf_counter()
        engine = get_engine(
            engine="faster-whisper",
            model=args.model,
            language=None,
            device=args.device,
            compute_type=args.compute_type,
            cache_dir=cache_dir,
        )
        load_s = time.perf_counter() - started

        clips = [tmp_dir / f"clip{i:03d}.wav" for i in range(args.clips)]
        references = [make_clip(path, i, args.seconds) for i, path in enumerate(clips)]
        audio_s = sum(wav_seconds(p) for p in clips)

        hypotheses = []
        started = time.perf_counter()
        for path in clips:
            hypotheses.append(engine.transcribe(path).text)
        wall_s = time.perf_counter() - started

    wer = jiwer.wer([normalise(r) for r in references], [normalise(h) for h in hypotheses])
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    print(f"model              {args.model} ({args.device}, {args.compute_type})")
    print(f"resolve/assemble   {resolve_s:.2f} s")
    print(f"model load         {load_s:.2f} s")
    print(f"clips              {len(clips)} (avg {audio_s / max(len(clips), 1):.1f} s)")
    print(f"total audio        {audio_s:.1f} s")
    print(f"total wall         {wall_s:.1f} s")
    print(f"real-time factor   {audio_s / wall_s:.2f}x (audio s / wall s)")
    print(f"clips/min          {len(clips) / wall_s * 60:.1f}")
    print(f"WER                {wer:.3f}")
    print(f"peak RSS           {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
