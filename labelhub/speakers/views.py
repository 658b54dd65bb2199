"""The speaker's pages: the recorder opened from an invite link, and the withdrawal link.

Neither needs an account: the signed token in the URL is the credential (see invites.py).
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from labelhub.errors import DomainError
from labelhub.speakers.invites import invite_for_token, speaker_for_withdrawal_token
from labelhub.speakers.recorder import recorder_state
from labelhub.speakers.withdrawal import BY_SPEAKER, consent_withdraw


def _link_error(request: HttpRequest, error: DomainError) -> HttpResponse:
    context = {"message": error.message, "hide_login": True}
    return render(request, "speakers/link_error.html", context, status=error.status_code)


@require_GET
def recorder(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invite = invite_for_token(token=token)
    except DomainError as error:
        return _link_error(request, error)
    # ?lang= is the speaker's own pick among the consent's languages; else the browser's.
    language = request.GET.get("lang", "")[:16] or request.LANGUAGE_CODE
    state = recorder_state(invite=invite, language=language)
    context = {"state": state, "document": state["document"], "hide_login": True}
    response = render(request, "speakers/recorder.html", context)
    # The page's address is a credential: keep it out of other sites' Referer headers.
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, token: str) -> HttpResponse:
    try:
        speaker = speaker_for_withdrawal_token(token=token)
    except DomainError as error:
        return _link_error(request, error)
    if request.method == "POST" and speaker.withdrawn_at is None:
        speaker = consent_withdraw(speaker=speaker, method=BY_SPEAKER)
        done = True
    else:
        done = speaker.withdrawn_at is not None
    context = {"speaker": speaker, "done": done, "hide_login": True}
    response = render(request, "speakers/withdraw.html", context)
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response
