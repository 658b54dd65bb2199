"""LabelHub at production scale: the claim queue, the dashboard and a release, over 1M tasks.

Seeds the background tasks once (claim_latency.py --seed-tasks N --keep-seed: 200 campaigns,
kept for the next run), runs the claim benchmark over HTTP against them, then
benchmarks/dashboard.py --clips N and benchmarks/release_build.py --clips M, each as a
subprocess whose last output line is JSON. Each part prints its figures as it finishes; the last
line is one JSON object:
  {"tasks", "next_p95_ms", "submit_p95_ms", "requests_per_s", "dashboard_ms",
   "release_mb_per_s", "release_peak_rss_mb", ...}

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/labelhub_bench \\
        .venv/bin/python benchmarks/scale.py --tasks 1000000
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


class PartFailed(Exception):
    pass


def last_json(part: str, command: list[str]) -> dict:
    """Runs one benchmark, streaming its output, and returns its last line parsed as JSON."""
    print(f"== {part}: {' '.join(command[1:])}", flush=True)
    if not Path(command[1]).exists():
        raise PartFailed(f"{part}: {Path(command[1]).relative_to(HERE.parent)} is missing")
    began = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=HERE.parent)
    assert process.stdout is not None
    last = ""
    for line in process.stdout:
        print(f"  {part}: {line.rstrip()}", flush=True)
        if line.strip():
            last = line
    if process.wait() != 0:
        raise PartFailed(f"{part} exited with status {process.returncode}")
    try:
        figures = json.loads(last)
    except json.JSONDecodeError as error:
        raise PartFailed(f"{part}: the last line is not JSON ({error}): {last[:200]!r}") from None
    print(f"== {part} done in {time.perf_counter() - began:.0f} s", flush=True)
    return figures


def pick(part: str, figures: dict, key: str) -> object:
    if key not in figures:
        raise PartFailed(f"{part}: its JSON has no {key!r} (keys: {', '.join(sorted(figures))})")
    return figures[key]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1_000_000, help="background tasks")
    parser.add_argument("--open-tasks", type=int, default=2000, help="the labelers' campaign")
    parser.add_argument("--labelers", type=int, default=50)
    parser.add_argument("--clips", type=int, help="dashboard clips (default --tasks)")
    parser.add_argument("--release-clips", type=int, default=10_000)
    parser.add_argument("--skip-claim", action="store_true")
    parser.add_argument("--skip-dashboard", action="store_true")
    parser.add_argument("--skip-release", action="store_true")
    args = parser.parse_args()

    python = sys.executable
    summary: dict = {"tasks": args.tasks}
    errors: list[str] = []
    parts = [
        ("claim", args.skip_claim, [python, str(HERE / "claim_latency.py"), "--start",
         "--seed-tasks", str(args.tasks), "--keep-seed", "--tasks", str(args.open_tasks),
         "--labelers", str(args.labelers)],
         {"next_p95_ms": "next_p95_ms", "submit_p95_ms": "submit_p95_ms",
          "requests_per_s": "requests_per_s", "next_p50_ms": "next_p50_ms",
          "submit_p50_ms": "submit_p50_ms", "double_claims": "double_claims", "lost": "lost",
          "client_cpu_share": "client_cpu_share"}),
        ("dashboard", args.skip_dashboard, [python, str(HERE / "dashboard.py"), "--clips",
         str(args.clips or args.tasks)], {"dashboard_ms": "dashboard_ms"}),
        ("release", args.skip_release, [python, str(HERE / "release_build.py"), "--clips",
         str(args.release_clips)],
         {"release_mb_per_s": "mb_per_s", "release_peak_rss_mb": "peak_rss_mb"}),
    ]  # fmt: skip
    for part, skip, command, keys in parts:
        if skip:
            continue
        try:
            figures = last_json(part, command)
            for ours, theirs in keys.items():
                summary[ours] = pick(part, figures, theirs)
        except PartFailed as error:
            print(f"!! {error}", flush=True)
            errors.append(str(error))
    for _part, _skip, _command, keys in parts:
        for ours in keys:
            summary.setdefault(ours, None)  # skipped or failed: the key is there, empty
    if errors:
        summary["errors"] = errors
    print(json.dumps(summary))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
