"""The review page in Chromium: a labeler's text that does not match the prompt is flagged
before approval, one Ctrl+Enter does not approve it, and the diff can ignore case and marks."""

import pytest

from labelhub.accounts.models import User
from labelhub.campaigns.models import Prompt
from labelhub.labeling.models import Task
from labelhub.labeling.services import task_claim_next, task_submit
from tests.browser.screenshots import save_doc_screenshot
from tests.factories import ConsentRecordFactory, UserFactory
from tests.labeling.audio import ingested_recording, store_draft

pytestmark = pytest.mark.django_db(transaction=True)

PROMPT = "show me the weather for tomorrow"


def mismatched_submission(tmp_path) -> Task:
    """The speaker read another prompt; Whisper and the labeler wrote what was said."""
    speaker = ConsentRecordFactory().speaker
    recording = ingested_recording(speaker, tmp_path, text="turn on the television")
    recording.prompt = Prompt.objects.create(campaign=recording.campaign, text=PROMPT)
    recording.save(update_fields=["prompt"])
    draft = store_draft(recording, "Turn on the television.")
    labeler = UserFactory(role=User.Role.LABELER)
    task = task_claim_next(labeler=labeler)
    task_submit(
        task_id=task.pk, labeler=labeler, text="turn on the television", base_revision_id=draft.pk
    )
    return task


def open_review(page) -> None:
    page.goto("/work/review/")
    page.wait_for_function("() => document.getElementById('task-title').textContent !== ''")


def test_a_prompt_mismatch_needs_a_confirmation_to_approve(page, login_as, tmp_path) -> None:
    task = mismatched_submission(tmp_path)
    login_as(UserFactory(role=User.Role.REVIEWER))
    open_review(page)

    warning = page.locator("#qa-flags")
    assert warning.is_visible()
    assert "far from the prompt" in warning.inner_text()
    assert page.locator("#mismatch-prompt").inner_text() == PROMPT
    assert page.locator("#mismatch-text").inner_text() == "turn on the television"
    save_doc_screenshot(page, "review_prompt_mismatch")

    page.locator("#transcript").focus()
    page.keyboard.press("Control+Enter")
    page.wait_for_function("() => document.activeElement.id === 'confirm-flags'")
    assert "tick the box" in page.locator("#status").inner_text()
    task.refresh_from_db()
    assert task.status == Task.Status.SUBMITTED

    page.keyboard.press("Space")  # ticks the focused confirm box: keyboard only
    page.keyboard.press("Control+Enter")
    page.locator("#empty").wait_for(state="visible")
    task.refresh_from_db()
    assert task.status == Task.Status.APPROVED


def test_the_diff_ignores_case_and_punctuation_until_told_not_to(page, login_as, tmp_path) -> None:
    mismatched_submission(tmp_path)
    login_as(UserFactory(role=User.Role.REVIEWER))
    open_review(page)

    toggle = page.locator("#diff-normalise")
    assert toggle.is_checked()
    # "Turn on the television." against "turn on the television": no real change.
    assert page.locator("#diff ins, #diff del").count() == 0
    assert page.locator("#diff").inner_text().split() == ["turn", "on", "the", "television"]

    toggle.uncheck()
    assert page.locator("#diff del").all_inner_texts() == ["Turn", "television."]
    assert page.locator("#diff ins").all_inner_texts() == ["turn", "television"]

    open_review(page)  # the reviewer still holds the task; the choice is remembered
    assert not page.locator("#diff-normalise").is_checked()
    assert page.locator("#diff del").count() == 2
