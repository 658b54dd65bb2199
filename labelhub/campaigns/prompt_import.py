"""Bulk import of prompts from a PM's script: CSV (id,text,category,speech_style,
recordings_needed; only text required) or TXT (one prompt per line), UTF-8 with or without BOM.

Good rows are imported, bad rows are reported by line number; a file that is too big, not UTF-8
or not parseable is refused whole and nothing is stored.
"""

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from pathlib import PurePath

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from labelhub.campaigns.models import Campaign, Prompt, SpeechStyle
from labelhub.errors import Conflict, DomainError
from labelhub.validation import first_text_problem, identifier_problem

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_TEXT = 2000
MAX_RECORDINGS_NEEDED = 10_000
COLUMNS = ("id", "text", "category", "speech_style", "recordings_needed")


@dataclass
class ImportReport:
    accepted: int = 0
    rejected: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"accepted": self.accepted, "rejected": self.rejected}


def _refuse(message: str, code: str) -> DomainError:
    return DomainError(message, code=code)


def _read_text(upload: UploadedFile) -> str:
    if upload.size is not None and upload.size > MAX_BYTES:
        raise _refuse(
            _("The file is %(size).1f MB; the limit is %(limit)d MB.")
            % {"size": upload.size / 1024 / 1024, "limit": MAX_BYTES // 1024 // 1024},
            "file_too_large",
        )
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _refuse(
            _("The file is over the limit of %(limit)d MB.") % {"limit": MAX_BYTES // 1024 // 1024},
            "file_too_large",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise _refuse(
            _("The file is not UTF-8 text (line %(line)d). Save it as UTF-8 and try again.")
            % {"line": line},
            "not_utf8",
        ) from error


def _too_many_rows() -> DomainError:
    return _refuse(
        _("The file has more than %(limit)s prompts; split it into smaller files.")
        % {"limit": f"{MAX_ROWS:,}"},
        "too_many_rows",
    )


def _csv_rows(text: str) -> list[tuple[int, dict]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            return []
        names = [name.strip().lower() for name in header]
        if "text" not in names:
            raise _refuse(
                _("The CSV needs a header row with a 'text' column (columns: %(columns)s).")
                % {"columns": ",".join(COLUMNS)},
                "missing_text_column",
            )
        rows: list[tuple[int, dict[str, str]]] = []
        for values in reader:
            if not any(value.strip() for value in values):
                continue
            if len(rows) >= MAX_ROWS:
                raise _too_many_rows()
            row = dict(zip(names, values, strict=False))
            if len(values) > len(names):
                row["__extra__"] = "1"
            rows.append((reader.line_num, row))
        return rows
    except csv.Error as error:
        raise _refuse(
            _("The CSV cannot be read at line %(line)d: %(error)s")
            % {"line": reader.line_num, "error": error},
            "bad_csv",
        ) from error


def _txt_rows(text: str) -> list[tuple[int, dict]]:
    rows: list[tuple[int, dict[str, str]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if len(rows) >= MAX_ROWS:
            raise _too_many_rows()
        rows.append((number, {"text": line}))
    return rows


def _prompt_from(row: dict, campaign: Campaign, taken_ids: set[str]) -> Prompt | str:
    """A Prompt ready to save, or the reason the row is rejected."""
    if "__extra__" in row:
        return _("more values than columns in the header")
    problem = first_text_problem(row)
    if problem:
        return problem
    # NFC: scripts typed on a Mac arrive with Hangul decomposed into jamo.
    text = unicodedata.normalize("NFC", (row.get("text") or "").strip())
    if not text:
        return _("empty text")
    if len(text) > MAX_TEXT:
        return _("text longer than %(limit)d characters") % {"limit": MAX_TEXT}
    external_id = (row.get("id") or "").strip()
    if len(external_id) > 64:
        return _("id longer than 64 characters")
    if external_id and (problem := identifier_problem(external_id)):
        return _("id: %(problem)s") % {"problem": problem}
    if external_id and external_id in taken_ids:
        return _("duplicate id '%(id)s'") % {"id": external_id}
    category = (row.get("category") or "").strip()
    if len(category) > 100:
        return _("category longer than 100 characters")
    style = (row.get("speech_style") or "").strip().lower() or SpeechStyle.READ
    if style not in SpeechStyle.values:
        return _("unknown speech style '%(style)s' (use %(styles)s)") % {
            "style": style,
            "styles": ", ".join(SpeechStyle.values),
        }
    needed_text = (row.get("recordings_needed") or "").strip() or "1"
    try:
        needed = int(needed_text)
    except ValueError:
        needed = 0
    if not 1 <= needed <= MAX_RECORDINGS_NEEDED:
        return _("recordings_needed '%(value)s' is not a whole number from 1 to %(limit)d") % {
            "value": needed_text,
            "limit": MAX_RECORDINGS_NEEDED,
        }
    if external_id:
        taken_ids.add(external_id)
    return Prompt(
        campaign=campaign,
        external_id=external_id,
        text=text,
        category=category,
        speech_style=style,
        recordings_needed=needed,
    )


def prompts_import(*, campaign: Campaign, upload: UploadedFile) -> ImportReport:
    """Imports the good rows of a CSV or TXT script and reports the bad ones.

    Refused whole (DomainError, 400, nothing stored): not .csv/.txt, over MAX_BYTES or MAX_ROWS,
    not UTF-8, a CSV without a text column.
    """
    if campaign.status == Campaign.Status.CLOSED:
        raise Conflict(_("A closed campaign cannot be changed."), code="campaign_closed")
    suffix = PurePath(upload.name or "").suffix.lower()
    if suffix not in (".csv", ".txt"):
        raise _refuse(
            _("Upload a .csv or .txt file (got '%(suffix)s').") % {"suffix": suffix or "?"},
            "unsupported_type",
        )
    text = _read_text(upload)
    rows = _csv_rows(text) if suffix == ".csv" else _txt_rows(text)
    if not rows:
        raise _refuse(_("The file has no prompts."), "empty_file")
    report = ImportReport()
    taken_ids = set(campaign.prompts.exclude(external_id="").values_list("external_id", flat=True))
    prompts = []
    for line, row in rows:
        outcome = _prompt_from(row, campaign, taken_ids)
        if isinstance(outcome, Prompt):
            prompts.append(outcome)
        else:
            report.rejected.append({"row": line, "reason": outcome})
    with transaction.atomic():
        Prompt.objects.bulk_create(prompts, batch_size=1000)
    report.accepted = len(prompts)
    return report
