"""Small helpers over Django's storage, so that services work the same on a local folder or S3."""

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.db.models.fields.files import FieldFile


@contextmanager
def local_path(field_file: FieldFile) -> Iterator[Path]:
    """A path on this machine holding the file's bytes (ffmpeg and Whisper need one)."""
    try:
        yield Path(field_file.path)
        return
    except NotImplementedError:
        pass  # remote storage: fall through to a temporary copy
    suffix = Path(field_file.name or "").suffix
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        with field_file.open("rb") as source:
            shutil.copyfileobj(source, tmp)
        tmp.flush()
        yield Path(tmp.name)


def store_file(*, path: Path, name: str) -> str:
    """Save a local file under a storage name, refusing to overwrite; returns the stored name."""
    with path.open("rb") as handle:
        return default_storage.save(name, File(handle))


def storage_delete_tree(*, folder: str, keep: frozenset[str] = frozenset()) -> int:
    """Deletes every file under a storage folder except the names in ``keep``; returns the count.

    Works on any storage with listdir (a local folder, S3), where folders are only name prefixes.
    """
    try:
        folders, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return 0
    deleted = 0
    for name in files:
        if f"{folder}/{name}" not in keep:
            default_storage.delete(f"{folder}/{name}")
            deleted += 1
    for sub in folders:
        deleted += storage_delete_tree(folder=f"{folder}/{sub}", keep=keep)
    return deleted


def storage_reader() -> Callable[[str], bytes]:
    """A function that reads a small stored file's bytes in one request, from any thread.

    On S3 (django-storages, found by its bucket_name) one GET through one client, shared, as
    botocore's clients are thread-safe: django-storages' own open() sends a HEAD first and
    downloads through a transfer manager's threads, and it makes a boto3 session per thread.
    """
    storage: Any = default_storage
    bucket = getattr(storage, "bucket_name", None)
    if bucket is None:
        return _read_whole
    client = storage.connection.meta.client

    def read(name: str) -> bytes:
        body: bytes = client.get_object(Bucket=bucket, Key=storage._normalize_name(name))[
            "Body"
        ].read()
        return body

    return read


def storage_upload_file(*, path: Path, name: str) -> str | None:
    """Uploads a big local file to S3 part by part from the disk; returns the stored name, or
    None on a local folder (save it there with store_file).

    django-storages' save() hands boto3 a file object, whose parts boto3 reads into memory,
    up to ten 8 MB parts at a time (~150 MB more resident for a release archive); by file name
    it reads each part from the disk as it sends it.
    """
    storage: Any = default_storage
    bucket = getattr(storage, "bucket_name", None)
    if bucket is None:
        return None
    extra = {"ContentType": "application/zip"} | dict(getattr(storage, "object_parameters", {}))
    key = storage._normalize_name(name)
    storage.connection.meta.client.upload_file(str(path), bucket, key, ExtraArgs=extra)
    return name


def _read_whole(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        data: bytes = handle.read()
        return data


def storage_is_local() -> bool:
    """True when stored files are files on this machine (a path per name)."""
    try:
        default_storage.path("")
    except NotImplementedError:
        return False
    return True
