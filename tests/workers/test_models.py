"""The assembled multilingual base model tokenizes prompts the way Whisper was trained."""

from pathlib import Path

from tokenizers import Tokenizer

from asr.models import resolve_model


def test_assembled_base_tokenizer_has_its_first_merge_back(tmp_path: Path) -> None:
    model_dir = resolve_model("base", cache_dir=tmp_path)

    ids = Tokenizer.from_file(str(model_dir / "tokenizer.json")).encode(" turn").ids

    assert 1261 in ids  # " turn" is one token in Whisper's vocabulary, not "Ġ" + "turn"
    assert 220 not in ids


def test_reassembling_leaves_the_repaired_tokenizer_alone(tmp_path: Path) -> None:
    tokenizer = resolve_model("base", cache_dir=tmp_path) / "tokenizer.json"
    before = tokenizer.stat().st_mtime_ns

    resolve_model("base", cache_dir=tmp_path)

    assert tokenizer.stat().st_mtime_ns == before
