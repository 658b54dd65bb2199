"""The clip facts the figures are summed from: kept up to date by the services, rebuilt equal."""

from io import StringIO

import pytest
from django.core.management import call_command

from labelhub.analytics.asr_error import asr_error_by
from labelhub.analytics.coverage import coverage_by_cell, coverage_over_time
from labelhub.analytics.facts import clip_fact_refresh
from labelhub.analytics.labeling_cost import labeling_cost_by
from labelhub.analytics.models import ClipFact, FactDay, FactLabeler, FactRollup
from labelhub.analytics.rollups import ROLLUPS
from labelhub.analytics.sum_columns import ALL_SUMS, COST_SUMS
from labelhub.analytics.sums import FactSums, campaign_sums
from labelhub.dispatch import app
from labelhub.labeling.review import review_claim_next, review_decide
from labelhub.labeling.services import task_claim_next, task_submit
from labelhub.speakers.withdrawal import BY_PM, consent_withdraw
from tests.factories import CampaignFactory, QuotaCellFactory
from tests.labeling.helpers import labeler_user, reviewer_user, task_with_draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager(monkeypatch):
    # The on-commit refresh goes through Celery by task name; run it here, as a worker would.
    monkeypatch.setitem(app.conf, "task_always_eager", True)


def figures(campaign, *, rolled_up: bool = True) -> dict:
    """Everything the dashboard shows, as comparable values (from the rollups, or not)."""
    sums = campaign_sums(campaign=campaign)
    if not rolled_up:
        sums = FactSums(campaign, sums.facts)

    def fresh() -> FactSums:  # each figure from its own, uncached, sums
        return FactSums(campaign, sums.facts, rolled_up=sums.rolled_up)

    return {
        "coverage": [
            (row.label, row.collected, row.approved)
            for row in coverage_by_cell(campaign=campaign, facts=fresh())
        ],
        "over_time": coverage_over_time(campaign=campaign, facts=fresh()),
        "errors": {
            by: asr_error_by(campaign=campaign, dimension=by, facts=fresh())
            for by in ("campaign", "cell", "dialect+age_band", "model", "environment+device")
        },
        "cost": labeling_cost_by(campaign=campaign, by="labeler", facts=fresh()),
        "cost_by_cell": labeling_cost_by(campaign=campaign, by="cell", facts=fresh()),
    }


def rollup_rows(campaign) -> dict:
    """Every rollup row of the campaign, without ids, in a stable order."""
    rows = {}
    for model in ROLLUPS:
        values = model.objects.filter(campaign=campaign).values()
        rows[model.__name__] = sorted(
            (tuple(sorted((k, v) for k, v in row.items() if k != "id")) for row in values), key=str
        )
    return rows


def history(campaign, django_capture_on_commit_callbacks) -> None:
    """Drafts, labeler edits, a return and a resubmission, approvals and a withdrawal."""
    labeler, reviewer = labeler_user(username="mina"), reviewer_user()
    tasks = []
    for index, (draft, text) in enumerate(
        [("turn of the tv", "turn on the tv"), ("mute", "mute"), ("volume up", "volume down")]
    ):
        with django_capture_on_commit_callbacks(execute=True):
            task, revision = task_with_draft(campaign=campaign, text=draft)
        with django_capture_on_commit_callbacks(execute=True):
            task_claim_next(labeler=labeler)
            edit = task_submit(
                task_id=task.pk,
                labeler=labeler,
                text=text,
                base_revision_id=revision.pk,
                work_seconds=20.0 + index,
            )
        tasks.append((task, edit))
    for task, edit in tasks:
        with django_capture_on_commit_callbacks(execute=True):
            if review_claim_next(reviewer=reviewer) is None:
                continue  # approved at submit: the campaign did not sample it for review
            review_decide(
                task_id=task.pk,
                reviewer=reviewer,
                decision="approve",
                text=edit.text,
                base_revision_id=edit.pk,
            )
    with django_capture_on_commit_callbacks(execute=True):
        consent_withdraw(speaker=tasks[0][0].recording.speaker, method=BY_PM)


