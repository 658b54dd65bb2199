"""Erasure: after withdrawal, nothing the speaker said or told us about themselves is stored."""

import pytest
from django.core.files.base import ContentFile
from django.db import connection

from labelhub.analytics.models import FeedbackReport
from labelhub.erasure import speaker_audio_delete
from labelhub.labeling.models import TranscriptRevision
from labelhub.recordings.models import BulkUpload, Exclusion
from labelhub.releases.models import Release, ReleaseChange
from labelhub.speakers.models import ConsentAuditEvent, Speaker
from labelhub.speakers.withdrawal import BY_PM, consent_withdraw
from tests.factories import CampaignFactory, ConsentRecordFactory, OrganisationFactory
from tests.releases.helpers import approved_clip, build, correct, texts_in

pytestmark = pytest.mark.django_db

# Values no other row holds, so finding one anywhere in the database means it was kept.
PERSONAL = {
    "region": "Gangneung-Jumunjin-7",
    "dialect": "yeongdong-coastal-9",
    "native_language": "xq-ZZ",
    "filename": "kim-minji-bedroom-take.wav",
    "device": "Galaxy S9 of Kim Minji (Mozilla/5.0 minji)",
    "text": "my name is kim minji and I live at 12 jumunjin road",
    "reviewed": "my name is kim minji and I live at twelve jumunjin road",
    "word": "minjiword",
    "comment": "she says kim minji, check the address",
    "skip_note": "speaker kim minji coughs",
    "return_comment": "kim minji: fix the road number",
    "exclusion_note": "kim minji read the wrong line",
    "heard": "call kim minji mum",
    "correction": "call minji's mum",
    "consent_reference": "terms-accept-minji-4411",
    "evidence": "f" * 64,
}


# A published release's datasheet counts speakers per dialect and region; it is part of the
# immutable release and is withdrawn with it (the release-integrity rules), not edited here.
PUBLISHED_RELEASE_COLUMNS = {"releases_release.datasheet_md", "releases_release.datasheet_html"}
# The published datasheet in each UI language sits in build_facts under this key; the rest of
# build_facts is still scanned.
PUBLISHED_RELEASE_KEYS = {"releases_release.build_facts": "datasheet_html"}


def text_columns() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema()"
            " AND data_type IN ('text', 'character varying', 'json', 'jsonb')"
        )
        return cursor.fetchall()


def where_stored(value: str) -> list[str]:
    """Every table.column whose text (JSON included) still contains the value."""
    found = []
    with connection.cursor() as cursor:
        for table, column in text_columns():
            quoted_table, quoted_column = connection.ops.quote_name(table), f'"{column}"'
            if kept_key := PUBLISHED_RELEASE_KEYS.get(f"{table}.{column}"):
                quoted_column = f"({quoted_column}::jsonb - '{kept_key}')"
            cursor.execute(
                f"SELECT 1 FROM {quoted_table} WHERE {quoted_column}::text LIKE %s LIMIT 1",
                [f"%{value}%"],
            )
            if cursor.fetchone() and f"{table}.{column}" not in PUBLISHED_RELEASE_COLUMNS:
                found.append(f"{table}.{column}")
    return found


def leaving_speaker(campaign):
    """A speaker with everything a speaker leaves behind: demographics, texts, notes, files."""
    consent = ConsentRecordFactory(
        speaker__campaign=campaign,
        speaker__region=PERSONAL["region"],
        speaker__dialect=PERSONAL["dialect"],
        speaker__native_language=PERSONAL["native_language"],
        speaker__birth_year=1987,
        evidence_sha256=PERSONAL["evidence"],
    )
    consent.evidence_file.save("consents/paper.pdf", ContentFile(b"%PDF signed by kim minji"))
    speaker = consent.speaker
    recording = approved_clip(
        campaign,
        PERSONAL["text"],
        speaker=speaker,
        device=PERSONAL["device"],
        original_filename=PERSONAL["filename"],
    )
    draft = recording.revisions.get(number=1)
    draft.segments = [
        {
            "start": 0,
            "end": 1,
            "text": PERSONAL["text"],
            "words": [{"word": PERSONAL["word"], "start": 0, "end": 1}],
        }
    ]
    draft.save()
    review = correct(recording, PERSONAL["reviewed"])
    review.comment = PERSONAL["comment"]
    review.save()
    recording.task.skip_note = PERSONAL["skip_note"]
    recording.task.return_comment = PERSONAL["return_comment"]
    recording.task.save()
    return speaker, recording, consent


