"""The demo ships its consent in English and Korean: a Korean browser reads the Korean text."""

import json

import pytest

from labelhub.planning.management.commands.demo_load import DEMO_DIR, Command
from labelhub.speakers.selectors import consent_document_for
from labelhub.speakers.services import consent_document_create
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def test_the_demo_consent_has_a_korean_translation_added_once() -> None:
    plan = json.loads((DEMO_DIR / "demo.json").read_text())["campaign"]
    campaign = CampaignFactory(language="en", status="active")
    english = consent_document_create(
        campaign=campaign,
        title=plan["consent_title"],
        text=(DEMO_DIR / plan["consent_file"]).read_text(),
    )

    Command()._korean_consent(campaign, plan)
    Command()._korean_consent(campaign, plan)  # loading again adds nothing

    korean = consent_document_for(campaign=campaign, language="ko-KR")
    assert korean.version == english.version and korean.language == "ko"
    assert "개인정보 보호법" in korean.text and "동의를 거부할 권리" in korean.text
    assert consent_document_for(campaign=campaign, language="en") == english
    assert campaign.consent_documents.count() == 2
