"""The release's datasheet, after Gebru et al., "Datasheets for Datasets" (2018/2021).

Figures are gathered item by item while the archive is written (DatasheetStats.add), so the
datasheet costs no second pass and no list of items. The archive's files are English: they are
a deliverable read by the client's ML team. The portal's preview is rendered once per UI
language at build time (datasheet_html), in words (releases.datasheet_display).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from labelhub.analytics.datasheet import datasheet_figures
from labelhub.releases.datasheet_display import chart_svgs, display_context
from labelhub.releases.datasheet_terms import terms_markdown
from labelhub.releases.models import Release
from labelhub.spreadsheet import RULE as SPREADSHEET_RULE
from labelhub.text_metrics import edit_counts, normalise

DURATION_BINS = [0, 1, 2, 3, 5, 8, 12, 20, 30]  # seconds; the last bin is open-ended
FEW_SPEAKERS = 5  # a demographic cell with fewer speakers than this is noted as a limitation


@dataclass
class ItemFacts:
    split: str
    speaker: str
    seconds: float
    age_band: str
    gender: str
    dialect: str
    region: str
    environment: str
    consent: str  # "campaign document vN: title"
    consent_scope: str
    signer: str
    quality_flags: list[str]
    recorded_on: date
    channel: str
    final_text: str
    draft_text: str | None
    times_returned: int | None
    reviewed: bool


@dataclass
class DatasheetStats:
    items: int = 0
    seconds: float = 0.0
    speakers: set[str] = field(default_factory=set)
    split_items: Counter = field(default_factory=Counter)
    # Seconds are floats, which a Counter (counts are int) does not type.
    split_seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    split_speakers: dict = field(default_factory=lambda: defaultdict(set))
    hours: dict = field(default_factory=lambda: defaultdict(Counter))  # dimension -> value -> s
    clips: dict = field(default_factory=lambda: defaultdict(Counter))  # dimension -> value -> n
    voices: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(set)))
    cell_speakers: dict = field(default_factory=lambda: defaultdict(set))  # age|gender -> ids
    durations: Counter = field(default_factory=Counter)
    consents: Counter = field(default_factory=Counter)
    consent_scopes: dict = field(default_factory=dict)
    signers: Counter = field(default_factory=Counter)
    flags: Counter = field(default_factory=Counter)
    first_day: date | None = None
    last_day: date | None = None
    channels: Counter = field(default_factory=Counter)
    with_draft: int = 0
    edited: int = 0
    word_errors: int = 0
    words: int = 0
    char_errors: int = 0
    chars: int = 0
    tasks: int = 0
    returned: int = 0
    reviewed: int = 0

    def add(self, item: ItemFacts) -> None:
        self.items += 1
        self.seconds += item.seconds
        self.speakers.add(item.speaker)
        self.split_items[item.split] += 1
        self.split_seconds[item.split] += item.seconds
        self.split_speakers[item.split].add(item.speaker)
        for dimension, value in (
            ("age band", item.age_band),
            ("gender", item.gender),
            ("dialect", item.dialect),
            ("region", item.region),
            ("environment", item.environment),
        ):
            self.hours[dimension][value or "unspecified"] += item.seconds
            self.clips[dimension][value or "unspecified"] += 1
            self.voices[dimension][value or "unspecified"].add(item.speaker)
        self.cell_speakers[f"{item.age_band or '?'} / {item.gender or '?'}"].add(item.speaker)
        self.durations[_duration_bin(item.seconds)] += 1
        self.consents[item.consent] += 1
        self.consent_scopes[item.consent] = item.consent_scope
        self.signers[item.signer] += 1
        self.flags.update(item.quality_flags)
        self.first_day = min(self.first_day or item.recorded_on, item.recorded_on)
        self.last_day = max(self.last_day or item.recorded_on, item.recorded_on)
        self.channels[item.channel or "unspecified"] += 1
        self.reviewed += item.reviewed
        if item.times_returned is not None:
            self.tasks += 1
            self.returned += item.times_returned > 0
        if item.draft_text is not None and item.final_text.split():
            # The dashboard's normalisation and edit counts, so both report the same error.
            counts = edit_counts(reference=item.final_text, hypothesis=item.draft_text)
            self.with_draft += 1
            self.edited += normalise(item.draft_text) != normalise(item.final_text)
            self.word_errors += counts.word_edits
            self.words += counts.words
            self.char_errors += counts.char_edits
            self.chars += counts.chars


def _duration_bin(seconds: float) -> str:
    for low, high in zip(DURATION_BINS, DURATION_BINS[1:], strict=False):
        if seconds < high:
            return f"{low}-{high} s"
    return f"{DURATION_BINS[-1]}+ s"


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _hours_rows(counter: Counter) -> list[tuple[str, float]]:
    return [(label, round(seconds / 3600, 3)) for label, seconds in sorted(counter.items())]


def _demographic_rows(stats: DatasheetStats, dimension: str) -> list[tuple[str, int, int, float]]:
    """(value, speakers, clips, hours) rows of one dimension."""
    return [
        (
            label,
            len(stats.voices[dimension][label]),
            stats.clips[dimension][label],
            round(seconds / 3600, 3),
        )
        for label, seconds in sorted(stats.hours[dimension].items())
    ]


def qa_figures(stats: DatasheetStats) -> dict[str, float | int | None]:
    return {
        "items_with_asr_draft": stats.with_draft,
        "edit_rate": _share(stats.edited, stats.with_draft),
        "draft_vs_final_wer": _share(stats.word_errors, stats.words),
        "draft_vs_final_cer": _share(stats.char_errors, stats.chars),
        # Share of clips: a clip returned twice counts once (compare review_decisions_returned).
        "clips_returned_in_review": _share(stats.returned, stats.tasks),
        "reviewed_share": _share(stats.reviewed, stats.items),
    }


def limitations(
    stats: DatasheetStats, *, withdrawn_note: bool = True, labels: dict | None = None
) -> list[str]:
    """Known limitations, in the active language; `labels` (datasheet_display.value_labels)
    names demographic codes in words, as the HTML datasheet shows them."""
    notes = _demographic_notes(stats, labels or {})
    if stats.flags:
        listed = ", ".join(f"{flag} ({n})" for flag, n in sorted(stats.flags.items()))
        notes.append(
            _("Some clips carry soft quality flags from ingest: %(flags)s.") % {"flags": listed}
        )
    if stats.with_draft < stats.items:
        notes.append(
            _(
                "%(count)d items have no ASR draft; QA figures comparing draft and final text "
                "cover only the others."
            )
            % {"count": stats.items - stats.with_draft}
        )
    notes.append(_("Demographics are self-reported by speakers and were not verified."))
    if withdrawn_note:
        notes.append(
            _(
                "Speakers may withdraw consent after delivery. Withdrawn items are flagged in "
                "the client portal and API; delete them from your copies when notified."
            )
        )
    return notes


def _demographic_notes(stats: DatasheetStats, labels: dict) -> list[str]:
    """The notes on thin demographic cells and on audio unbalanced by gender."""

    def named(dimension: str, code: str) -> str:
        return labels.get(dimension, {}).get(code, code)

    notes = []
    thin = sorted(cell for cell, ids in stats.cell_speakers.items() if len(ids) < FEW_SPEAKERS)
    if thin:
        cells = [
            " / ".join(named(dim, code) for dim, code in zip(("age_band", "gender"),
                                                             cell.split(" / "), strict=False))
            for cell in thin
        ]  # fmt: skip
        notes.append(
            _(
                "Demographic cells with fewer than %(few)d speakers (results on them are "
                "not reliable): %(cells)s."
            )
            % {"few": FEW_SPEAKERS, "cells": ", ".join(cells)}
        )
    genders = stats.hours["gender"]
    if genders and max(genders.values()) > 0.7 * sum(genders.values()):
        top = max(genders, key=genders.get)
        notes.append(
            _("Audio is unbalanced by gender: over 70%% of hours are '%(gender)s'.")
            % {"gender": named("gender", top)}
        )
    return notes


ERROR_DIMENSIONS = ("campaign", "age_band", "gender", "dialect", "environment", "model")


def asr_error_sections(campaigns: list, *, recording_ids: Collection[int]) -> list[dict]:
    """Draft-vs-final WER/CER with 95% bootstrap intervals per group, one section per campaign.

    Rows come from labelhub.analytics, so the datasheet and the dashboard never disagree.
    """
    wanted = set(recording_ids)
    sections = []
    for campaign in campaigns:
        figures = datasheet_figures(campaign=campaign, recording_ids=wanted)
        tables = {
            dimension: figures["asr_error"][dimension]
            for dimension in ERROR_DIMENSIONS
            if figures["asr_error"].get(dimension)
        }
        sections.append(
            {"campaign": campaign.name, "headline": figures["headline_unit"], "tables": tables}
        )
    return sections


def _rate(row: dict, unit: str) -> str:
    value = row.get(f"{unit}_percent")
    if value is None:
        return "n/a"
    return f"{value:g}% [{row[f'{unit}_ci_low']:g}-{row[f'{unit}_ci_high']:g}]"


def _asr_error_markdown(sections: list[dict]) -> list[str]:
    lines = [
        "### ASR draft error by group",
        "",
        "Whisper draft against the final transcript: corpus WER and CER (percent) with 95% "
        "bootstrap intervals over clips.",
        "",
    ]
    for section in sections:
        for dimension, rows in section["tables"].items():
            lines += [f"#### {section['campaign']}: by {dimension.replace('_', ' ')}", ""]
            lines += [f"| {dimension} | clips | WER % [95% CI] | CER % [95% CI] |"]
            lines += ["|---|---:|---:|---:|"]
            lines += [
                f"| {row['group']} | {row['clips']} | {_rate(row, 'wer')} | {_rate(row, 'cer')} |"
                for row in rows
            ]
            lines.append("")
    return lines


def datasheet_context(
    *, release: Release, stats: DatasheetStats, spec: dict, changes: dict, campaigns: list
) -> dict:
    """Everything the Markdown and HTML datasheets show, as plain data."""
    dimensions = ["age band", "gender", "dialect", "environment", "region"]
    return {
        "title": f"{release.campaign.name} — release v{release.label}",
        "release": release,
        "campaigns": campaigns,
        "spec": spec,
        "stats": stats,
        "hours_total": round(stats.seconds / 3600, 3),
        "splits": [
            (
                split,
                stats.split_items[split],
                len(stats.split_speakers[split]),
                round(stats.split_seconds[split] / 3600, 3),
            )
            for split in sorted(stats.split_items)
        ],
        "tables": {name: _demographic_rows(stats, name) for name in dimensions},
        "hours": {name: _hours_rows(stats.hours[name]) for name in dimensions},
        "durations": [
            (label, stats.durations.get(label, 0))
            for label in [_duration_bin(low) for low in DURATION_BINS]
        ],
        "consents": sorted(stats.consents.items()),
        "consent_scopes": stats.consent_scopes,
        "signers": sorted(stats.signers.items()),
        "channels": sorted(stats.channels.items()),
        "qa": qa_figures(stats),
        "limitations": limitations(stats),
        "changes": changes,
        "audio_note": audio_note(spec),
        "spreadsheet_rule": SPREADSHEET_RULE,
    }


def audio_note(spec: dict) -> str:
    """How this release ships its audio, from the spec (older specs predate both options)."""
    if spec.get("audio_format") == "flac":
        note = _(
            "Audio ships as FLAC, losslessly encoded from the normalised WAV: decoding gives "
            "the same samples."
        )
    else:
        note = _("Audio ships as the normalised WAV.")
    if spec.get("include_originals"):
        note += " " + _(
            "The original uploads ship byte for byte under originals/<speaker>/ (see "
            "original_path in manifest.jsonl)."
        )
    return note


def datasheet_markdown(context: dict) -> str:
    lines = [f"# Datasheet: {context['title']}", ""]
    lines += _motivation_markdown(context)
    lines += _composition_markdown(context)
    lines += _collection_markdown(context)
    lines += _consent_markdown(context)
    lines += _labeling_markdown(context)
    if "terms" in context:  # set by the release build; a preview of the figures alone has none
        lines += terms_markdown(context)
    lines += _changes_markdown(context["changes"])
    lines += ["", "## Known limitations", ""]
    lines += [f"- {note}" for note in context["limitations"]]
    return "\n".join(lines) + "\n"


def _motivation_markdown(context: dict) -> list[str]:
    lines = ["## Motivation", ""]
    for campaign in context["campaigns"]:
        purpose = " ".join((campaign.description or "not stated").split())
        lines.append(f"- Campaign **{campaign.name}** ({campaign.language}): {purpose}")
    lines.append(
        f"- Created for client organisation **{context['release'].client.name}** by LabelHub."
    )
    return lines


def _composition_markdown(context: dict) -> list[str]:
    release, stats = context["release"], context["stats"]
    lines = [
        "",
        "## Composition",
        "",
        f"{stats.items} utterances, {len(stats.speakers)} speakers, "
        f"{context['hours_total']} hours. Splits are speaker-disjoint and stratified by "
        f"demographic cell (seed {release.seed}, ratios {json.dumps(release.split_ratios)}).",
        "",
        "| split | items | speakers | hours |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {s} | {n} | {spk} | {h} |" for s, n, spk, h in context["splits"]]
    lines += split_report_markdown(context.get("split_report"))
    lines += ["", "### Demographics", ""]
    for name, rows in context["tables"].items():
        lines += [f"#### By {name}", "", f"| {name} | speakers | clips | hours |"]
        lines += ["|---|---:|---:|---:|"]
        lines += [f"| {label} | {spk} | {n} | {h} |" for label, spk, n, h in rows] + [""]
    lines += ["### Duration histogram", "", "| duration | items |", "|---|---:|"]
    lines += [f"| {label} | {n} |" for label, n in context["durations"]]
    return lines


def _collection_markdown(context: dict) -> list[str]:
    stats = context["stats"]
    return [
        "",
        "## Collection process",
        "",
        "Speakers recorded prompted or spontaneous speech through LabelHub's recorder or "
        "uploads; every file was normalised to 16 kHz mono WAV and checked at ingest "
        "(duration, level, clipping). "
        f"{context['audio_note']} "
        f"Recorded between {stats.first_day} and {stats.last_day}; collection channels: "
        + ", ".join(f"{name} ({n})" for name, n in sorted(stats.channels.items()))
        + ". Release filters (the spec):",
        "",
        "```json",
        _json(context["spec"]),
        "```",
    ]


def _consent_markdown(context: dict) -> list[str]:
    lines = [
        "",
        "## Consent basis and scope",
        "",
        "Every item has a signed consent record that allows delivery to third-party clients; "
        "no item of a withdrawn speaker or an excluded clip is included.",
        "",
        "| consent document | items | scope |",
        "|---|---:|---|",
    ]
    lines += [f"| {d} | {n} | {context['consent_scopes'][d]} |" for d, n in context["consents"]]
    lines += ["", "Signed by: " + ", ".join(f"{s} ({n})" for s, n in context["signers"]), ""]
    return lines


def _labeling_markdown(context: dict) -> list[str]:
    lines = ["## Labeling process and QA", ""]
    lines += [
        "Each clip got an ASR draft, a transcript by a trained labeler and, when sampled, a "
        "review. Only the newest human revision ships. " + context["spreadsheet_rule"],
        "",
        "| figure | value |",
        "|---|---:|",
    ]
    lines += [f"| {key.replace('_', ' ')} | {_fmt(v)} |" for key, v in context["qa"].items()]
    lines += [""] + _asr_error_markdown(context.get("asr_error", []))
    lines.append("")
    return lines


def _changes_markdown(changes: dict) -> list[str]:
    lines = ["## Changes from the previous version", ""]
    if changes.get("against_version") is None:
        lines.append("First version: every item is new.")
    else:
        lines.append(
            f"Against v{changes['against_version']}: {len(changes['added'])} added, "
            f"{len(changes['removed'])} removed, {len(changes['changed'])} changed, "
            f"{len(changes.get('moved', []))} moved between splits."
        )
        reasons = Counter(row["reason"] for row in changes["removed"])
        lines += [f"- removed, {reason}: {n}" for reason, n in sorted(reasons.items())]
        lines.append("- item by item: see `release.json` (`changelog`).")
    return lines


def split_report_markdown(report: dict | None) -> list[str]:
    """The splits' history and their overlap, per split pair, in speakers and sentences."""
    if report is None:
        return []
    lines = ["", "### Splits across versions", ""]
    if report["resplit"]:
        resplit = report["resplit"]
        lines.append(
            f"Re-split in this version: every speaker was assigned afresh, asked by "
            f"{resplit['by']} on {resplit['at'][:10]}, because: {resplit['reason']}"
        )
    else:
        lines.append(
            "Every speaker keeps the split they were first given in this dataset; only speakers "
            "new to it were assigned."
        )
    sentences = report["sentence_disjoint"]
    if sentences["made"]:
        lines.append("Splits are sentence-disjoint: no prompt text is read in two splits.")
    elif sentences["note"]:
        lines.append(
            "Splits could not be made sentence-disjoint as well as speaker-disjoint "
            f"({sentences['note']}): speakers stay disjoint, and prompts may repeat across splits."
        )
    lines += ["", "| split pair | speakers in both | sentences in both |", "|---|---:|---:|"]
    lines += [
        f"| {pair} | {row['speakers']} | {row['sentences']} |"
        for pair, row in report["overlap"].items()
    ]
    return lines


