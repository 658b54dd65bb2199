"""A source streams through ingest in bounded memory, whatever its length."""

import json
import subprocess
import sys
from pathlib import Path

from tests.recordings.longform_audio import ffmpeg

# Run in a fresh interpreter so its peak RSS is the decode's alone (numpy loaded: ~40 MB).
MEASURE = """
import json, re, sys
from pathlib import Path
from labelhub.recordings.audio import validate_upload
from labelhub.recordings.streaming_decode import decode_streaming
def peak_rss_mb():
    # VmHWM, not ru_maxrss: Linux carries the parent's peak into ru_maxrss across fork + exec.
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) / 1024
src = Path(sys.argv[1])
probe = validate_upload(src, filename=src.name, long_form=True)
result = decode_streaming(src, probe=probe, out_path=Path(sys.argv[2]))
print(json.dumps({"seconds": result.duration, "points": len(result.peaks["data"]),
                  "rss_mb": peak_rss_mb()}))
"""


def test_a_25_minute_288_mb_wav_decodes_in_a_fraction_of_its_size(tmp_path: Path) -> None:
    source = tmp_path / "session.wav"  # 48 kHz stereo 16-bit: 288 MB, as studios deliver
    ffmpeg(
        "-f", "lavfi", "-i", "sine=f=220:r=48000:d=1500", "-f", "lavfi",
        "-i", "anoisesrc=r=48000:d=1500:a=0.05", "-filter_complex",
        "amix=inputs=2,pan=stereo|c0=c0|c1=c0", "-c:a", "pcm_s16le", str(source),
    )  # fmt: skip
    assert source.stat().st_size > 280e6

    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(source), str(tmp_path / "out.wav")],
        capture_output=True, text=True, timeout=600, check=True,
    )  # fmt: skip

    figures = json.loads(result.stdout)
    assert figures["seconds"] == 1500
    assert figures["points"] == 2 * 150_000
    # Holding the file, or even its 16 kHz decode (48 MB) widened for the level maths, would
    # go far past this.
    assert figures["rss_mb"] < 120, figures
