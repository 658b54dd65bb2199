"""A big file is written on its stored place's file system and moved in by a link, never
copied, and no cleanup of the folder it goes to can delete it while it is written."""

import os
import time
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from labelhub.storage import (
    storage_delete_tree,
    storage_move_in,
    storage_scratch_path,
    storage_scratch_sweep,
)


def test_a_scratch_file_on_the_local_folder_moves_in_without_a_copy() -> None:
    name = "releases/1/v1/run/archive.zip"
    with storage_scratch_path(name=name) as scratch:
        scratch.write_bytes(b"zip bytes")
        inode = scratch.stat().st_ino
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


def test_another_runs_cleanup_of_the_release_folder_leaves_a_file_being_written_alone() -> None:
    name = "releases/1/v1/run-a/archive.zip"
    with storage_scratch_path(name=name) as scratch:
        scratch.write_bytes(b"half an archive")
        # Run b published first and deletes every file of the folder but its own archive.
        storage_delete_tree(folder="releases/1/v1", keep=frozenset({"releases/1/v1/run-b/a.zip"}))
        assert scratch.read_bytes() == b"half an archive"
        stored = storage_move_in(path=scratch, name=name)
    assert default_storage.open(stored).read() == b"half an archive"


def test_the_sweep_deletes_only_scratch_files_unchanged_since_the_given_time() -> None:
    with (
        storage_scratch_path(name="releases/1/v1/dead/a.zip") as dead,
        storage_scratch_path(name="releases/1/v1/live/a.zip") as live,
    ):
        dead.write_bytes(b"left by a killed run")
        live.write_bytes(b"still being written")
        an_hour_ago = time.time() - 3600
        os.utime(dead, (an_hour_ago, an_hour_ago))

        assert storage_scratch_sweep(unchanged_since=time.time() - 60) == 1
        assert not dead.exists() and live.exists()
