"""Signing in lands each role on its own work, with a menu of only the pages it may open."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.campaigns.models import Campaign
from labelhub.labeling.models import Task
from labelhub.recordings.models import Recording
from tests.browser.screenshots import save_doc_screenshot
from tests.factories import (
    CampaignFactory,
    LegalReviewFactory,
    RecordingFactory,
    SpeakerFactory,
    TaskFactory,
    UserFactory,
)

PASSWORD = "a-long-test-password"


def _sign_in(page: object, role: str, username: str) -> User:
    user = UserFactory(role=role, username=username)
    user.set_password(PASSWORD)
    user.save()
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    return user


def _menu(page: object) -> list[str]:
    return page.locator("header nav a:not(.brand)").all_inner_texts()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("role", "lands_on", "menu"),
    [
        (User.Role.LABELER, "/work/", ["Workbench"]),
        (User.Role.REVIEWER, "/work/review/", ["Workbench", "Review"]),
        (User.Role.CLIENT, "/portal/", ["Releases"]),
    ],
)
def test_signing_in_lands_on_the_role_work(page, live_server, role, lands_on, menu) -> None:
    _sign_in(page, role, "mina")

    assert page.url == live_server.url + lands_on
    assert _menu(page) == menu


def _attention_world() -> None:
    unsigned = CampaignFactory(name="가전 명령 2", status=Campaign.Status.LEGAL_REVIEW)
    LegalReviewFactory(campaign=unsigned)
    busy = CampaignFactory(name="가전 명령 1", status=Campaign.Status.ACTIVE)
    speaker = SpeakerFactory(campaign=busy, code="화자-0001")  # no stray campaign of its own
    past = timezone.now() - timedelta(minutes=10)
    holder = UserFactory(role=User.Role.LABELER)
    TaskFactory(recording=RecordingFactory(speaker=speaker), assignee=holder, lease_expires_at=past)
    for _ in range(3):
        TaskFactory(recording=RecordingFactory(speaker=speaker), status=Task.Status.SUBMITTED)
    RecordingFactory(speaker=speaker, status=Recording.Status.REJECTED)


@pytest.mark.django_db(transaction=True)
def test_a_pm_lands_on_what_needs_them_in_korean(page, context, live_server) -> None:
    _attention_world()
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "ko", "url": live_server.url}]
    )
    _sign_in(page, User.Role.PM, "김피엠")

    assert page.url == live_server.url + "/"
    assert page.locator("h1").inner_text() == "처리할 일"
    assert _menu(page) == ["캠페인", "분석", "작업대", "검수", "분류", "릴리스"]
    row = page.locator("tr", has_text="가전 명령 1")
    assert row.locator("[data-item=review]").inner_text() == "3"
    assert row.locator("[data-item=leases] a").get_attribute("href").startswith("/work/queue/")
    assert page.locator("tr", has_text="가전 명령 2").locator("[data-item=sign-off] a").count()
    save_doc_screenshot(page, "pm-home")

    page.goto("/no-such-page/")
    assert page.locator("h1").inner_text() == "페이지를 찾을 수 없습니다"
