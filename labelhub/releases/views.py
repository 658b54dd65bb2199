"""The delivery portal: clients see their organisation's releases, PMs see and manage all."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from rest_framework.authtoken.models import Token

from labelhub.accounts.permissions import pm_required, portal_user_required, signed_in_user
from labelhub.errors import DomainError
from labelhub.pages import flash_outcome
from labelhub.releases.delivery import (
    ReleaseSuperseded,
    download_url_make,
    release_ensure_not_superseded,
)
from labelhub.releases.formatting import duration_text
from labelhub.releases.forms import ReleaseSpecForm
from labelhub.releases.models import Release
from labelhub.releases.preview import release_preview
from labelhub.releases.reissue import removal_rows
from labelhub.releases.rendition_services import rendition_key_check, rendition_request
from labelhub.releases.renditions import AUDIO_FORMATS, EXTRA_FORMATS
from labelhub.releases.selectors import (
    release_change_counts,
    release_changes,
    release_downloads,
    release_rendition,
    release_withdrawn_items,
    releases_visible_to,
)
from labelhub.releases.services import (
    api_token_rotate,
    release_create,
    release_ensure_deliverable,
    release_ensure_downloadable,
    release_revoke,
)

CHANGES_SHOWN = 100


def _release(request: HttpRequest, release_id: int) -> Release:
    return get_object_or_404(releases_visible_to(user=signed_in_user(request)), pk=release_id)


@require_GET
@portal_user_required
def portal_index(request: HttpRequest) -> HttpResponse:
    token = Token.objects.filter(user=signed_in_user(request)).first()
    return render(
        request,
        "releases/portal_index.html",
        {"releases": releases_visible_to(user=signed_in_user(request)), "token": token},
    )


@require_GET
@portal_user_required
def portal_detail(request: HttpRequest, release_id: int) -> HttpResponse:
    release = _release(request, release_id)
    context = {
        "release": release,
        "change_counts": release_change_counts(release=release),
        "changes": release_changes(release=release)[:CHANGES_SHOWN],
        "withdrawn": release_withdrawn_items(release=release).order_by("path")[:CHANGES_SHOWN],
        "removals": removal_rows(release=release)[:CHANGES_SHOWN],
        "downloads": release_downloads(release=release)[:200]
        if signed_in_user(request).is_pm
        else None,
        "renditions": release.renditions.all(),
        "audio_formats": AUDIO_FORMATS,
        "extra_formats": EXTRA_FORMATS,
    }
    return render(request, "releases/portal_detail.html", context)


@require_GET
@portal_user_required
def portal_datasheet(request: HttpRequest, release_id: int) -> HttpResponse:
    release = _release(request, release_id)
    try:
        release_ensure_deliverable(release=release)
        release_ensure_not_superseded(release=release)  # it may quote the withdrawn speaker
    except ReleaseSuperseded as error:
        return _superseded(request, release, error)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("portal-detail", release_id=release.pk)
    return render(
        request,
        "releases/portal_datasheet.html",
        {"release": release, "datasheet": _datasheet_in_ui_language(release)},
    )


def _datasheet_in_ui_language(release: Release) -> str:
    """The datasheet fragment in the page's language; English (the archive's) otherwise, and
    for releases built before the datasheet was rendered in more than one language."""
    translated = (release.build_facts or {}).get("datasheet_html") or {}
    return translated.get(get_language().split("-")[0]) or release.datasheet_html


@require_GET
@portal_user_required
def portal_download(request: HttpRequest, release_id: int) -> HttpResponse:
    """Sends the browser to a fresh signed link to one rendition (``?rendition=``, default: the
    version's default), so the download can resume without the page."""
    release = _release(request, release_id)
    key = request.GET.get("rendition", "").replace(" ", "+")
    try:
        release_ensure_downloadable(release=release)
        if key:
            rendition_key_check(key)
        release_rendition(release=release, key=key)
    except ReleaseSuperseded as error:
        return _superseded(request, release, error)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("portal-detail", release_id=release.pk)
    path, _ttl = download_url_make(
        release=release, user_id=signed_in_user(request).pk, rendition=key
    )
    return redirect(path)


def _superseded(request: HttpRequest, release: Release, error: ReleaseSuperseded) -> HttpResponse:
    """410, like the API: the archive is gone for good, and the page links its re-issue."""
    context = {"release": release, "message": error.message, "replacement": release.superseded_by}
    return render(request, "releases/portal_superseded.html", context, status=410)


@require_POST
@portal_user_required
def portal_rendition(request: HttpRequest, release_id: int) -> HttpResponse:
    """Asks for another rendition of a published version; the detail page shows its progress."""
    release = _release(request, release_id)
    flash_outcome(
        request,
        lambda: rendition_request(
            release=release,
            audio_format=request.POST.get("audio_format", "wav"),
            include_originals=request.POST.get("include_originals") == "on",
            formats=request.POST.getlist("formats"),
        ),
        success=lambda rendition: (
            _("Rendition %(key)s: %(status)s.")
            % {"key": rendition.key, "status": rendition.get_status_display()}
        ),
    )
    return redirect("portal-detail", release_id=release.pk)


@require_POST
@pm_required
def portal_revoke(request: HttpRequest, release_id: int) -> HttpResponse:
    release = _release(request, release_id)
    flash_outcome(
        request,
        lambda: release_revoke(
            release=release,
            revoked_by=signed_in_user(request),
            reason=request.POST.get("reason", ""),
        ),
        success=_("The release is revoked; new downloads are refused."),
    )
    return redirect("portal-detail", release_id=release.pk)


@require_POST
@portal_user_required
def portal_token(request: HttpRequest) -> HttpResponse:
    token = api_token_rotate(user=signed_in_user(request))
    messages.success(request, _("New API token created; the previous one no longer works."))
    return render(
        request,
        "releases/portal_index.html",
        {
            "releases": releases_visible_to(user=signed_in_user(request)),
            "token": token,
            "new_token": True,
        },
    )


@require_http_methods(["GET", "POST"])
@pm_required
def portal_new(request: HttpRequest) -> HttpResponse:
    """The new-release form; its "Preview" button counts what the spec selects, building
    nothing, and "Build release" creates it."""
    form = ReleaseSpecForm(request.POST or None)
    preview = None
    if request.method == "POST" and form.is_valid():
        campaign = form.cleaned_data["campaign"]
        client = form.cleaned_data["client"] or campaign.client
        try:
            if request.POST.get("action") == "preview":
                preview = release_preview(campaign=campaign, client=client, spec=form.spec())
            else:
                release = release_create(
                    campaign=campaign,
                    client=client,
                    created_by=signed_in_user(request),
                    split_ratios=form.split_ratios(),
                    seed=form.cleaned_data["seed"],
                    spec=form.spec(),
                )
                return redirect("portal-detail", release_id=release.pk)
        except DomainError as error:
            form.add_error(None, error.message)
    context: dict[str, object] = {"form": form, "preview": preview}
    if preview is not None:
        context["preview_duration"] = duration_text(preview.seconds)
    return render(request, "releases/portal_new.html", context)
