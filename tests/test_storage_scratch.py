"""A big file is written beside its stored place and moved in by a rename, never copied."""

from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from labelhub.storage import storage_move_in, storage_scratch_path


def test_a_scratch_file_on_the_local_folder_moves_in_without_a_copy() -> None:
    name = "releases/1/v1/run/archive.zip"
    with storage_scratch_path(name=name) as scratch:
        scratch.write_bytes(b"zip bytes")
        inode = scratch.stat().st_ino
        assert scratch.parent == Path(default_storage.path(name)).parent
        stored = storage_move_in(path=scratch, name=name)
        assert not scratch.exists()
    assert stored == name
    assert default_storage.open(stored).read() == b"zip bytes"
    assert Path(default_storage.path(stored)).stat().st_ino == inode  # the same file, renamed


def test_moving_in_never_overwrites_a_stored_file() -> None:
    name = default_storage.save("releases/1/v1/run/archive.zip", ContentFile(b"first"))
    with storage_scratch_path(name=name) as scratch:
        scratch.write_bytes(b"second")
        stored = storage_move_in(path=scratch, name=name)
    assert stored != name
    assert default_storage.open(name).read() == b"first"
    assert default_storage.open(stored).read() == b"second"


def test_a_scratch_file_left_behind_is_deleted() -> None:
    name = "releases/1/v1/run/archive.zip"
    with storage_scratch_path(name=name) as scratch:
        scratch.write_bytes(b"half an archive")
    assert not scratch.exists()
    assert not Path(default_storage.path(name)).exists()
