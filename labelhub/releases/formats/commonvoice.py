"""Common Voice–style TSVs: ``<split>.tsv`` at the release root, ``path`` relative to it.

Common Voice's vocabulary is kept so its loaders work unchanged: age decades as words (with its
spelling "fourties"), gender as male/female/other (the pre-v17 values most tools expect), the
dialect as ``accents``. Every item was checked by a person, so it counts as one up-vote.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from labelhub.releases.formats.base import ExportItem, Files, by_split, check_items, one_line
from labelhub.spreadsheet import safe_text

COLUMNS = (
    "client_id",
    "path",
    "sentence",
    "up_votes",
    "down_votes",
    "age",
    "gender",
    "accents",
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
CV_GENDER = {"male": "male", "female": "female", "other": "other"}


def commonvoice_files(items: Iterable[ExportItem], *, salt: str) -> Files:
    # Unsalted, a hash of a short code like SPK-0001 is reversed by hashing guesses, and one
    # salt per release keeps clients from linking speakers across releases.
    if not salt:
        raise ValueError("a release salt is required to pseudonymise client_id")
    return {
        f"{split}.tsv": _table(_row(item, salt) for item in group)
        for split, group in by_split(check_items(items)).items()
    }


def client_id(speaker_id: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}\x1f{speaker_id}".encode()).hexdigest()


def _row(item: ExportItem, salt: str) -> dict[str, object]:
    return {
        "client_id": client_id(item.speaker_id, salt),
        "path": item.audio_name,
        "sentence": item.text,
        "up_votes": item.extra.get("up_votes", 1),
        "down_votes": item.extra.get("down_votes", 0),
        "age": CV_AGE.get(item.age_band, ""),
        "gender": CV_GENDER.get(item.gender, ""),
        "accents": item.dialect,
        "locale": item.language,
        "segment": item.extra.get("segment", ""),
    }


def _table(rows: Iterable[dict[str, object]]) -> str:
    # Fields are flattened to one line, so plain tab joins need no quoting (Common Voice has none);
    # TSVs open in spreadsheets, so a sentence like "=HYPERLINK(...)" is kept from running.
    lines = ["\t".join(COLUMNS)]
    lines += ["\t".join(safe_text(one_line(row[column])) for column in COLUMNS) for row in rows]
    return "".join(line + "\n" for line in lines)
