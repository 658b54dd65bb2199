"""Ten Korean sentences spoken by espeak-ng (about 3 s each), half clean and half under pink
noise (sox): the set on which the multilingual base model once cost more than real time and
gave garbage drafts with confident scores (issue 15). Cached like clipset's clips.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CACHE_ROOT = REPO / "var" / "bench-clips"

SENTENCES = (
    "오늘 저녁에 친구와 함께 영화를 보러 갑니다",
    "내일 아침 일곱 시에 알람을 맞춰 주세요",
    "거실 텔레비전 소리를 조금만 줄여 주세요",
    "이번 주말에는 비가 많이 온다고 합니다",
    "지하철역까지 걸어서 십 분 정도 걸려요",
    "회의 자료를 이메일로 보내 주시겠어요",
    "주문한 책이 아직 도착하지 않았습니다",
    "도서관은 매주 월요일에 문을 닫습니다",
    "따뜻한 커피 한 잔 마시고 싶어요",
    "다음 정류장에서 버스를 갈아타야 합니다",
)


@dataclass(frozen=True)
class KoreanClip:
    path: Path
    text: str
    noisy: bool
    seconds: float


def build(*, speed: int = 150, noise_volume: float = 0.02) -> list[KoreanClip]:
    """Even-numbered sentences clean, odd ones mixed with pink noise."""
    definition = json.dumps([SENTENCES, speed, noise_volume], ensure_ascii=False)
    folder = CACHE_ROOT / ("ko-" + hashlib.sha256(definition.encode()).hexdigest()[:12])
    folder.mkdir(parents=True, exist_ok=True)
    clips = []
    for i, text in enumerate(SENTENCES):
        noisy = i % 2 == 1
        path = folder / f"ko{i:02d}.wav"
        if not path.exists():
            _synthesise(text, path, speed=speed, noise=noise_volume if noisy else 0.0)
        with wave.open(str(path)) as audio:
            seconds = audio.getnframes() / audio.getframerate()
        clips.append(KoreanClip(path, text, noisy, seconds))
    return clips


def _synthesise(text: str, path: Path, *, speed: int, noise: float) -> None:
    raw = path.with_suffix(".raw.wav")
    subprocess.run(
        ["espeak-ng", "-v", "ko", "-s", str(speed), "-w", str(raw), "--", text], check=True
    )
    clean = path.with_suffix(".clean.wav")
    subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(clean)], check=True)
    if noise:
        noisy = path.with_suffix(".noise.wav")
        subprocess.run(
            ["sox", str(clean), str(noisy), "synth", "pinknoise", "vol", str(noise)], check=True
        )
        subprocess.run(["sox", "-m", str(clean), str(noisy), str(path)], check=True)
        noisy.unlink()
        clean.unlink()
    else:
        clean.rename(path)
    raw.unlink()
