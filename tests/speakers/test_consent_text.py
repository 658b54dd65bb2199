"""A consent text's paragraphs: the author's hard wraps undone, paragraphs and items kept."""

from labelhub.speakers.consent_text import consent_paragraphs


def test_wrapped_lines_join_and_numbered_items_and_blank_lines_part_paragraphs() -> None:
    text = (
        "Consent to the collection\n\n"
        "1. Purpose. Your recorded voice will be used\n"
        "   to build speech datasets.\n"
        "2. Retention. Three years.\n\n"
        "A closing paragraph\nwrapped at eighty columns."
    )

    assert consent_paragraphs(text) == [
        "Consent to the collection",
        "1. Purpose. Your recorded voice will be used to build speech datasets.",
        "2. Retention. Three years.",
        "A closing paragraph wrapped at eighty columns.",
    ]


def test_korean_items_each_keep_their_line() -> None:
    text = "1. 목적: 음성 인식\n2. 보유 기간: 3년\n가. 세부 항목"

    assert consent_paragraphs(text) == ["1. 목적: 음성 인식", "2. 보유 기간: 3년", "가. 세부 항목"]
