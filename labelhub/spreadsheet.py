"""Cells that a spreadsheet shows as text, never runs as a formula (CSV/TSV injection).

OWASP's rule: a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
prefixed with ``'``, which Excel, LibreOffice and Google Sheets read as "this is text" and hide.
A cell that is a plain number (``-3.5``, ``+12``, ``1e-3``) is left alone: spreadsheets read it
as that number whatever the prefix rule says, and prefixing it would turn data into text.

Pure Python, no Django: the release format writers use it too.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")

RULE = (
    "In CSV and TSV files a text cell that starts with =, +, -, @, a tab or a carriage return "
    "is prefixed with an apostrophe (') so spreadsheets show it instead of running it as a "
    "formula; plain numbers are left as they are, and JSON/JSONL files keep the exact text."
)


def safe_text(text: str) -> str:
    """The text as a spreadsheet must see it: numbers as they are, formula-like text quoted."""
    if not text.startswith(FORMULA_STARTS) or _NUMBER.fullmatch(text):
        return text
    return "'" + text


def safe_cell(value: object) -> object:
    """Like :func:`safe_text` for any cell value; numbers, None and booleans pass unchanged."""
    return safe_text(value) if isinstance(value, str) else value


def safe_csv(rows: Iterable[Mapping[str, object]], *, columns: list[str] | None = None) -> str:
    """Rows of plain values as CSV text with every cell made safe; "" for no rows."""
    rows = list(rows)
    if not rows:
        return ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns or list(rows[0]))
    writer.writeheader()
    writer.writerows({key: safe_cell(value) for key, value in row.items()} for row in rows)
    return out.getvalue()
