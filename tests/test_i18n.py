"""English and Korean ship together: every message has a Korean translation, and pages use it."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The project's messages, each app's own, and the browser apps' (djangojs).
PO_FILES = sorted(
    [
        *ROOT.glob("labelhub/**/locale/ko/LC_MESSAGES/*.po"),
        *ROOT.glob("frontend/**/locale/ko/LC_MESSAGES/*.po"),
    ]
)


def untranslated(po_text: str) -> list[str]:
    missing = []
    for entry in po_text.split("\n\n"):
        match = re.search(
            r'^msgid ((?:".*"\n)+)(?:msgid_plural (?:".*"\n)+)?msgstr(?:\[0\])? ((?:".*"\n?)+)',
            entry,
            re.M,
        )
        if match and "#, fuzzy" not in entry:
            msgid = "".join(re.findall(r'"(.*)"', match.group(1)))
            msgstr = "".join(re.findall(r'"(.*)"', match.group(2)))
            if msgid and not msgstr:
                missing.append(msgid)
    return missing


def test_the_korean_catalogues_are_found() -> None:
    assert ROOT / "labelhub/locale/ko/LC_MESSAGES/django.po" in PO_FILES


@pytest.mark.parametrize("po_file", PO_FILES, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_message_has_a_korean_translation(po_file: Path) -> None:
    assert untranslated(po_file.read_text(encoding="utf-8")) == []


@pytest.mark.django_db
def test_the_home_page_speaks_korean_when_asked(client) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="ko")

    assert response.status_code == 200
    assert "동의부터 납품까지" in response.content.decode()
    assert 'lang="ko"' in response.content.decode()


@pytest.mark.django_db
def test_the_home_page_defaults_to_english(client) -> None:
    response = client.get("/")

    assert "Voice data, from consent to delivery" in response.content.decode()
