"""Invite links for speakers: a signed token names one SpeakerInvite; the link is the credential.

The token is made with django.core.signing (HMAC with SECRET_KEY and a salt of its own), so it
cannot be forged or reused for another purpose (the withdrawal link has a different salt), and
it carries its issue time, so it expires without a database lookup.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext as _

from labelhub.errors import DomainError
from labelhub.speakers.models import Speaker, SpeakerInvite

INVITE_SALT = "labelhub.speakers.invite"
WITHDRAW_SALT = "labelhub.speakers.withdraw"


class InviteInvalid(DomainError):
    status_code = 404
    code = "invite_invalid"


class InviteExpired(DomainError):
    status_code = 410
    code = "invite_expired"


def invite_max_age() -> timedelta:
    return timedelta(days=settings.SPEAKER_INVITE_DAYS)


def invite_token(*, invite: SpeakerInvite) -> str:
    return signing.dumps({"i": invite.pk, "c": invite.campaign_id}, salt=INVITE_SALT)


def invite_path(*, invite: SpeakerInvite) -> str:
    return f"/record/{invite_token(invite=invite)}/"


def invite_for_token(*, token: str) -> SpeakerInvite:
    """The invite a token names; raises InviteInvalid or InviteExpired with a reason to show."""
    try:
        payload = signing.loads(token, salt=INVITE_SALT, max_age=invite_max_age())
    except signing.SignatureExpired as error:
        raise InviteExpired(_("This invite link has expired. Ask for a new one.")) from error
    except signing.BadSignature as error:
        raise InviteInvalid(
            _("This invite link is not valid. Check that it was copied completely.")
        ) from error
    invite = (
        SpeakerInvite.objects.select_related("campaign", "speaker", "channel")
        .filter(pk=payload.get("i"), campaign_id=payload.get("c"))
        .first()
    )
    if invite is None or invite.revoked_at is not None:
        raise InviteInvalid(_("This invite link is no longer valid."))
    if invite.expires_at <= timezone.now():
        raise InviteExpired(_("This invite link has expired. Ask for a new one."))
    return invite


def withdrawal_token(*, speaker: Speaker) -> str:
    # No expiry: a speaker may withdraw consent at any time, years later included.
    return signing.dumps({"s": speaker.pk, "c": speaker.campaign_id}, salt=WITHDRAW_SALT)


def withdrawal_path(*, speaker: Speaker) -> str:
    return f"/record/withdraw/{withdrawal_token(speaker=speaker)}/"


def speaker_for_withdrawal_token(*, token: str) -> Speaker:
    try:
        payload = signing.loads(token, salt=WITHDRAW_SALT)
    except signing.BadSignature as error:
        raise InviteInvalid(
            _("This withdrawal link is not valid. Check that it was copied completely.")
        ) from error
    speaker = (
        Speaker.objects.select_related("campaign")
        .filter(pk=payload.get("s"), campaign_id=payload.get("c"))
        .first()
    )
    if speaker is None:
        raise InviteInvalid(_("This withdrawal link is not valid."))
    return speaker
