"""labelhub.text_metrics: the one WER/CER module, in English and Korean, and the same figure on a
draft's revision as on the dashboard."""

import subprocess
import sys
import unicodedata

import pytest

from labelhub.analytics.asr_error import asr_error_by
from labelhub.campaigns.models import Prompt
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.text_metrics import (
    cer,
    edit_counts,
    normalise,
    pooled_cer,
    pooled_wer,
    prompt_error_rates,
    wer,
)
from tests.factories import CampaignFactory, RecordingFactory, SpeakerFactory, UserFactory
from tests.labeling.audio import store_draft


def test_normalise_folds_width_case_punctuation_and_spaces() -> None:
    assert normalise("  Turn ON the ＴＶ,  please!\n") == "turn on the tv please"
    assert normalise("Don't STOP — now…") == "dont stop now"
    assert normalise("STRASSE") == normalise("straße")  # casefold, not lower
    assert normalise("거실 불, 켜 줘!") == "거실 불 켜 줘"
    assert normalise("?!…") == ""


def test_english_casing_and_punctuation_are_not_errors() -> None:
    assert wer("Turn on the TV.", "turn on the tv") == 0.0
    assert cer("Turn on the TV.", "turn on the tv") == 0.0
    assert wer("I don't know", "I dont know") == 0.0


def test_english_substitution_counts_one_word_and_its_characters() -> None:
    counts = edit_counts(reference="turn on the tv", hypothesis="turn off the tv")
    assert (counts.word_edits, counts.words) == (1, 4)
    # turnonthetv -> turnoffthetv: n->f and one inserted f, over 11 characters (no spaces).
    assert (counts.char_edits, counts.chars) == (2, 11)
    assert prompt_error_rates("turn on the tv", "turn off the tv") == (0.25, round(2 / 11, 4))


def test_english_spacing_variant_costs_words_but_no_characters() -> None:
    assert wer("living room", "livingroom") == 1.0  # one substitution and one deletion, of 2
    assert cer("living room", "livingroom") == 0.0


@pytest.mark.parametrize(
    ("reference", "hypothesis"),
    [
        ("거실 불 좀 켜 줘", "거실 불좀 켜줘"),  # 보조 용언, 조사 spacing
        ("내일 아침 일곱 시에 깨워 줘", "내일 아침 일곱시에 깨워줘"),  # 단위 명사
        ("거실 텔레비전 켜 줘", "거실텔레비전켜줘"),  # no spaces at all
    ],
)
def test_korean_spacing_variants_are_no_character_errors(reference: str, hypothesis: str) -> None:
    assert cer(reference, hypothesis) == 0.0
    assert wer(reference, hypothesis) > 0  # words do differ: why Korean is headlined in CER


def test_korean_errors_count_syllables() -> None:
    counts = edit_counts(reference="거실 불 좀 켜 줘.", hypothesis="거실 불좀 꺼줘")
    assert (counts.char_edits, counts.chars) == (1, 6)  # 켜 -> 꺼 over 거실불좀켜줘
    assert prompt_error_rates("소리 줄여 줘", "소리 키워 줘") == (round(1 / 3, 4), 0.4)


def test_korean_decomposed_jamo_equal_composed_syllables() -> None:
    decomposed = unicodedata.normalize("NFD", "거실 불 켜 줘")
    assert decomposed != "거실 불 켜 줘"
    assert cer("거실 불 켜 줘", decomposed) == 0.0
    assert wer("거실 불 켜 줘", decomposed) == 0.0


def test_empty_reference_has_no_rate_and_empty_hypothesis_is_all_deletions() -> None:
    assert wer("", "anything") is None and cer("", "anything") is None
    assert prompt_error_rates("", "anything") == (None, None)
    assert prompt_error_rates("...", "anything") == (None, None)  # only punctuation
    assert prompt_error_rates("turn on the tv", "") == (1.0, 1.0)
    assert prompt_error_rates("거실 불 켜 줘", "  ") == (1.0, 1.0)
    assert edit_counts(reference="", hypothesis="").wer is None


def test_corpus_rates_pool_edits_not_per_clip_rates() -> None:
    references = ["turn on", "turn on the kitchen lights please"]
    hypotheses = ["turn off", "turn on the kitchen lights please"]
    # One edit over 8 words; the mean of per-clip rates would be (0.5 + 0) / 2.
    assert wer(references, hypotheses) == pytest.approx(1 / 8)
    pairs = [
        edit_counts(reference=r, hypothesis=h) for r, h in zip(references, hypotheses, strict=True)
    ]
    assert pooled_wer(pairs) == pytest.approx(1 / 8)
    assert pooled_cer(pairs) == pytest.approx(2 / 34)  # 6 + 28 characters
    assert pooled_wer([]) is None and pooled_cer([]) is None
    with pytest.raises(ValueError):
        wer(references, hypotheses[:1])
    with pytest.raises(TypeError):
        wer("turn on", ["turn on"])


def test_the_module_imports_no_django() -> None:
    code = (
        "import sys, labelhub.text_metrics; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'django', 'celery'}); "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.django_db
def test_a_drafts_stored_prompt_cer_is_the_dashboards_cer_for_the_same_pair() -> None:
    """The speaker read the prompt as written (the approved final), so the draft's CER against
    the prompt, stored when it was drafted, and the dashboard's draft-vs-final CER are one
    pair measured twice."""
    campaign = CampaignFactory(language="ko-KR")
    prompt = Prompt.objects.create(campaign=campaign, text="거실 불 좀 켜 줘.")
    recording = RecordingFactory(speaker=SpeakerFactory(campaign=campaign), prompt=prompt)
    draft = store_draft(recording, "거실 불좀 꺼줘")
    TranscriptRevision.objects.create(
        recording=recording,
        number=draft.number + 1,
        parent=draft,
        kind=TranscriptRevision.Kind.LABELER_EDIT,
        text=prompt.text,
        author=UserFactory(role="labeler"),
    )
    Task.objects.filter(recording=recording).update(status=Task.Status.APPROVED)

    (row,) = asr_error_by(campaign=campaign, dimension="campaign")

    draft.refresh_from_db()
    assert draft.prompt_cer == round(1 / 6, 4)  # spaces ignored: 켜 -> 꺼 over 6 syllables
    assert draft.prompt_cer == round(row.cer.value, 4)
    assert draft.prompt_wer == round(row.wer.value, 4)
