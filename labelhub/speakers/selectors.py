from labelhub.speakers.models import ConsentRecord, Speaker


def consent_active_for(*, speaker: Speaker) -> ConsentRecord | None:
    """The speaker's newest consent that has not been withdrawn, if any."""
    return (
        ConsentRecord.objects.filter(speaker=speaker, withdrawn_at__isnull=True)
        .select_related("document")
        .order_by("-signed_at")
        .first()
    )
