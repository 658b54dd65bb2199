"""Forms of the PM pages. They parse input; the services decide what is allowed."""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from labelhub.accounts.models import Organisation
from labelhub.campaigns.demographics import (
    AgeBand,
    Choices,
    Gender,
    dialect_choices_for,
    region_choices_for,
)
from labelhub.campaigns.models import (
    DEFAULT_DATASET_LICENSE,
    Campaign,
    CollectionChannel,
    LegalReview,
    QuotaCell,
    RecordingEnvironment,
    SpeechStyle,
)
from labelhub.speakers.models import ConsentDocument

if TYPE_CHECKING:  # django-stubs' helper type; not installed at run time
    from django_stubs_ext import StrOrPromise


def _choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """The form's field `name`, whose choices (or queryset) an __init__ sets per campaign."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


def _model_choice_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    return field


class LinesField(forms.Field):
    """A list of names typed one per line."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value: object) -> object:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: object) -> list[str]:
        lines = (str(value or "")).splitlines()
        return [line.strip() for line in lines if line.strip()]


# Long-form settings: left empty (or not sent, as older forms and scripts do), each keeps the
# model's default, so an utterance campaign's form needs none of them.
LONG_FORM_FIELDS = (
    "collection_mode",
    "max_source_seconds",
    "segment_min_seconds",
    "segment_max_seconds",
    "segment_target_seconds",
)
TRANSCRIPT_POLICY_FIELDS = (
    "transcript_casing",
    "transcript_final_punctuation",
    "transcript_numbers",
)
# Fields added after the form's first clients: left out of a post, they keep the campaign's
# value (or the model's default) instead of failing the whole plan.
DEFAULTED_FIELDS = LONG_FORM_FIELDS + TRANSCRIPT_POLICY_FIELDS


class CampaignForm(forms.ModelForm):
    dialect_choices = LinesField(
        label=_("dialects"),
        required=False,
        help_text=_("One per line. Empty: the language's default list."),
    )
    region_choices = LinesField(
        label=_("regions"),
        required=False,
        help_text=_("One per line. Empty: the language's default list."),
    )

    class Meta:
        model = Campaign
        fields = [
            "name",
            "client",
            "language",
            "locale",
            "description",
            "parent",
            "deadline",
            "target_hours",
            "min_seconds",
            "max_seconds",
            "target_seconds",
            "collection_mode",
            "max_source_seconds",
            "segment_min_seconds",
            "segment_max_seconds",
            "segment_target_seconds",
            "convention",
            "transcript_casing",
            "transcript_final_punctuation",
            "transcript_numbers",
            "dataset_license",
            "terms_of_use",
            "age_of_consent",
            "dialect_choices",
            "region_choices",
            "review_share",
            "double_transcription_share",
            "asr_detect_language",
            "asr_initial_prompt",
            "asr_beam_size",
            "asr_vad_filter",
        ]
        # The model's client field has no verbose name of its own (its label would stay English).
        labels = {"client": _("client")}
        widgets = {
            "deadline": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 3}),
            "asr_initial_prompt": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_choice_field(self, "client").queryset = Organisation.objects.filter(
            kind=Organisation.Kind.CLIENT
        )
        # Left empty, the licence is the model's default rather than a form error.
        self.fields["dataset_license"].required = False
        parents = Campaign.objects.all()
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        _model_choice_field(self, "parent").queryset = parents
        for name in DEFAULTED_FIELDS:
            self.fields[name].required = False

    def clean(self) -> dict:
        super().clean()
        cleaned = self.cleaned_data
        for name in DEFAULTED_FIELDS:
            if cleaned.get(name) in (None, ""):
                current = getattr(self.instance, name, None) if self.instance.pk else None
                model_field = Campaign._meta.get_field(name)
                assert isinstance(model_field, models.Field)  # a column, not a relation
                cleaned[name] = current or model_field.get_default()
        return cleaned

    def _post_clean(self) -> None:
        # The service validates the whole plan (and created_by is not known here yet).
        pass

    def clean_dataset_license(self) -> str:
        return self.cleaned_data["dataset_license"].strip() or DEFAULT_DATASET_LICENSE


class LegalReviewForm(forms.ModelForm):
    class Meta:
        model = LegalReview
        fields = [
            "consent_text_reviewed",
            "retention_period_set",
            "purpose_stated",
            "third_party_delivery_stated",
            "minors_policy",
            "notes",
        ]
        widgets = {
            "minors_policy": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }


