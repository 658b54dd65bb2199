"""Prompt import from CSV/TXT: good rows in, bad rows reported, hostile files refused whole."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from labelhub.campaigns.models import Prompt
from labelhub.campaigns.prompt_import import prompts_import
from labelhub.errors import DomainError
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    return CampaignFactory(language="ko")


def upload(name: str, text: str | bytes) -> SimpleUploadedFile:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_good_csv_rows_are_imported_with_every_column(campaign) -> None:
    csv_text = (
        "id,text,category,speech_style,recordings_needed\n"
        "P1,TV 켜줘,tv-command,command,3\n"
        'P2,"볼륨 좀 올려 줄래, 응?",tv-command,,\n'
    )

    report = prompts_import(campaign=campaign, upload=upload("script.csv", csv_text))

    assert report.as_dict() == {"accepted": 2, "rejected": []}
    first, second = Prompt.objects.filter(campaign=campaign)
    assert (first.external_id, first.text, first.category) == ("P1", "TV 켜줘", "tv-command")
    assert (first.speech_style, first.recordings_needed) == ("command", 3)
    assert (second.text, second.speech_style, second.recordings_needed) == (
        "볼륨 좀 올려 줄래, 응?",
        "read",
        1,
    )


def test_bad_rows_are_reported_by_line_and_the_good_ones_imported(campaign) -> None:
    campaign.prompts.create(text="already there", external_id="OLD")
    csv_text = "\n".join(
        [
            "id,text,category,speech_style,recordings_needed",
            "A1,채널 올려,,read,1",  # line 2: good
            "A2,   ,,read,1",  # line 3: empty text
            f"A3,{'가' * 2001},,read,1",  # line 4: too long
            "A4,노래 불러,,sung,1",  # line 5: unknown style
            "A5,꺼 줘,,read,two",  # line 6: bad number
            "A1,다시 A1,,read,1",  # line 7: duplicate id in the file
            "OLD,이미 있음,,read,1",  # line 8: duplicate of a stored id
            "A9,소리 줄여,,read,0",  # line 9: bad number
            ",아이디 없음,,spontaneous,2",  # line 10: good, no id
        ]
    )

    report = prompts_import(campaign=campaign, upload=upload("script.csv", csv_text)).as_dict()

    assert report["accepted"] == 2
    reasons = {entry["row"]: entry["reason"] for entry in report["rejected"]}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9]
    assert reasons[3] == "empty text"
    assert "longer than 2000" in reasons[4]
    assert "unknown speech style 'sung'" in reasons[5]
    assert "recordings_needed 'two'" in reasons[6]
    assert reasons[7] == "duplicate id 'A1'"
    assert reasons[8] == "duplicate id 'OLD'"
    assert "recordings_needed '0'" in reasons[9]
    assert set(campaign.prompts.values_list("text", flat=True)) == {
        "already there",
        "채널 올려",
        "아이디 없음",
    }


def test_a_utf8_bom_and_only_a_text_column_are_enough(campaign) -> None:
    data = "\ufefftext\n안녕하세요\n".encode()

    report = prompts_import(campaign=campaign, upload=upload("script.csv", data))

    assert report.accepted == 1
    assert campaign.prompts.get().text == "안녕하세요"


def test_decomposed_hangul_is_stored_composed(campaign) -> None:
    import unicodedata

    prompts_import(
        campaign=campaign, upload=upload("script.txt", unicodedata.normalize("NFD", "한국어"))
    )

    assert campaign.prompts.get().text == "한국어"


def test_a_txt_file_gives_one_prompt_per_non_blank_line(campaign) -> None:
    data = "\ufeff불 꺼 줘\r\n\r\n내일 날씨 어때?\r\n".encode()

    report = prompts_import(campaign=campaign, upload=upload("lines.txt", data))

    assert report.as_dict() == {"accepted": 2, "rejected": []}
    assert list(campaign.prompts.values_list("text", flat=True)) == ["불 꺼 줘", "내일 날씨 어때?"]


def test_the_hostile_100k_row_csv_is_refused_whole_and_nothing_is_stored(campaign) -> None:
    rows = "".join(f"P{n},prompt number {n}\n" for n in range(100_000))

    with pytest.raises(DomainError) as refused:
        prompts_import(campaign=campaign, upload=upload("huge.csv", "id,text\n" + rows))

    assert refused.value.status_code == 400
    assert refused.value.code == "too_many_rows"
    assert "20,000" in refused.value.message
    assert not Prompt.objects.exists()


def test_a_file_over_5_mb_is_refused_whole(campaign) -> None:
    line = "가" * 1000 + "\n"  # 3,001 bytes a line, well under the row limit
    data = line * 1800

    with pytest.raises(DomainError) as refused:
        prompts_import(campaign=campaign, upload=upload("big.txt", data))

    assert refused.value.code == "file_too_large"
    assert not Prompt.objects.exists()


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("script.xlsx", b"PK\x03\x04", "unsupported_type"),
        ("script.csv", "id,text\n1,안녕\n".encode("euc-kr"), "not_utf8"),
        ("script.csv", b"id,sentence\n1,hello\n", "missing_text_column"),
        ("script.csv", b"", "empty_file"),
        ("script.csv", b"text\n\n\n", "empty_file"),
    ],
)
def test_unreadable_files_are_refused_with_a_clear_error(campaign, name, data, code) -> None:
    with pytest.raises(DomainError) as refused:
        prompts_import(campaign=campaign, upload=upload(name, data))

    assert refused.value.code == code
    assert refused.value.status_code == 400
    assert not Prompt.objects.exists()


@pytest.mark.parametrize(
    "row", ["P1,TV \x00켜줘,,,", "P1,TV 켜줘,cat\x07,,", "P\x001,TV 켜줘,,,", "P1,TV 켜줘,,,\x1b1"]
)
def test_a_control_character_rejects_its_row_naming_the_column(campaign, row) -> None:
    csv_text = "id,text,category,speech_style,recordings_needed\n" + row + "\nP2,볼륨 올려,,,\n"

    report = prompts_import(campaign=campaign, upload=upload("script.csv", csv_text))

    assert report.accepted == 1
    (rejected,) = report.rejected
    assert rejected["row"] == 2 and "control character U+00" in rejected["reason"]
    assert list(campaign.prompts.values_list("external_id", flat=True)) == ["P2"]


def test_a_nul_in_a_txt_script_rejects_its_line(campaign) -> None:
    report = prompts_import(campaign=campaign, upload=upload("s.txt", "좋은 아침\n나쁜\x00줄\n"))

    assert report.accepted == 1 and report.rejected[0]["row"] == 2


@pytest.mark.parametrize("external_id", ["../p1", "P 1", "a..b", "p/1"])
def test_an_id_that_is_not_an_identifier_rejects_its_row(campaign, external_id) -> None:
    csv_text = f"id,text\n{external_id},TV 켜줘\n"

    report = prompts_import(campaign=campaign, upload=upload("script.csv", csv_text))

    assert report.accepted == 0 and "not a valid identifier" in report.rejected[0]["reason"]