def test_rebuilt_facts_give_the_same_figures_as_the_incremental_ones(
    eager, django_capture_on_commit_callbacks
) -> None:
    campaign = CampaignFactory(language="en", review_share=1.0)
    QuotaCellFactory(campaign=campaign, age_band="", gender="")
    history(campaign, django_capture_on_commit_callbacks)
    # Written by the services' on-commit refreshes, before any page could fill them in.
    assert ClipFact.objects.filter(campaign=campaign).count() == 3
    incremental = figures(campaign)
    incremental_rollups = rollup_rows(campaign)
    assert all(incremental_rollups.values())  # each rollup holds rows to compare

    call_command("analytics_rebuild_facts", "--campaign", str(campaign.pk), stdout=StringIO())

    assert figures(campaign) == incremental
    assert rollup_rows(campaign) == incremental_rollups
    # And the rollups give what summing the ClipFact rows themselves gives.
    assert figures(campaign) == figures(campaign, rolled_up=False)
    (cell,) = incremental["coverage"]
    assert cell[1].clips == 2  # the withdrawn speaker's clip no longer counts as collected
    assert incremental["errors"]["campaign"][0].clips == 2


def test_services_keep_the_facts_current_as_the_clip_moves_on(
    eager, django_capture_on_commit_callbacks
) -> None:
    campaign = CampaignFactory(language="en", review_share=0.0)
    with django_capture_on_commit_callbacks(execute=True):
        task, draft = task_with_draft(campaign=campaign, text="turn of the tv")
    labeler = labeler_user()
    with django_capture_on_commit_callbacks(execute=True):
        task_claim_next(labeler=labeler)
        task_submit(
            task_id=task.pk, labeler=labeler, text="turn on the tv", base_revision_id=draft.pk
        )

    fact = ClipFact.objects.get(recording=task.recording)
    assert (fact.approved, fact.measured, fact.word_edits, fact.words) == (True, True, 1, 4)
    assert fact.labeled and fact.edited

    with django_capture_on_commit_callbacks(execute=True):
        consent_withdraw(speaker=task.recording.speaker, method=BY_PM)

    fact.refresh_from_db()
    assert (fact.collected, fact.approved, fact.measured) == (False, False, False)


def test_a_refresh_is_idempotent_and_forgets_deleted_recordings() -> None:
    campaign = CampaignFactory(language="en")
    task, _draft = task_with_draft(campaign=campaign)
    recording = task.recording

    assert clip_fact_refresh([recording.pk]) == 1
    assert clip_fact_refresh([recording.pk, recording.pk]) == 1
    assert ClipFact.objects.filter(recording=recording).count() == 1
    assert clip_fact_refresh([recording.pk + 10_000]) == 0


def test_a_refresh_rewrites_every_rollup_of_the_speaker(
    eager, django_capture_on_commit_callbacks
) -> None:
    """Fails when clip_fact_refresh leaves a rollup out: each one is emptied, then the refresh
    of one clip must bring every rollup of its speaker back as the rebuild has it."""
    campaign = CampaignFactory(language="en", review_share=1.0)
    QuotaCellFactory(campaign=campaign, age_band="", gender="")
    history(campaign, django_capture_on_commit_callbacks)
    expected = rollup_rows(campaign)
    for model in ROLLUPS:
        assert expected[model.__name__], model.__name__
        model.objects.filter(campaign=campaign).delete()

    clip_fact_refresh(ClipFact.objects.filter(campaign=campaign).values_list("pk", flat=True))

    assert rollup_rows(campaign) == expected


def test_the_rollups_hold_every_sum_the_figures_take() -> None:
    """A sum added to sums.py without its rollup column would be missing from the dashboard."""
    columns = {field.name for field in FactRollup._meta.fields}
    assert set(ALL_SUMS) <= columns
    assert set(COST_SUMS) <= {field.name for field in FactLabeler._meta.fields}
    assert {"day", "clips", "seconds"} <= {field.name for field in FactDay._meta.fields}
