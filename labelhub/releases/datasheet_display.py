"""The datasheet as people read it: every figure named in words, shares as percentages, the spec
as a list, codes as their labels, durations as h:mm:ss, in the active language.

releases.datasheet gathers the figures (and writes the Markdown, which keeps its field names
for the ML teams that parse it); this module only says them for the HTML datasheet.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from labelhub.campaigns.labels import GroupLabels, cell_label
from labelhub.campaigns.models import QuotaCell
from labelhub.campaigns.quota_cells import cell_value_labels
from labelhub.releases.charts import bar_chart_svg
from labelhub.releases.formatting import duration_text, percent_text

# The stats' dimension names ("age band") and the analytics ones ("age_band") alike.
DIMENSIONS = {
    "age band": (gettext_lazy("Age band"), gettext_lazy("By age band")),
    "gender": (gettext_lazy("Gender"), gettext_lazy("By gender")),
    "dialect": (gettext_lazy("Dialect"), gettext_lazy("By dialect")),
    "region": (gettext_lazy("Region"), gettext_lazy("By region")),
    "environment": (
        gettext_lazy("Recording environment"),
        gettext_lazy("By recording environment"),
    ),
    "campaign": (gettext_lazy("Campaign"), gettext_lazy("By campaign")),
    "model": (gettext_lazy("ASR model"), gettext_lazy("By ASR model")),
}
# The stats' dimension -> the key of cell_value_labels that names its codes.
VALUE_LABELS = {
    "age band": "age_band",
    "gender": "gender",
    "dialect": "dialect",
    "region": "region",
}
UNSPECIFIED = "unspecified"


def dimension_name(dimension: str) -> str:
    return str(DIMENSIONS.get(dimension.replace("_", " "), (dimension, dimension))[0])


def dimension_title(dimension: str) -> str:
    return str(DIMENSIONS.get(dimension.replace("_", " "), (dimension, dimension))[1])


def value_labels(campaigns: list) -> dict[str, dict[str, str]]:
    """Each code's label over every campaign of the release (the first campaign's wins)."""
    merged: dict[str, dict[str, str]] = {}
    for campaign in reversed(campaigns):
        for dimension, labels in cell_value_labels(campaign).items():
            merged.setdefault(dimension, {}).update({k: str(v) for k, v in labels.items()})
    return merged


def _value(labels: dict, dimension: str, code: str) -> str:
    if code == UNSPECIFIED:
        return _("unspecified")
    return labels.get(VALUE_LABELS.get(dimension, ""), {}).get(code, code)


def qa_rows(qa: dict) -> list[tuple[str, str]]:
    """The QA figures (releases.datasheet.qa_figures) as (what it is, its value) rows."""
    return [
        (_("Items with an ASR draft"), str(qa["items_with_asr_draft"])),
        (_("ASR drafts a person changed"), percent_text(qa["edit_rate"])),
        (_("ASR draft word error rate (WER) against the final text"),
         percent_text(qa["draft_vs_final_wer"])),
        (_("ASR draft character error rate (CER) against the final text"),
         percent_text(qa["draft_vs_final_cer"])),
        (_("Clips sent back at least once in review"),
         percent_text(qa["clips_returned_in_review"])),
        (_("Clips reviewed"), percent_text(qa["reviewed_share"])),
    ]  # fmt: skip


def demographic_tables(context: dict, labels: dict) -> list[dict]:
    """Speakers, clips and audio per value of each dimension (durations from the exact
    seconds, not the rounded hours the Markdown prints)."""
    hours = context["stats"].hours
    return [
        {
            "dimension": name,
            "name": dimension_name(name),
            "title": dimension_title(name),
            "rows": [
                (_value(labels, name, code), speakers, clips, duration_text(hours[name][code]))
                for code, speakers, clips, _hours in rows
            ],
        }
        for name, rows in context["tables"].items()
    ]


def split_rows(stats) -> list[tuple[str, int, int, str]]:
    return [
        (split, stats.split_items[split], len(stats.split_speakers[split]),
         duration_text(stats.split_seconds[split]))
        for split in sorted(stats.split_items)
    ]  # fmt: skip


def asr_error_sections(sections: list[dict], campaigns: list) -> list[dict]:
    """The per-group error tables with their dimension and groups in words."""
    by_name = {campaign.name: GroupLabels(campaign) for campaign in campaigns}
    shown = []
    for section in sections:
        labels = by_name.get(section["campaign"])
        tables = [
            {
                "title": dimension_title(dimension),
                "name": dimension_name(dimension),
                "rows": [
                    row
                    | {"label": labels.group(dimension, row["group"]) if labels else row["group"]}
                    for row in rows
                ],
            }
            for dimension, rows in section["tables"].items()
        ]
        shown.append({"campaign": section["campaign"], "tables": tables})
    return shown


def spec_rows(spec: dict, campaigns: list) -> list[tuple[str, str]]:
    """The release's filters as (what, which) rows: campaigns by name, cells and demographic
    values by their labels; filters left at "any" are not listed."""
    labels = value_labels(campaigns)
    rows = [(_("Campaigns"), ", ".join(campaign.name for campaign in campaigns))]
    cells = QuotaCell.objects.filter(pk__in=spec.get("quota_cells") or []).select_related(
        "campaign"
    )
    if cells:
        rows.append((_("Quota cells"), ", ".join(sorted(cell_label(cell) for cell in cells))))
    for key, title, dimension in (
        ("age_bands", _("Age bands"), "age_band"),
        ("genders", _("Genders"), "gender"),
        ("dialects", _("Dialects"), "dialect"),
        ("regions", _("Regions"), "region"),
        ("speech_styles", _("Speech styles"), "speech_style"),
    ):
        if spec.get(key):
            names = [labels.get(dimension, {}).get(code, code) for code in spec[key]]
            rows.append((title, ", ".join(names)))
    rows += _range_rows(spec)
    rows.append((_("Transcripts"), _("approved only") if spec.get("approved_only", True)
                 else _("every human-corrected transcript")))  # fmt: skip
    rows += _output_rows(spec)
    return rows


def _range_rows(spec: dict) -> list[tuple[str, str]]:
    rows = []
    if spec.get("recorded_from") or spec.get("recorded_to"):
        rows.append((_("Recorded"), f"{spec.get('recorded_from') or '…'} – "
                     f"{spec.get('recorded_to') or '…'}"))  # fmt: skip
    if spec.get("min_duration") is not None:
        rows.append((_("Shortest clip"), _("%(seconds)g s") % {"seconds": spec["min_duration"]}))
    if spec.get("max_duration") is not None:
        rows.append((_("Longest clip"), _("%(seconds)g s") % {"seconds": spec["max_duration"]}))
    if spec.get("max_draft_wer") is not None:
        rows.append((_("Highest ASR draft WER"), percent_text(spec["max_draft_wer"])))
    flags = spec.get("exclude_quality_flags") or []
    if flags:
        shown = [_("any quality flag") if flag == "*" else flag for flag in flags]
        rows.append((_("Left out: clips flagged"), ", ".join(shown)))
    return rows


def _output_rows(spec: dict) -> list[tuple[str, str]]:
    audio = _("FLAC (lossless)") if spec.get("audio_format") == "flac" else _("WAV (16 kHz mono)")
    rows = [(_("Audio"), audio)]
    if spec.get("include_originals"):
        rows.append((_("Original uploads"), _("included")))
    if spec.get("formats"):
        rows.append((_("Extra layouts"), ", ".join(spec["formats"])))
    if spec.get("kaldi_audio_prefix"):
        rows.append((_("Kaldi audio path prefix"), spec["kaldi_audio_prefix"]))
    if spec.get("resplit"):
        rows.append((_("Splits assigned afresh because"), spec["resplit"]["reason"]))
    return rows


def chart_svgs(context: dict, labels: dict) -> list[str]:
    """Audio per demographic value (as durations) and the duration histogram."""
    charts = [
        bar_chart_svg(
            _("Audio per %(dimension)s") % {"dimension": dimension_name(name).lower()},
            [
                (_value(labels, name, code), seconds)
                for code, seconds in sorted(context["stats"].hours[name].items())
            ],
            text=duration_text,
        )
        for name in ("age band", "gender", "dialect", "environment")
    ]
    histogram = [(label, count) for label, count in context["durations"]]
    charts.append(
        bar_chart_svg(
            _("Clip durations"),
            histogram,
            text=lambda n: ngettext("%(n)d item", "%(n)d items", n) % {"n": n},
        )
    )
    return charts


def display_context(context: dict) -> dict:
    """What the HTML datasheet template shows, said in the active language."""
    campaigns, stats = context["campaigns"], context["stats"]
    labels = value_labels(campaigns)
    return {
        "duration_total": duration_text(stats.seconds),
        "split_rows": split_rows(stats),
        "demographics": demographic_tables(context, labels),
        "qa_rows": qa_rows(context["qa"]),
        "spec_rows": spec_rows(context["spec"], campaigns),
        "asr_error_tables": asr_error_sections(context.get("asr_error", []), campaigns),
        "value_labels": labels,
    }
