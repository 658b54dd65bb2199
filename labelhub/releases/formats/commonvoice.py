"""Common Voice: ``commonvoice/<split>.tsv`` beside ``commonvoice/clips/``, as CV releases ship.

Loaders such as torchaudio's ``COMMONVOICE`` read ``<root>/<split>.tsv`` and open
``<root>/clips/<path>``, so the clips are copied there (by :class:`CommonVoiceClips`) under a
salted hash of the item, not at the shared ``<split>/audio/<speaker>/`` paths: those name the
speaker code, and a ``path`` holding it would undo the pseudonymous ``client_id``. Neither hash
appears anywhere else in the release. The columns and vocabularies are those of Common Voice
v17 and later (gender words such as ``male_masculine``; age decades as words, with CV's
spelling "fourties"); ``up_votes``/``down_votes`` are the reviewers' approvals and returns.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path, PurePosixPath

from labelhub.releases.formats.base import (
    ExportItem,
    Files,
    Streams,
    by_split,
    check_items,
    joined,
    one_line,
)
from labelhub.releases.formats.sinks import Member, located
from labelhub.spreadsheet import safe_text

COLUMNS = (
    "client_id",
    "path",
    "sentence_id",
    "sentence",
    "sentence_domain",
    "up_votes",
    "down_votes",
    "age",
    "gender",
    "accents",
    "variant",
    "locale",
    "segment",
)
CV_AGE = {
    "10s": "teens",
    "20s": "twenties",
    "30s": "thirties",
    "40s": "fourties",
    "50s": "fifties",
    "60s": "sixties",
    "70s+": "seventies",
}
# "other" is our "other / not stated": no v17 word says that, and CV leaves unstated gender empty.
CV_GENDER = {"male": "male_masculine", "female": "female_feminine"}
FOLDER = "commonvoice"


def commonvoice_files(items: Iterable[ExportItem], *, salt: str) -> Files:
    return joined(commonvoice_streams(items, salt=salt))


def commonvoice_streams(items: Iterable[ExportItem], *, salt: str) -> Streams:
    _check_salt(salt)
    return {
        tsv_name(split): partial(_table_lines, group, salt)
        for split, group in by_split(check_items(items)).items()
    }


def _table_lines(items: list[ExportItem], salt: str) -> Iterator[str]:
    return _table(_row(item, salt) for item in items)


def tsv_name(split: str) -> str:
    return f"{FOLDER}/{split}.tsv"


def client_id(speaker_id: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}\x1f{speaker_id}".encode()).hexdigest()


def clip_name(item: ExportItem, salt: str) -> str:
    """The clip's file name in ``clips/``: a salted hash, so it names neither speaker nor item."""
    digest = hashlib.sha256(f"{salt}\x1fclip\x1f{item.item_id}".encode()).hexdigest()
    return f"common_voice_{digest[:32]}{PurePosixPath(item.audio_name).suffix}"


class CommonVoiceClips:
    """Copies each clip to ``commonvoice/clips/<clip_name>`` as the archive is written."""

    def __init__(self, *, salt: str) -> None:
        _check_salt(salt)
        self.salt = salt
        self.locations: dict[str, list[str]] = {}

    def add(self, item: ExportItem, audio: Path) -> list[Member]:
        name = f"{FOLDER}/clips/{clip_name(item, self.salt)}"
        located(self.locations, item, name, f"{tsv_name(item.split)}#{clip_name(item, self.salt)}")
        return [Member(name, audio, scratch=False)]

    def finish(self) -> list[Member]:
        return []


def _check_salt(salt: str) -> None:
    # Unsalted, a hash of a short code like SPK-0001 is reversed by hashing guesses, and one
    # salt per release keeps clients from linking speakers across releases.
    if not salt:
        raise ValueError("a release salt is required to pseudonymise client_id")


def _row(item: ExportItem, salt: str) -> dict[str, object]:
    return {
        "client_id": client_id(item.speaker_id, salt),
        "path": clip_name(item, salt),
        "sentence_id": hashlib.sha256(item.text.encode()).hexdigest(),
        "sentence": item.text,
        "sentence_domain": "",
        "up_votes": item.up_votes,
        "down_votes": item.down_votes,
        "age": CV_AGE.get(item.age_band, ""),
        "gender": CV_GENDER.get(item.gender, ""),
        "accents": item.dialect,
        "variant": "",
        "locale": item.language,
        "segment": item.extra.get("segment", ""),
    }


def _table(rows: Iterable[dict[str, object]]) -> Iterator[str]:
    # Fields are flattened to one line, so plain tab joins need no quoting (Common Voice has none);
    # TSVs open in spreadsheets, so a sentence like "=HYPERLINK(...)" is kept from running.
    yield "\t".join(COLUMNS) + "\n"
    for row in rows:
        yield "\t".join(safe_text(one_line(row[column])) for column in COLUMNS) + "\n"
