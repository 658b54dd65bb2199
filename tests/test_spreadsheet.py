"""CSV/TSV cells never run as spreadsheet formulas (OWASP CSV injection)."""

import pytest

from labelhub.spreadsheet import safe_cell, safe_csv

FORMULAS = [
    '=HYPERLINK("http://evil.example","x")',
    "@SUM(1)",
    "+SUM(1,2)",
    "-1+2",
    "-cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("text", FORMULAS)
def test_a_cell_that_starts_like_a_formula_is_prefixed_with_an_apostrophe(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["-3.5", "+12", "-1e-3", "0.5", -3.5, 7, None, True, ""])
def test_numbers_and_empty_cells_stay_as_they_are(value: object) -> None:
    assert safe_cell(value) == value


def test_ordinary_text_and_text_with_a_formula_inside_stay_as_they_are() -> None:
    assert safe_cell("turn on the tv") == "turn on the tv"
    assert safe_cell("a=b+c") == "a=b+c"


def test_csv_rows_are_made_safe_cell_by_cell() -> None:
    text = safe_csv([{"n": -2, "note": "@SUM(1)"}, {"n": "-2.5", "note": "ok"}])

    assert text.splitlines() == ["n,note", "-2,'@SUM(1)", "-2.5,ok"]