def datasheet_html(context: dict) -> tuple[str, str, dict[str, str]]:
    """(English fragment for the portal, standalone English document for the archive, the
    fragment in every other UI language)."""
    with translation.override("en"):
        fragment = _fragment(context)
        document = render_to_string(
            "releases/datasheet_document.html", {"title": context["title"], "body": fragment}
        )
    others = {}
    for language, _name in settings.LANGUAGES:
        if language != "en":
            with translation.override(language):
                others[language] = _fragment(context)
    return fragment, document, others


def _fragment(context: dict) -> str:
    """The HTML datasheet in the active language (notes are said again in it)."""
    shown = display_context(context)
    note = audio_note(context["spec"])
    if context.get("long_form_sources"):
        note += " " + long_form_note(context["long_form_sources"])
    shown |= {
        "charts": chart_svgs(context, shown["value_labels"]),
        "audio_note": note,
        "limitations": limitations(context["stats"], labels=shown["value_labels"]),
        "spreadsheet_rule": _(SPREADSHEET_RULE),
    }
    return render_to_string("releases/datasheet_fragment.html", context | shown)


def long_form_note(sources: int) -> str:
    return _(
        "Some utterances are segments of %(sources)d long-form source recording(s), each cut "
        "sample-exactly from its source (source_id, source_start and source_end in "
        "manifest.jsonl). Each source also ships once, whole, under sources/ for Kaldi's "
        "segments file, silent outside this release's segments; transcripts/ holds its "
        "segments as WebVTT and Praat TextGrid. Hours count the segments, not the sources."
    ) % {"sources": sources}


def _json(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)


def _fmt(value: object) -> str:
    return "n/a" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
