"""The PM's pages for long-form sources: upload one, and follow its ingest and segmentation.

Mounted under /campaigns/<id>/sources/. Thin: the form parses, recording_collect decides.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from labelhub.accounts.permissions import pm_required, signed_in_user
from labelhub.accounts.throttles import throttle_page
from labelhub.campaigns.models import Campaign, CollectionChannel, RecordingEnvironment
from labelhub.campaigns.pages import campaign_for_page
from labelhub.errors import DomainError
from labelhub.planning.pages import refusal_text
from labelhub.recordings.audio import SOURCE_SUFFIXES, AudioRejected
from labelhub.recordings.models import Recording
from labelhub.recordings.services import recording_collect
from labelhub.speakers.models import Speaker

SOURCES_REFRESH_SECONDS = 5
# Shown in the upload form's file picker; the server checks the container itself.
SOURCE_ACCEPT = ",".join(sorted(SOURCE_SUFFIXES))


class SourceUploadForm(forms.Form):
    speaker = forms.ModelChoiceField(
        label=gettext_lazy("Speaker (the consenting party)"), queryset=Speaker.objects.none()
    )
    environment = forms.ModelChoiceField(
        label=gettext_lazy("Environment"),
        queryset=RecordingEnvironment.objects.none(),
        required=False,
    )
    channel = forms.ModelChoiceField(
        label=gettext_lazy("Channel"), queryset=CollectionChannel.objects.none(), required=False
    )
    file = forms.FileField(
        label=gettext_lazy("Audio or video file"),
        widget=forms.ClearableFileInput(attrs={"accept": SOURCE_ACCEPT}),
    )

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: dict[str, QuerySet[Any]] = {
            "speaker": campaign.speakers.filter(withdrawn_at__isnull=True),
            "environment": campaign.environments.all(),
            "channel": campaign.channels.all(),
        }
        for name, queryset in choices.items():
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = queryset


def sources_of(campaign: Campaign) -> QuerySet[Recording]:
    """The campaign's long-form sources, newest first, with their segment counts."""
    live = Q(segments__status=Recording.Status.READY)
    return (
        Recording.objects.filter(campaign=campaign, kind=Recording.Kind.SOURCE)
        .select_related("speaker")
        .annotate(
            segment_count=Count("segments", filter=live),
            approved_count=Count("segments", filter=live & Q(segments__task__status="approved")),
        )
        .order_by("-created_at")
    )


def source_is_working(source: Recording) -> bool:
    if source.status == Recording.Status.RECEIVED:
        return True
    running = (Recording.AsrStatus.PENDING, Recording.AsrStatus.RUNNING)
    return source.status == Recording.Status.READY and source.asr_status in running


@require_GET
@pm_required
def sources_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = campaign_for_page(request, campaign_id)
    return _render(request, campaign, SourceUploadForm(campaign=campaign))


def _render(request: HttpRequest, campaign: Campaign, form: SourceUploadForm) -> HttpResponse:
    sources = list(sources_of(campaign))
    context = {
        "campaign": campaign,
        "form": form,
        "sources": sources,
        "working": any(source_is_working(source) for source in sources),
        "refresh_seconds": SOURCES_REFRESH_SECONDS,
        "collecting": campaign.status == Campaign.Status.ACTIVE,
    }
    return render(request, "campaigns/sources.html", context)


@require_POST
@pm_required
@throttle_page("upload")
def source_upload_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = campaign_for_page(request, campaign_id)
    form = SourceUploadForm(request.POST, request.FILES, campaign=campaign)
    if not campaign.is_long_form:
        messages.error(
            request, _("This campaign collects short utterances, not long-form sources.")
        )
        return redirect("campaigns:detail", campaign_id=campaign.pk)
    if not form.is_valid():
        return _render(request, campaign, form)
    data = form.cleaned_data
    try:
        source = recording_collect(
            speaker=data["speaker"],
            uploaded_file=data["file"],
            uploaded_by=signed_in_user(request),
            environment=data["environment"],
            channel=data["channel"],
        )
    except (DomainError, AudioRejected) as error:  # refused before anything was stored
        form.add_error("file", refusal_text(error))
        return _render(request, campaign, form)
    messages.success(
        request,
        _("%(name)s was stored; a worker now decodes and segments it.")
        % {"name": source.original_filename},
    )
    return redirect("campaigns:sources", campaign_id=campaign.pk)
