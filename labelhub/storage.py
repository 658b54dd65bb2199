"""Small helpers over Django's storage, so that services work the same on a local folder or S3."""

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
    suffix = Path(field_file.name).suffix
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        with field_file.open("rb") as source:
            shutil.copyfileobj(source, tmp)
        tmp.flush()
        yield Path(tmp.name)


def store_file(*, path: Path, name: str) -> str:
    """Save a local file under a storage name, refusing to overwrite; returns the stored name."""
    with path.open("rb") as handle:
        return default_storage.save(name, File(handle))
