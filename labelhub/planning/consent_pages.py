"""The PM's consent editor under /campaigns/<id>/consent/: write, version, preview, translate.

Thin like views.py: a form parses, labelhub.speakers.services decides. A changed text is always
a new version (speakers who signed an older one keep theirs); a translation shares its
original's version number.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from labelhub.accounts.permissions import pm_required
from labelhub.campaigns.models import Campaign
from labelhub.campaigns.pages import campaign_for_page
from labelhub.errors import DomainError
from labelhub.pages import refusal_message
from labelhub.planning.forms import ConsentDocumentForm, ConsentTranslationForm
from labelhub.speakers.consent_text import consent_paragraphs
from labelhub.speakers.models import ConsentDocument
from labelhub.speakers.recorder import language_name
from labelhub.speakers.selectors import consent_versions
from labelhub.speakers.services import (
    SCOPE_FIELDS,
    consent_document_create,
    consent_document_translate,
    consent_document_unchanged,
)


def _document(campaign: Campaign, document_id: int) -> ConsentDocument:
    document = campaign.consent_documents.filter(pk=document_id).first()
    if document is None:
        raise Http404
    return document


def _add_errors(form: BaseForm, error: Exception) -> None:
    """A service's refusal shown on the form: per field where it names one."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, refusal_message(error))


def _initial(campaign: Campaign) -> dict:
    """The newest text in the campaign's language, to edit into the next version."""
    latest = (
        campaign.consent_documents.filter(language=campaign.language).first()
        or campaign.consent_documents.first()
    )
    if latest is None:
        return {"language": campaign.language}
    fields = ("title", "language", "text", *SCOPE_FIELDS)
    return {field: getattr(latest, field) for field in fields}


def _save_version(request: HttpRequest, campaign: Campaign, form: ConsentDocumentForm) -> bool:
    data = form.cleaned_data
    unchanged = consent_document_unchanged(campaign=campaign, **data)
    if unchanged is not None:
        messages.info(
            request,
            _("Nothing changed: version %(version)d stays the current text.")
            % {"version": unchanged.version},
        )
        return True
    try:
        document = consent_document_create(campaign=campaign, **data)
    except (DomainError, ValidationError) as error:
        _add_errors(form, error)
        return False
    messages.success(
        request,
        _("Consent version %(version)d saved (%(language)s).")
        % {"version": document.version, "language": language_name(document.language)},
    )
    return True


@require_http_methods(["GET", "POST"])
@pm_required
def consent_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = campaign_for_page(request, campaign_id)
    if request.method == "POST":
        form = ConsentDocumentForm(request.POST, campaign=campaign)
        if form.is_valid() and _save_version(request, campaign, form):
            return redirect("campaigns:consent", campaign_id=campaign.pk)
    else:
        form = ConsentDocumentForm(initial=_initial(campaign), campaign=campaign)
    context = {
        "campaign": campaign,
        "form": form,
        "versions": consent_versions(campaign=campaign),
        "editable": campaign.status != Campaign.Status.CLOSED,
    }
    return render(request, "campaigns/consent.html", context, status=400 if form.errors else 200)


@require_GET
@pm_required
def consent_preview_page(request: HttpRequest, campaign_id: int, document_id: int) -> HttpResponse:
    campaign = campaign_for_page(request, campaign_id)
    document = _document(campaign, document_id)
    shown = {
        "language": document.language,
        "title": document.title,
        "version": document.version,
        "paragraphs": consent_paragraphs(document.text),
    }
    context = {
        "campaign": campaign,
        "document": shown,
        "original": document,
        "signed_count": document.records.count(),
    }
    return render(request, "campaigns/consent_preview.html", context)


@require_http_methods(["GET", "POST"])
@pm_required
def consent_translate_page(
    request: HttpRequest, campaign_id: int, document_id: int
) -> HttpResponse:
    campaign = campaign_for_page(request, campaign_id)
    document = _document(campaign, document_id)
    form = ConsentTranslationForm(request.POST or None, document=document)
    if request.method == "POST" and form.is_valid():
        try:
            translation = consent_document_translate(document=document, **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("Translation saved: version %(version)d in %(language)s.")
                % {
                    "version": translation.version,
                    "language": language_name(translation.language),
                },
            )
            return redirect("campaigns:consent", campaign_id=campaign.pk)
    context = {"campaign": campaign, "original": document, "form": form}
    status = 400 if form.errors else 200
    return render(request, "campaigns/consent_translate.html", context, status=status)
