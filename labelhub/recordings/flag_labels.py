"""Display names for the flags a recording can carry: ingest's quality flags and the QA flags of
its drafts (labelhub.labeling.qa_flags and asr set those codes). Filters, the API and the
CSV keep the codes; pages show these names."""

from django.utils.translation import gettext_lazy as _

FLAG_LABELS = {
    # Ingest's level checks (recordings.audio, recordings.streaming_decode).
    "quiet": _("too quiet"),
    "loud": _("too loud"),
    "clipped": _("clipped"),
    "low_sample_rate": _("low sample rate"),
    # Draft and transcript QA flags.
    "empty": _("empty draft"),
    "repetition": _("repetition"),
    "no_speech": _("no speech"),
    "token_limit": _("draft cut off"),
    "decode_budget": _("decoding stopped"),
    "sampled": _("guessed draft"),
    "hallucination": _("hallucination"),
    "text_without_audio": _("text without audio"),
    "prompt_mismatch": _("prompt mismatch"),
}


def flag_label(code: str) -> str:
    return str(FLAG_LABELS.get(code, code))


def flag_choices() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in FLAG_LABELS.items()]
