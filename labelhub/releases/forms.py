from django import forms
from django.utils.translation import gettext_lazy as _

from labelhub.accounts.models import Organisation
from labelhub.campaigns.demographics import AgeBand, Gender, dialect_choices_for
from labelhub.campaigns.labels import cell_label
from labelhub.campaigns.models import Campaign, QuotaCell, SpeechStyle
from labelhub.campaigns.quota_cells import cell_value_labels
from labelhub.releases.spec import WrongClient, campaigns_client_check


def _words(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


class CampaignScopedCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes that name the campaigns each choice belongs to (data-campaigns), so the
    page's script can offer only the chosen campaigns' cells and dialects."""

    def __init__(self, *args, scopes: dict[str, list[int]] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.scopes = scopes or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        campaigns = self.scopes.get(str(value), [])
        option["attrs"]["data-campaigns"] = " ".join(str(pk) for pk in campaigns)
        return option


def cell_choices() -> tuple[list, dict[str, list[int]]]:
    """Quota cells grouped by their campaign's name, labelled as the campaign page shows them
    ("20대 · 여성 · 제주 방언"), and each cell's campaign."""
    groups: list[tuple[str, list[tuple[int, str]]]] = []
    scopes: dict[str, list[int]] = {}
    campaigns = Campaign.objects.prefetch_related("quota_cells").order_by("name", "pk")
    for campaign in campaigns:
        cells = sorted(campaign.quota_cells.all(), key=lambda cell: cell.pk)
        if not cells:
            continue
        labels = cell_value_labels(campaign)
        groups.append((campaign.name, [(cell.pk, cell_label(cell, labels)) for cell in cells]))
        scopes |= {str(cell.pk): [campaign.pk] for cell in cells}
    return groups, scopes


def dialect_choices() -> tuple[list[tuple[str, str]], dict[str, list[int]]]:
    """Every campaign's planned dialects with their labels, and which campaigns plan each."""
    labels: dict[str, str] = {}
    scopes: dict[str, list[int]] = {}
    for campaign in Campaign.objects.order_by("pk"):
        for code, label in dialect_choices_for(campaign):
            labels.setdefault(code, str(label))
            scopes.setdefault(code, []).append(campaign.pk)
    return sorted(labels.items(), key=lambda pair: pair[1]), scopes


class ReleaseSpecForm(forms.Form):
    """The PM's release spec as a page form; releases.spec checks it the same way as the API."""

    campaign = forms.ModelChoiceField(Campaign.objects.all(), label=_("Campaign"))
    client = forms.ModelChoiceField(
        Organisation.objects.filter(kind=Organisation.Kind.CLIENT),
        label=_("Client"),
        required=False,
        help_text=_("Blank: the campaign's client."),
    )
    extra_campaigns = forms.ModelMultipleChoiceField(
        Campaign.objects.all(), label=_("Extra campaigns pooled in"), required=False
    )
    quota_cells = forms.TypedMultipleChoiceField(coerce=int, label=_("Quota cells"), required=False)
    age_bands = forms.MultipleChoiceField(
        choices=AgeBand.choices,
        label=_("Age bands"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    genders = forms.MultipleChoiceField(
        choices=Gender.choices,
        label=_("Genders"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    speech_styles = forms.MultipleChoiceField(
        choices=SpeechStyle.choices,
        label=_("Speech styles"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    dialects = forms.MultipleChoiceField(
        label=_("Dialects"),
        required=False,
        help_text=_("Offered from the chosen campaigns' dialect lists."),
    )
    regions = forms.CharField(label=_("Regions (comma-separated)"), required=False)
    recorded_from = forms.DateField(label=_("Recorded from"), required=False)
    recorded_to = forms.DateField(label=_("Recorded until"), required=False)
    approved_only = forms.BooleanField(
        label=_("Approved transcripts only"), required=False, initial=True
    )
    exclude_quality_flags = forms.CharField(
        label=_("Leave out quality flags (comma-separated, * for any)"), required=False
    )
    min_duration = forms.FloatField(label=_("Shortest clip (s)"), required=False, min_value=0)
    max_duration = forms.FloatField(label=_("Longest clip (s)"), required=False, min_value=0)
    max_draft_wer = forms.FloatField(
        label=_("Highest draft-vs-final WER"), required=False, min_value=0
    )
    keep_test_set = forms.BooleanField(
        label=_("Keep the previous version's test speakers in test"), required=False
    )
    audio_format = forms.ChoiceField(
        label=_("Audio format"),
        choices=[("wav", _("WAV (16 kHz mono)")), ("flac", _("FLAC (lossless, smaller)"))],
        initial="wav",
        required=False,  # a form posted without it (an older page, a script) gets the default
    )
    include_originals = forms.BooleanField(
        label=_("Also include the original uploads"), required=False
    )
    train = forms.FloatField(label=_("Train share"), initial=0.8, min_value=0)
    dev = forms.FloatField(label=_("Dev share"), initial=0.1, min_value=0)
    test = forms.FloatField(label=_("Test share"), initial=0.1, min_value=0)
    seed = forms.IntegerField(label=_("Seed"), initial=0, min_value=0)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, (choices, scopes) in (
            ("quota_cells", cell_choices()),
            ("dialects", dialect_choices()),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            # The widget first: setting a field's choices hands them to its current widget.
            field.widget = CampaignScopedCheckboxes(scopes=scopes)
            field.choices = choices

    def clean(self) -> dict:
        # The same check as release_create, so the page names the wrong client on its field.
        super().clean()
        data = self.cleaned_data
        campaign, client = data.get("campaign"), data.get("client")
        if campaign is not None and client is not None:
            try:
                campaigns_client_check(campaigns=[campaign], client=client)
            except WrongClient as error:
                self.add_error("client", error.message)
        if campaign is not None:
            self._check_scoped(campaign, data)
        return data

    def _check_scoped(self, campaign: Campaign, data: dict) -> None:
        """Cells and dialects must belong to the release's campaigns, named on their field."""
        campaigns = [campaign, *data.get("extra_campaigns", [])]
        ids = {chosen.pk for chosen in campaigns}
        cells = data.get("quota_cells") or []
        if QuotaCell.objects.filter(pk__in=cells, campaign__in=ids).count() != len(set(cells)):
            self.add_error("quota_cells", _("Choose cells of the release's campaigns only."))
        planned = {code for chosen in campaigns for code, _label in dialect_choices_for(chosen)}
        stray = [code for code in data.get("dialects") or [] if code not in planned]
        if stray:
            self.add_error(
                "dialects",
                _("Not a dialect of the release's campaigns: %(codes)s")
                % {"codes": ", ".join(stray)},
            )

    def spec(self) -> dict:
        data = self.cleaned_data
        spec = {
            "extra_campaigns": [c.pk for c in data["extra_campaigns"]],
            "quota_cells": data["quota_cells"],
            "age_bands": data["age_bands"],
            "genders": data["genders"],
            "speech_styles": data["speech_styles"],
            "dialects": data["dialects"],
            "regions": _words(data["regions"]),
            "approved_only": data["approved_only"],
            "exclude_quality_flags": _words(data["exclude_quality_flags"]),
            "keep_test_set": data["keep_test_set"],
            "audio_format": data["audio_format"] or "wav",
            "include_originals": data["include_originals"],
        }
        for key in ("recorded_from", "recorded_to"):
            if data[key]:
                spec[key] = data[key].isoformat()
        for key in ("min_duration", "max_duration", "max_draft_wer"):
            if data[key] is not None:
                spec[key] = data[key]
        return spec

    def split_ratios(self) -> dict[str, float]:
        ratios = {name: self.cleaned_data[name] for name in ("train", "dev", "test")}
        return {name: share for name, share in ratios.items() if share > 0}
