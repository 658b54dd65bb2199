"""How well draft confidence predicts how much of a draft people rewrite.

Decodes the Korean espeak set (koreanset, multilingual base) and English standard clips
(clipset, tiny.en) through transcribe_batch, takes each reference text as the final text, and
prints: confidence bins against the mean edit rate (CER for Korean, WER for English), the
Spearman correlation of confidence with 1 - edit rate, an ECE-like figure (the clip-weighted mean
|confidence - (1 - edit rate)| over bins), and how many drafts were flagged: of those people
rewrite entirely (edit rate >= 0.5), and of the good ones (edit rate <= 0.2, the false flags).
The last line is one JSON object.

Usage: .venv/bin/python benchmarks/asr_calibration.py [--english 30] [--beam-size 5]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import clipset
import koreanset

REPO = Path(__file__).resolve().parents[1]
BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.01)
REWRITTEN, GOOD = 0.5, 0.2


def decode(args: argparse.Namespace) -> list[dict]:
    sys.path.insert(0, str(REPO))
    from asr import DecodeOptions, get_engine
    from labelhub.text_metrics import cer, wer

    english = clipset.build(clipset.standard_specs())[: args.english]
    sets = [
        ("ko", "base", [(c.path, c.text) for c in koreanset.build()], cer),
        ("en", "tiny.en", [(c.path, c.text) for c in english], wer),
    ]
    rows = []
    for language, model, clips, rate in sets:
        engine = get_engine(
            engine="faster-whisper", model=model, language=language, cache_dir=args.cache_dir
        )
        options = DecodeOptions(language=language, beam_size=args.beam_size)
        results = engine.transcribe_batch([p for p, _ in clips], options=options, batch_size=8)
        for (_, text), result in zip(clips, results, strict=True):
            edit = min(rate(text, result.text) or 0.0, 1.0)
            rows.append(
                {
                    "language": language,
                    "confidence": result.confidence,
                    "flags": list(result.flags),
                    "flagged": result.low_confidence,
                    "edit": round(edit, 3),
                    "result": result,
                }
            )
    return rows


def spearman(xs: list[float], ys: list[float]) -> float:
    def ranks(values: list[float]) -> list[float]:
        order = sorted(range(len(values)), key=lambda i: values[i])
        out = [0.0] * len(values)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
                j += 1
            for k in range(i, j + 1):
                out[order[k]] = (i + j) / 2
            i = j + 1
        return out

    rx, ry = ranks(xs), ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    var = (sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry)) ** 0.5
    return round(cov / var, 3) if var else 0.0


def report(rows: list[dict]) -> dict:
    print(f"{'confidence':<12} {'drafts':>6} {'mean_conf':>9} {'mean_edit':>9} {'flagged':>7}")
    gap = 0.0
    for low, high in zip(BINS, BINS[1:], strict=False):
        inside = [r for r in rows if low <= r["confidence"] < high]
        if not inside:
            continue
        conf = sum(r["confidence"] for r in inside) / len(inside)
        edit = sum(r["edit"] for r in inside) / len(inside)
        gap += len(inside) * abs(conf - (1 - edit))
        flagged = sum(r["flagged"] for r in inside)
        span = f"{low:.1f}-{min(high, 1.0):.1f}"
        print(f"{span:<12} {len(inside):>6} {conf:>9.3f} {edit:>9.3f} {flagged:>7}")
    rewritten = [r for r in rows if r["edit"] >= REWRITTEN]
    good = [r for r in rows if r["edit"] <= GOOD]
    return {
        "drafts": len(rows),
        "spearman": spearman([r["confidence"] for r in rows], [1 - r["edit"] for r in rows]),
        "ece": round(gap / len(rows), 3),
        "rewritten": len(rewritten),
        "rewritten_flagged": sum(r["flagged"] for r in rewritten),
        "good": len(good),
        "good_flagged": sum(r["flagged"] for r in good),
        "false_flag_rate": round(sum(r["flagged"] for r in good) / len(good), 3) if good else None,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--english", type=int, default=30, help="English clips to decode")
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument("--cache-dir", type=Path, default=REPO / "var" / "asr-cache")
    args = parser.parse_args(argv)
    rows = decode(args)
    for row in rows:
        shown = {k: v for k, v in row.items() if k != "result"}
        print(json.dumps(shown | {"text": row["result"].text}, ensure_ascii=False))
    print(json.dumps(report(rows)))


if __name__ == "__main__":
    main()