def _any(choices: Sequence[tuple[str, "StrOrPromise"]]) -> Choices:
    return [("", _("any")), *choices]


class QuotaCellForm(forms.Form):
    age_band = forms.ChoiceField(label=_("age band"), required=False)
    gender = forms.ChoiceField(label=_("gender"), required=False)
    region = forms.ChoiceField(label=_("region"), required=False)
    dialect = forms.ChoiceField(label=_("dialect"), required=False)
    speech_style = forms.ChoiceField(label=_("speech style"), required=False)
    target_clips = forms.IntegerField(label=_("target clips"), min_value=0, initial=0)
    target_minutes = forms.FloatField(label=_("target minutes"), min_value=0, initial=0)
    target_speakers = forms.IntegerField(label=_("target speakers"), min_value=0, initial=0)
    max_minutes_per_speaker = forms.FloatField(
        label=QuotaCell._meta.get_field("max_minutes_per_speaker").verbose_name,
        min_value=0.1,
        required=False,
    )

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "age_band").choices = _any(AgeBand.choices)
        _choice_field(self, "gender").choices = _any(Gender.choices)
        _choice_field(self, "region").choices = _any(region_choices_for(campaign))
        _choice_field(self, "dialect").choices = _any(dialect_choices_for(campaign))
        _choice_field(self, "speech_style").choices = _any(SpeechStyle.choices)


class EnvironmentForm(forms.ModelForm):
    class Meta:
        model = RecordingEnvironment
        fields = ["kind", "name", "noise_level", "microphone", "notes"]
        widgets = {"notes": forms.TextInput()}


class ChannelForm(forms.ModelForm):
    class Meta:
        model = CollectionChannel
        fields = ["kind", "name", "source_url", "licence"]


class PromptImportForm(forms.Form):
    file = forms.FileField(
        label=_("Script file (.csv or .txt, UTF-8)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv,text/plain"}),
    )


class InviteForm(forms.Form):
    count = forms.IntegerField(label=_("Number of links"), min_value=1, max_value=200)
    speaker_code = forms.CharField(
        label=_("Speaker code"),
        max_length=32,
        required=False,
        help_text=_("Optional: the studio's own code for one person (then one link)."),
    )
    channel = forms.ModelChoiceField(
        label=_("Collection channel"),
        queryset=CollectionChannel.objects.none(),
        required=False,
    )

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"count": 1})
        super().__init__(*args, **kwargs)
        _model_choice_field(self, "channel").queryset = campaign.channels.all()


class BulkUploadForm(forms.Form):
    archive = forms.FileField(
        label=_("Studio archive (.zip)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )


def consent_language_choices(campaign: Campaign) -> list[tuple[str, str]]:
    """The site's languages, and the campaign's own when the site has no such one."""
    choices = [(code, str(name)) for code, name in settings.LANGUAGES]
    primary = campaign.language.split("-")[0].lower()
    if primary not in {code for code, _name in choices}:
        choices.insert(0, (campaign.language, campaign.language))
    return choices


class ConsentDocumentForm(forms.ModelForm):
    """A new consent version: what the speaker reads, in one language, and what it allows."""

    language = forms.ChoiceField(label=_("language"))

    class Meta:
        model = ConsentDocument
        fields = [
            "title",
            "language",
            "text",
            "allows_training",
            "allows_third_party_delivery",
            "allows_commercial_use",
            "retention_days",
        ]
        widgets = {"text": forms.Textarea(attrs={"rows": 14})}
        help_texts = {
            "text": _("A blank line starts a new paragraph; numbered items start on their own."),
        }

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "language").choices = consent_language_choices(campaign)
        # Zero days would promise to delete the audio before anyone could label it.
        self.fields["retention_days"].validators.append(MinValueValidator(1))
        self.fields["retention_days"].widget.attrs["min"] = 1

    def _post_clean(self) -> None:
        # The service numbers the version and validates the whole document.
        pass


class ConsentTranslationForm(forms.Form):
    language = forms.ChoiceField(label=_("language"))
    title = forms.CharField(label=_("title"), max_length=200)
    text = forms.CharField(label=_("full text"), widget=forms.Textarea(attrs={"rows": 14}))

    def __init__(self, *args: Any, document: ConsentDocument, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        taken = set(
            document.campaign.consent_documents.filter(version=document.version).values_list(
                "language", flat=True
            )
        )
        _choice_field(self, "language").choices = [
            (code, name)
            for code, name in consent_language_choices(document.campaign)
            if code not in taken
        ]
