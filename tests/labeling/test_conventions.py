"""Convention checkers: every problem has a message and the span it covers."""

import pytest

from labelhub.labeling.conventions import convention_check


def codes(text: str, convention: str = "kspon") -> list[tuple[str, str]]:
    return [
        (issue.code, text[issue.start : issue.end])
        for issue in convention_check(convention=convention, text=text)
    ]


@pytest.mark.parametrize(
    "text",
    [
        "b/ 음/ 그+ 그 사람이 왔어요.",
        "(70%)/(칠십 퍼센트) 할인이래요?",
        "(SNS)/(에스엔에스)에 올렸어 l/",
        "o/ u/ n/ 네, 맞아요!",
        "그 사람* 이름이 뭐였지 *",
        "어/ 그러니까 (3시)/(세 시)에 만나",
    ],
)
def test_well_formed_kspon_transcripts_pass(text: str) -> None:
    assert codes(text) == []


def test_digits_outside_a_dual_transcription_are_flagged() -> None:
    assert codes("오늘 3시에 만나") == [("digit", "3")]


def test_the_pronunciation_part_is_written_as_spoken() -> None:
    assert codes("(70%)/(70 퍼센트)") == [("dual_spoken", "7"), ("dual_spoken", "0")]


def test_an_empty_dual_part_is_flagged() -> None:
    assert codes("()/(공)") == [("dual_empty", "()/(공)")]


def test_parentheses_alone_are_not_a_dual_transcription() -> None:
    assert codes("(철자) 안녕") == [("paren_not_dual", "(철자)")]


def test_unbalanced_parentheses_point_at_the_lonely_one() -> None:
    assert codes("안녕 (하세요") == [("paren_unbalanced", "(")]
    assert codes("안녕)") == [("paren_unbalanced", ")")]


def test_nested_parentheses_are_flagged() -> None:
    assert codes("((가))/(가)") == [("paren_nested", "(")]


def test_only_the_known_noise_tags_are_accepted() -> None:
    assert codes("x/ 안녕 b/") == [("unknown_tag", "x/")]


def test_latin_words_must_be_written_in_hangul_or_dual() -> None:
    assert codes("hello 안녕") == [("latin", "hello")]


def test_stray_symbols_and_misplaced_marks_are_flagged() -> None:
    assert codes("안녕 # 그*사람") == [("stray_symbol", "#"), ("stray_symbol", "*")]
    assert codes("+ 안녕") == [("lonely_mark", "+")]


def test_spans_are_offsets_into_the_text() -> None:
    text = "좋아요 5개"
    (issue,) = convention_check(convention="kspon", text=text)

    assert (issue.start, issue.end) == (4, 5)
    assert issue.message


def test_plain_text_rules() -> None:
    assert codes("turn  on\nthe <b>tv</b>", "plain") == [
        ("double_space", "  "),
        ("line_break", "\n"),
        ("markup", "<b>"),
        ("markup", "</b>"),
    ]
    assert codes("   ", "plain") == [("empty", "")]
    assert codes("turn on the TV.", "plain") == []


def test_an_unknown_convention_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown"):
        convention_check(convention="klingon", text="x")
