"""In Chromium: a Korean-speaking PM writes the consent, previews it, completes the legal
checklist, signs off and activates the campaign; and the campaign page as the README shows it."""

from collections.abc import Iterator

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from labelhub.campaigns.models import Campaign, Prompt
from labelhub.labeling.models import Task
from labelhub.speakers.invites import invite_token
from labelhub.speakers.models import ConsentDocument
from labelhub.speakers.services import consent_document_create, consent_document_translate
from tests.browser.conftest import csp_violations
from tests.browser.screenshots import save_doc_screenshot
from tests.factories import (
    CampaignFactory,
    ConsentRecordFactory,
    QuotaCellFactory,
    RecordingFactory,
    SpeakerInviteFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KOREAN_CONSENT = (
    "1. 수집·이용 목적: 녹음된 음성은 음성 인식 모델의 학습과 평가에 이용됩니다.\n"
    "2. 보유 기간: 녹음은 수집일로부터 3년간 보관한 뒤\n"
    "   지체 없이 파기합니다.\n"
    "3. 동의 철회: 언제든지 동의를 철회할 수 있으며, 철회 시 녹음은 삭제됩니다."
)


@pytest.fixture
def korean_page(browser, live_server) -> Iterator[object]:
    context = browser.new_context(base_url=live_server.url, locale="ko-KR")
    context.set_default_timeout(15_000)
    violations = csp_violations(context)
    yield context.new_page()
    context.close()
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


def login_korean(page, live_server, user) -> None:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )


def test_a_korean_pm_writes_consent_signs_off_and_activates(korean_page, live_server, pm) -> None:
    page = korean_page
    campaign = CampaignFactory(language="ko", name="부산 어르신 음성", created_by=pm)
    login_korean(page, live_server, pm)

    page.goto(f"/campaigns/{campaign.pk}/")
    # No consent yet: the sign-off section leads straight to the editor.
    page.click("#consent-missing a")
    page.fill("#id_title", "음성 녹음 수집·이용 동의서")
    page.select_option("#id_language", "ko")
    page.fill("#id_text", KOREAN_CONSENT)
    page.click("#consent-form button[type=submit]")
    assert "동의서 버전 1을(를) 저장했습니다" in page.locator(".messages").inner_text()

    page.click("#consent-versions a:has-text('미리 보기')")
    preview = page.locator("#consent-preview").inner_text()
    assert "음성 녹음 수집·이용 동의서" in preview
    assert "3년간 보관한 뒤 지체 없이 파기합니다." in preview  # the hard wrap undone
    assert "아직 서명되지 않았습니다." in page.locator("#preview-note").inner_text()

    page.goto(f"/campaigns/{campaign.pk}/")
    assert page.locator("#consent-missing").count() == 0
    for box in ("consent_text_reviewed", "retention_period_set", "purpose_stated"):
        page.check(f"#id_{box}")
    page.check("#id_third_party_delivery_stated")
    page.fill("#id_minors_policy", "만 14세 미만은 법정대리인의 동의가 있어야 녹음할 수 있습니다.")
    page.click("#legal-review-form button[type=submit]")
    assert "법률 검토를 저장했습니다." in page.locator(".messages").inner_text()
    page.click("form[action$='/legal-review/sign-off/'] button")
    page.wait_for_selector(".signed-off")

    page.click("form:has(input[name=to][value=legal_review]) button")
    page.click("form:has(input[name=to][value=active]) button")
    page.wait_for_selector("[data-status=active]")
    assert page.locator("[data-status]").inner_text() == "진행 중"
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ACTIVE
    document = ConsentDocument.objects.get(campaign=campaign)
    assert (document.version, document.language) == (1, "ko")


