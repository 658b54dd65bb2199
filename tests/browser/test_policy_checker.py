"""The workbench in Chromium: the campaign's normalisation policy is checked as the labeler
types, each problem comes with a one-click fix, and the draft's QA flags are listed."""

import pytest

from labelhub.accounts.models import User
from tests.factories import ConsentRecordFactory, UserFactory
from tests.labeling.audio import ingested_recording, store_draft

pytestmark = pytest.mark.django_db(transaction=True)


def test_policy_problems_are_fixed_with_one_click(page, login_as, tmp_path) -> None:
    speaker = ConsentRecordFactory(
        speaker__campaign__transcript_casing="lower",
        speaker__campaign__transcript_final_punctuation="none",
    ).speaker
    recording = ingested_recording(speaker, tmp_path, text="turn on the television")
    store_draft(recording, "Turn on the television. Thank you.")
    login_as(UserFactory(role=User.Role.LABELER))
    page.goto("/work/")
    page.wait_for_function("() => document.getElementById('task-title').textContent !== ''")

    flags = page.locator("#qa-flags")
    assert flags.is_visible()
    assert "hallucination" in flags.inner_text()
    page.locator("#issues .fix").first.wait_for()
    assert page.locator("#issues .fix").all_inner_texts() == [
        "Lowercase",
        "Lowercase",
        "Remove the final mark",
    ]

    page.locator("#issues .fix", has_text="Remove the final mark").click()
    page.wait_for_function("() => document.querySelectorAll('#issues .fix').length === 2")
    page.locator("#issues .fix").first.click()
    page.wait_for_function("() => document.querySelectorAll('#issues .fix').length === 1")
    page.locator("#issues .fix").first.click()
    page.wait_for_function("() => document.querySelectorAll('#issues li').length === 0")
    assert page.locator("#transcript").input_value() == "turn on the television. thank you"
