"""Studio bulk upload archives: checked as hostile until proven otherwise, with no database.

Before a single row is looked at, the whole archive is refused for: entry names that could
escape a folder (``../x.wav``, absolute paths, drive letters, backslashes, symlinks), too many
entries, declared sizes or compression ratios of a ZIP bomb, a missing or oversized manifest, or
too many rows. While an entry is inflated, the bytes actually produced are capped too, because
declared sizes can lie; everything is inflated before any row is stored.
"""

import csv
import io
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from labelhub.errors import DomainError
from labelhub.validation import printable

MAX_ENTRIES = 1000
MAX_ROWS = 500
MAX_ENTRY_BYTES = 100 * 1024 * 1024
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
MAX_MANIFEST_BYTES = 5 * 1024 * 1024
# Speech audio hardly compresses (WAV ~1.1-3x, MP3/Opus ~1x); a 100x entry is a bomb, not audio.
MAX_RATIO = 100
_RATIO_FROM_BYTES = 1024 * 1024
_CHUNK = 1024 * 1024
REQUIRED_COLUMNS = ("file", "speaker_code")


class BulkRefused(DomainError):
    """The archive as a whole is refused; nothing from it was stored."""


@dataclass(frozen=True)
class CheckedArchive:
    entries: dict[str, zipfile.ZipInfo]
    rows: list[dict[str, str]]


def archive_check(bundle: zipfile.ZipFile) -> CheckedArchive:
    """Entries and manifest rows of an archive that passed every structural check."""
    entries = _checked_entries(bundle)
    return CheckedArchive(entries=entries, rows=_manifest(bundle, entries))


def archive_open(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise BulkRefused("the upload is not a readable ZIP archive", code="not_a_zip") from error


def archive_extract(
    bundle: zipfile.ZipFile, checked: CheckedArchive, folder: Path
) -> dict[str, Path | DomainError]:
    """Inflates every file the manifest names into ``folder``; a damaged one becomes its error."""
    names = {row.get("file", "") for row in checked.rows}
    return _extract(bundle, checked.entries, names, folder)


def _checked_entries(bundle: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    infos = bundle.infolist()
    if len(infos) > MAX_ENTRIES:
        raise BulkRefused(
            f"the archive has {len(infos)} entries; at most {MAX_ENTRIES} are accepted",
            code="too_many_entries",
        )
    total = 0
    entries: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        _check_name(info)
        if info.is_dir():
            continue
        if info.flag_bits & 0x1:
            raise BulkRefused(f"entry '{info.filename}' is encrypted", code="encrypted_entry")
        if info.file_size > MAX_ENTRY_BYTES:
            raise BulkRefused(
                f"entry '{info.filename}' declares {info.file_size} bytes; "
                f"the limit per file is {MAX_ENTRY_BYTES}",
                code="entry_too_large",
            )
        ratio = info.file_size / max(info.compress_size, 1)
        # Text compresses far better than audio; the manifest has its own byte cap instead.
        is_manifest = info.filename.lower().endswith(".csv")
        if not is_manifest and info.file_size > _RATIO_FROM_BYTES and ratio > MAX_RATIO:
            raise BulkRefused(
                f"entry '{info.filename}' expands {ratio:.0f} times (limit {MAX_RATIO}): "
                "this looks like a ZIP bomb",
                code="zip_bomb",
            )
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise BulkRefused(
                f"the archive expands to over {MAX_TOTAL_BYTES} bytes; split it",
                code="zip_bomb",
            )
        entries[info.filename] = info
    return entries


def _check_name(info: zipfile.ZipInfo) -> None:
    name = info.filename
    path = PurePosixPath(name)
    unsafe = (
        name.startswith(("/", "\\"))
        or "\\" in name
        or (len(name) > 1 and name[1] == ":")
        or ".." in path.parts
        or "\x00" in name
    )
    if unsafe:
        raise BulkRefused(
            f"entry name '{printable(name)}' points outside the archive "
            "(absolute path, '..' or a NUL byte)",
            code="unsafe_path",
        )
    if stat.S_ISLNK(info.external_attr >> 16):
        raise BulkRefused(f"entry '{name}' is a symbolic link", code="unsafe_path")


def _manifest(bundle: zipfile.ZipFile, entries: dict[str, zipfile.ZipInfo]) -> list[dict]:
    manifests = [
        name
        for name in entries
        if name.lower().endswith(".csv") and not name.startswith("__MACOSX/")
    ]
    if len(manifests) != 1:
        found = ", ".join(manifests) or "none"
        raise BulkRefused(
            f"the archive must hold exactly one CSV manifest (found: {found})",
            code="manifest_missing",
        )
    info = entries[manifests[0]]
    if info.file_size > MAX_MANIFEST_BYTES:
        raise BulkRefused(
            f"the manifest is {info.file_size} bytes; at most {MAX_MANIFEST_BYTES}",
            code="manifest_too_large",
        )
    raw = io.BytesIO()
    with bundle.open(info) as source:
        _copy_capped(source, raw, info=info, limit=MAX_MANIFEST_BYTES)
    try:
        text = raw.getvalue().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BulkRefused("the manifest is not UTF-8 text", code="manifest_encoding") from error
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = [_column(name) for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise BulkRefused(
            f"the manifest lacks the column(s) {', '.join(missing)} "
            f"(columns: file, speaker_code, prompt_id or prompt_text, environment, channel)",
            code="manifest_columns",
        )
    reader.fieldnames = columns
    rows: list[dict[str, str]] = []
    for row in reader:
        if len(rows) == MAX_ROWS:
            raise BulkRefused(
                f"the manifest has more than {MAX_ROWS} rows; split the upload",
                code="too_many_rows",
            )
        rows.append({key: (value or "").strip() for key, value in row.items() if key})
    return rows


def _column(name: str) -> str:
    column = name.strip().lower().replace(" ", "_")
    return {"speaker": "speaker_code", "prompt": "prompt_text", "filename": "file"}.get(
        column, column
    )


def _copy_capped(source: IO[bytes], out: IO[bytes], *, info: zipfile.ZipInfo, limit: int) -> None:
    # The declared size was checked; this stops an entry whose data inflates beyond it.
    cap = min(info.file_size, limit)
    read = 0
    while chunk := source.read(_CHUNK):
        read += len(chunk)
        if read > cap:
            raise BulkRefused(
                f"entry '{info.filename}' inflates beyond its declared size", code="zip_bomb"
            )
        out.write(chunk)


def _extract(
    bundle: zipfile.ZipFile, entries: dict[str, zipfile.ZipInfo], names: set[str], folder: Path
) -> dict[str, Path | DomainError]:
    folder.mkdir(exist_ok=True)
    files: dict[str, Path | DomainError] = {}
    for index, name in enumerate(sorted(names)):
        info = entries.get(name)
        if info is None:
            files[name] = DomainError(f"file '{name}' is not in the archive", code="file_missing")
            continue
        # Our own name on disk: the entry's name is only ever used as a label.
        local = folder / f"{index}{PurePosixPath(name).suffix.lower()}"
        try:
            with bundle.open(info) as source, local.open("wb") as out:
                _copy_capped(source, out, info=info, limit=MAX_ENTRY_BYTES)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
            files[name] = DomainError(
                f"file '{name}' is damaged in the archive ({error})", code="corrupt_entry"
            )
            continue
        files[name] = local
    return files