def _demo_like_campaign(pm) -> Campaign:
    campaign = CampaignFactory(
        name="TV voice commands", language="en", status=Campaign.Status.ACTIVE, created_by=pm
    )
    english = consent_document_create(
        campaign=campaign, title="Voice recording consent", text="1. Purpose. Speech datasets."
    )
    consent_document_translate(
        document=english, language="ko", title="음성 녹음 동의서", text="1. 목적: 음성 데이터셋"
    )
    prompts = [
        Prompt.objects.create(
            campaign=campaign, text=text, category="tv-command", recordings_needed=2
        )
        for text in ("Turn on the TV", "Volume up", "Switch to channel seven", "Open Netflix")
    ]
    QuotaCellFactory(
        campaign=campaign,
        age_band="20s",
        gender="female",
        target_clips=6,
        target_minutes=0.5,
        target_speakers=2,
    )
    QuotaCellFactory(
        campaign=campaign,
        age_band="50s",
        gender="male",
        target_clips=6,
        target_minutes=0.5,
        target_speakers=2,
    )
    for code, age, gender, takes in (
        ("DEMO-001", "50s", "male", 3),
        ("DEMO-002", "20s", "female", 4),
    ):
        speaker = ConsentRecordFactory(
            speaker__campaign=campaign,
            speaker__code=code,
            speaker__age_band=age,
            speaker__gender=gender,
            document=english,
        ).speaker
        for number in range(takes):
            recording = RecordingFactory(
                speaker=speaker, prompt=prompts[number], duration_seconds=3
            )
            Task.objects.create(
                recording=recording, status=Task.Status.APPROVED if number < 2 else Task.Status.OPEN
            )
    SpeakerInviteFactory(campaign=campaign, created_by=pm)
    SpeakerInviteFactory(campaign=campaign, created_by=pm, speaker_code="STUDIO-07")
    SpeakerInviteFactory(campaign=campaign, created_by=pm, used_at=timezone.now())
    return campaign


def test_the_campaign_page_shows_its_things(page, login_as, pm) -> None:
    campaign = _demo_like_campaign(pm)
    login_as(pm)

    page.goto(f"/campaigns/{campaign.pk}/")

    assert page.locator("#prompt-table tbody tr").count() == 4
    assert page.locator("#speaker-table tbody tr").count() == 2
    assert page.locator("#consent-versions tbody tr").count() == 2
    assert page.locator("#invite-table [data-state=live] input").count() == 2
    page.click("#invite-table [data-state=live] button[data-copy]")
    # The label changes once the clipboard write resolves: wait for it rather than read at once.
    expect(page.locator("#invite-table [data-state=live] button").first).to_have_text("Copied.")
    assert page.locator("#quota-cells progress.collected").count() == 4  # clips and minutes
    save_doc_screenshot(page, "campaign_page")


def test_the_speaker_reads_korean_consent_and_a_refused_signature_shows_by_the_button(
    korean_page,
) -> None:
    page = korean_page
    invite = SpeakerInviteFactory(campaign__language="en", campaign__status="active")
    english = consent_document_create(
        campaign=invite.campaign, title="Voice consent", text="1. I agree."
    )
    consent_document_translate(
        document=english, language="ko", title="음성 녹음 동의서", text=KOREAN_CONSENT
    )

    page.goto(f"/record/{invite_token(invite=invite)}/")
    assert page.locator(".consent-text h3").inner_text() == "음성 녹음 동의서"
    paragraphs = page.locator(".consent-text p").all_inner_texts()
    assert "2. 보유 기간: 녹음은 수집일로부터 3년간 보관한 뒤 지체 없이 파기합니다." in paragraphs
    page.select_option("#gender", "female")
    page.fill("#birth_year", "1990")
    page.fill("#signed_name", "홍길동")
    page.click("#sign")  # the box "I agree" is left unticked

    error = page.locator("#sign-error")
    error.wait_for(state="visible")
    assert error.inner_text() == "계속하려면 동의서에 동의해야 합니다."  # no "agree:" prefix
    page.wait_for_function(
        "() => { const box = document.getElementById('sign-error').getBoundingClientRect();"
        " return box.top >= 0 && box.bottom <= window.innerHeight; }"
    )
    page.check("#agree")
    page.click("#sign")
    page.wait_for_selector("#withdraw-info:not([hidden])")
    wrap = page.evaluate(
        "() => getComputedStyle(document.getElementById('withdraw-url')).overflowWrap"
    )
    assert wrap == "anywhere"
    assert invite.campaign.speakers.get().consents.get().document.language == "ko"
