"""labelhub.validation: the one identifier pattern, the text check and the query helpers."""

import pytest

from labelhub.validation import (
    InvalidParameter,
    bad_character,
    first_text_problem,
    identifier_problem,
    prefix_clash,
    printable,
    query_choice,
    query_id,
    speaker_code_problem,
)


@pytest.mark.parametrize("value", ["SPK-01", "p1", "A.b_c-9", "x" * 64, "0"])
def test_identifiers_of_letters_digits_and_separators_are_accepted(value: str) -> None:
    assert identifier_problem(value) is None


@pytest.mark.parametrize(
    "value",
    ["../../x", "SPK 01", "a..b", "x" * 65, "", "-a", ".hidden", "a/b", "a\\b", "가나", "a\tb"],
)
def test_paths_whitespace_and_other_scripts_are_not_identifiers(value: str) -> None:
    assert "not a valid identifier" in identifier_problem(value)


def test_a_speaker_code_may_not_look_like_a_split_folder() -> None:
    assert "split" in speaker_code_problem("SPK-test")
    assert speaker_code_problem("SPK-tester") is None


def test_codes_that_are_another_code_plus_a_dash_clash() -> None:
    assert prefix_clash("A", ["A-B", "C"]) == "A-B"
    assert prefix_clash("A-B", ["A"]) == "A"
    assert prefix_clash("A", ["AB", "A"]) is None


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x0b", "\x1f", "\ud800"])
def test_c0_controls_and_lone_surrogates_are_found(char: str) -> None:
    assert bad_character(f"ok{char}") == f"U+{ord(char):04X}"


def test_tab_and_line_breaks_are_text() -> None:
    assert bad_character("a\tb\r\nc") is None


def test_a_problem_names_the_field_even_a_nested_key() -> None:
    problem = first_text_problem({"split_ratios": {"tr\x00ain": 1.0}})

    assert problem.startswith("split_ratios.tr\\u0000ain: ") and "U+0000" in problem


def test_printable_writes_forbidden_characters_as_escapes() -> None:
    assert printable("a\x00b\x1b") == "a\\u0000b\\u001b"


@pytest.mark.parametrize("value", ["abc", "1'", "-1", "0", str(2**63), "١"])
def test_a_query_id_that_is_not_a_positive_bigint_is_refused_by_name(value: str) -> None:
    with pytest.raises(InvalidParameter) as refused:
        query_id({"campaign": value}, "campaign")

    assert refused.value.extra == {"parameter": "campaign"} and "campaign" in refused.value.message


def test_a_query_id_may_be_absent_unless_required() -> None:
    assert query_id({}, "campaign") is None
    assert query_id({"campaign": " 7 "}, "campaign") == 7
    with pytest.raises(InvalidParameter):
        query_id({}, "campaign", required=True)


def test_a_query_choice_is_one_of_its_choices() -> None:
    assert query_choice({}, "format", ["html", "csv"], default="html") == "html"
    with pytest.raises(InvalidParameter):
        query_choice({"format": "xml"}, "format", ["html", "csv"], default="html")
