"""Measure ASR throughput and WER on the standard set of synthetic English clips.

Each row (engine x model x batch size) runs in a fresh subprocess, so peak RSS and model load are
the row's own. Batch 1 is per-file transcribe(); larger batches call transcribe_batch(). The last
line printed is one JSON object: {"rows": [...], "fw_over_ow": ...}, where fw_over_ow is
faster-whisper's real-time factor at its best batch size over openai-whisper's at batch 1, on
the same model and clips (the first model both engines ran), or null. Each row has wer, rtf,
cpu_s (CPU seconds of the transcription, steadier than wall time on a shared machine) and, for
batches, the decoder's stats (windows, mel_frames, tokens, fallbacks, ...).

Batches run as the engine does by default (one clip per window, cut to its content + 3 s, at
least ASR_WINDOW_FLOOR_SECONDS's default 10 s); `--pack on --window-floors 0` measures packed
30 s windows (ASR_PACK_CLIPS=true, ASR_WINDOW_FLOOR_SECONDS=0), `--pack both` a row of each mode.

Usage: .venv/bin/python benchmarks/asr_throughput.py --models tiny.en,base --batch-sizes 1,8
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import clipset

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from asr.base import PACK_CLIPS, WINDOW_FLOOR_SECONDS  # noqa: E402  (asr.base loads no model)

# (key, width, number format); text columns are left-aligned.
COLUMNS = (
    ("engine", 14, ""),
    ("model", 7, ""),
    ("compute", 7, ""),
    ("batch", 5, "d"),
    ("pack", 4, ""),
    ("floor", 5, ".0f"),
    ("audio_s", 7, ".1f"),
    ("wall_s", 7, ".1f"),
    ("rtf", 6, ".2f"),
    ("clips_per_min", 13, ".1f"),
    ("peak_rss_mb", 11, ".0f"),
    ("wer", 6, ".3f"),
    ("cpu_s", 7, ".1f"),
    ("load_s", 6, ".1f"),
    ("loadavg", 7, ".2f"),
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=clipset.STANDARD_CLIPS)
    parser.add_argument("--engines", default="faster-whisper,openai-whisper")
    parser.add_argument("--models", default="tiny.en,base")
    parser.add_argument("--batch-sizes", default="1,8,16", help="1 = per-file transcribe()")
    parser.add_argument("--compute-type", default="int8")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--language", default="en", help='"auto" lets the model detect it')
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument(
        "--pack",
        choices=("on", "off", "both"),
        default="on" if PACK_CLIPS else "off",
        help="faster-whisper batches: pack several clips per window (on, ASR_PACK_CLIPS), one "
        "clip per window (off, the default), or a row of each",
    )
    parser.add_argument(
        "--window-floors",
        default=f"{WINDOW_FLOOR_SECONDS:g}",
        help="faster-whisper batches: comma-separated ASR_WINDOW_FLOOR_SECONDS values, a row "
        "each, run interleaved with --repeat (0 = full 30 s windows; default %(default)s)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=clipset.STANDARD_SEED,
        help="clip set seed: the standard set's, or another for a fresh set (other sentence "
        "order, lengths, speeds and voice order)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs per row, each in a fresh process; the fastest is kept (a shared machine's "
        "other load only ever slows a run down)",
    )
    parser.add_argument("--cache-dir", type=Path, default=REPO / "var" / "asr-cache")
    parser.add_argument("--row", help=argparse.SUPPRESS)  # internal: run one row, print JSON
    return parser.parse_args(argv)


# Engines whose transcribe_batch() decodes one file after another: a batch row would only
# repeat batch 1 (openai-whisper batches the beams of one window, never several files).
PER_FILE_ONLY = {"openai-whisper"}


def row_specs(args: argparse.Namespace) -> list[dict]:
    sys.path.insert(0, str(REPO))
    from asr import ENGINES

    specs = []
    for engine in args.engines.split(","):
        if engine not in ENGINES:
            print(f"note: skipping engine {engine!r}: not registered in asr.ENGINES")
            continue
        batches = [int(b) for b in args.batch_sizes.split(",")]
        if engine in PER_FILE_ONLY and any(b > 1 for b in batches):
            print(f"note: {engine} decodes batches file by file; running its batch 1 only")
            batches = [1]
        for model in args.models.split(","):
            for batch in batches:
                batched = batch > 1 and engine == "faster-whisper"
                packs = _packs(args.pack) if batched else [None]
                floors = [float(f) for f in args.window_floors.split(",")] if batched else [0.0]
                for pack in packs:
                    for floor in floors:
                        spec = {"engine": engine, "model": model, "batch": batch, "pack": pack}
                        specs.append({**spec, "floor": floor})
    return specs


def _packs(choice: str) -> list[bool]:
    return {"on": [True], "off": [False], "both": [False, True]}[choice]


def run_row(args: argparse.Namespace, spec: dict) -> dict:
    """In the row's own subprocess: load, warm up, transcribe every clip, measure."""
    sys.path.insert(0, str(REPO))
    from asr import DecodeOptions, get_engine
    from labelhub.text_metrics import wer

    clips = clipset.build(clipset.standard_specs(seed=args.seed))[: args.clips]
    language = None if args.language == "auto" else args.language
    options = DecodeOptions(language=language, beam_size=args.beam_size)
    started = time.perf_counter()
    engine = get_engine(
        engine=spec["engine"],
        model=spec["model"],
        language=language,
        device=args.device,
        compute_type=args.compute_type,
        cache_dir=args.cache_dir,
        # Per-file rows (pack None) decode whole files; the batch mode does not apply to them.
        pack_clips=PACK_CLIPS if spec["pack"] is None else spec["pack"],
        window_floor_seconds=spec["floor"],
    )
    load_s = time.perf_counter() - started
    engine.transcribe(clips[0].path, options=options)  # first-call allocations are not the rate

    loadavg = os.getloadavg()[0]
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    paths = [c.path for c in clips]
    if spec["batch"] == 1:
        results = [engine.transcribe(p, options=options) for p in paths]
    else:
        results = engine.transcribe_batch(paths, options=options, batch_size=spec["batch"])
    wall_s = time.perf_counter() - started
    audio_s = sum(c.seconds for c in clips)
    return {
        **spec,
        "compute": args.compute_type,
        "clips": len(clips),
        "audio_s": round(audio_s, 2),
        "wall_s": round(wall_s, 2),
        "rtf": round(audio_s / wall_s, 3),
        "clips_per_min": round(len(clips) / wall_s * 60, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "wer": round(wer([c.text for c in clips], [r.text for r in results]), 4),
        "cpu_s": round(_cpu_seconds() - cpu_before, 2),
        "load_s": round(load_s, 2),
        "loadavg": round(loadavg, 2),
        "stats": getattr(engine, "last_batch_stats", None) if spec["batch"] > 1 else None,
    }


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_in_subprocess(argv: list[str], spec: dict) -> dict | None:
    command = [sys.executable, __file__, *argv, "--row", json.dumps(spec)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        why = (done.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"note: skipping {spec['engine']} {spec['model']} batch {spec['batch']}: {why}")
        return None
    return json.loads(lines[-1])


def fw_over_ow(rows: list[dict]) -> tuple[float | None, dict | None]:
    for model in dict.fromkeys(r["model"] for r in rows):
        fw = [r for r in rows if r["model"] == model and r["engine"] == "faster-whisper"]
        ow = [r for r in rows if r["model"] == model and r["engine"] == "openai-whisper"]
        ow1 = [r for r in ow if r["batch"] == 1]
        if fw and ow1:
            best = max(fw, key=lambda r: r["rtf"])
            basis = {"model": model, "fw_batch": best["batch"], "fw_rtf": best["rtf"]}
            basis |= {"ow_batch": 1, "ow_rtf": ow1[0]["rtf"]}
            return round(best["rtf"] / ow1[0]["rtf"], 3), basis
    return None, None


def print_header() -> None:
    print(
        " ".join(f"{key:<{width}}" if not fmt else f"{key:>{width}}" for key, width, fmt in COLUMNS)
    )


def print_row(row: dict) -> None:
    shown = {**row, "pack": "-" if row["pack"] is None else ("yes" if row["pack"] else "no")}
    cells = (f"{shown[key]:{'<' if not fmt else '>'}{width}{fmt}}" for key, width, fmt in COLUMNS)
    stats = f"  {row['stats']}" if row.get("stats") else ""
    print(" ".join(cells) + stats, flush=True)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.row:
        print(json.dumps(run_row(args, json.loads(args.row))))
        return
    # Synthesise once, up front.
    clips = clipset.build(clipset.standard_specs(seed=args.seed))[: args.clips]
    print(f"{len(clips)} clips, {sum(c.seconds for c in clips):.1f} s of audio, seed {args.seed}")
    print_header()
    specs = row_specs(args)
    # Round-robin over the rows, so a shared machine's changing load hits every row alike.
    runs: list[list[dict]] = [[] for _ in specs]
    for _ in range(max(args.repeat, 1)):
        for i, spec in enumerate(specs):
            run = run_in_subprocess(argv, spec)
            if run:
                runs[i].append(run)
                print(
                    f"  run: floor {spec['floor']:g} batch {spec['batch']} pack {spec['pack']}: "
                    f"{run['wall_s']} s, rtf {run['rtf']}, wer {run['wer']}",
                    flush=True,
                )
    rows = []
    for row_runs in runs:
        if row_runs:
            row = min(row_runs, key=lambda r: r["wall_s"])
            row["wall_s_runs"] = [r["wall_s"] for r in row_runs]
            print_row(row)
            rows.append(row)
    ratio, basis = fw_over_ow(rows)
    print(json.dumps({"rows": rows, "fw_over_ow": ratio, "fw_over_ow_basis": basis}))


if __name__ == "__main__":
    main()