def record_traces_elsewhere(campaign, speaker, recording, consent, pm) -> None:
    """Rows of other apps that quote the speaker: curation, feedback, bulk report, changelog."""
    Exclusion.objects.create(
        recording=recording, reason="misread", note=PERSONAL["exclusion_note"], created_by=pm
    )
    FeedbackReport.objects.create(
        client=campaign.client,
        recording=recording,
        consent=consent,
        heard_text=PERSONAL["heard"],
        user_correction=PERSONAL["correction"],
        consent_reference=PERSONAL["consent_reference"],
        submitted_by=pm,
    )
    BulkUpload.objects.create(
        campaign=campaign,
        uploaded_by=pm,
        status="done",
        report={
            "accepted_count": 1,
            "rejected_count": 0,
            "accepted": [
                {"row": 2, "file": f"takes/{PERSONAL['filename']}", "recording": recording.pk}
            ],
            "rejected": [],
        },
    )
    release = Release.objects.filter(campaign=campaign).get()
    ReleaseChange.objects.create(
        release=release,
        recording=recording,
        kind="changed",
        old_text=PERSONAL["text"],
        new_text=PERSONAL["reviewed"],
    )


@pytest.fixture
def campaign():
    return CampaignFactory(status="active", client=OrganisationFactory())


def test_withdrawal_leaves_no_personal_value_anywhere_in_the_database(campaign, pm) -> None:
    speaker, recording, consent = leaving_speaker(campaign)
    build(campaign)
    record_traces_elsewhere(campaign, speaker, recording, consent, pm)
    assert where_stored(PERSONAL["text"])  # the scan does find what is stored

    consent_withdraw(speaker=speaker, method=BY_PM, by=pm)
    speaker_audio_delete(speaker_id=speaker.pk)

    kept = {name: where_stored(value) for name, value in PERSONAL.items()}
    assert {name: places for name, places in kept.items() if places} == {}
    speaker.refresh_from_db()
    assert (speaker.age_band, speaker.gender, speaker.birth_year) == ("", "", None)
    consent.refresh_from_db()
    assert not consent.evidence_file


def test_erasure_keeps_an_audit_record_of_counts_and_consent_versions(campaign, pm) -> None:
    speaker, recording, consent = leaving_speaker(campaign)

    consent_withdraw(speaker=speaker, method=BY_PM, by=pm)
    speaker_audio_delete(speaker_id=speaker.pk)

    event = ConsentAuditEvent.objects.get(speaker=speaker, action="data_erased")
    assert event.consent_versions == [consent.document.version]
    assert event.counts["revisions"] == 3
    assert event.counts["recordings"] == 1
    assert all(isinstance(count, int) for count in event.counts.values())


def test_erasing_twice_changes_nothing_and_adds_no_second_record(campaign, pm) -> None:
    speaker, _, _ = leaving_speaker(campaign)
    consent_withdraw(speaker=speaker, method=BY_PM, by=pm)
    speaker_audio_delete(speaker_id=speaker.pk)

    speaker_audio_delete(speaker_id=speaker.pk)

    assert ConsentAuditEvent.objects.filter(speaker=speaker, action="data_erased").count() == 1


def test_a_speaker_withdrawn_before_erasure_existed_is_erased_on_the_next_run(campaign) -> None:
    speaker, recording, _ = leaving_speaker(campaign)
    consent_withdraw(speaker=speaker, method=BY_PM)
    speaker_audio_delete(speaker_id=speaker.pk)
    # What an older worker left: audio gone, texts and demographics still there.
    TranscriptRevision.objects.filter(recording=recording).update(text=PERSONAL["text"])
    Speaker.objects.filter(pk=speaker.pk).update(region=PERSONAL["region"])

    speaker_audio_delete(speaker_id=speaker.pk)

    assert where_stored(PERSONAL["text"]) == []
    assert where_stored(PERSONAL["region"]) == []


def test_the_clips_csv_and_the_next_release_hold_only_the_remaining_speakers(
    client, campaign, pm
) -> None:
    speaker, _, _ = leaving_speaker(campaign)
    approved_clip(campaign, "switch off the lights", draft="switch of the lights")
    consent_withdraw(speaker=speaker, method=BY_PM, by=pm)
    speaker_audio_delete(speaker_id=speaker.pk)
    client.force_login(pm)

    clips = client.get(f"/analytics/{campaign.pk}/clips/?format=csv")
    dashboard = client.get(f"/analytics/{campaign.pk}/")

    assert clips.status_code == 200 and dashboard.status_code == 200
    csv_text = clips.content.decode()
    assert "switch off the lights" in csv_text
    assert all(value not in csv_text for value in PERSONAL.values())
    assert texts_in(build(campaign)) == ["switch off the lights"]
