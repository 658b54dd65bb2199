"""GET /api/recordings/: the recordings a user may see, filtered, paged; bad filters are 400s
naming the parameter; a stored non-finite level reads as null, never a 500."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.campaigns.models import Campaign, Prompt
from labelhub.recordings.models import Recording
from labelhub.recordings.services import recording_ingest, recording_upload
from tests.audio_samples import silence
from tests.factories import (
    CampaignFactory,
    CollectionChannelFactory,
    QuotaCellFactory,
    RecordingEnvironmentFactory,
    RecordingFactory,
    RevisionFactory,
    SpeakerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, object]:
    """Two speakers' clips in one campaign, each differing in one filtered property."""
    campaign = CampaignFactory()
    ana = SpeakerFactory(campaign=campaign, code="ANA-01", gender="female", age_band="30s")
    bo = SpeakerFactory(campaign=campaign, code="BO-02", gender="male", age_band="20s")
    prompt = Prompt.objects.create(campaign=campaign, external_id="P-1", text="lights on")
    booth = RecordingEnvironmentFactory(campaign=campaign, name="Booth")
    phone = CollectionChannelFactory(campaign=campaign, name="Phone")
    clips = {
        "plain": RecordingFactory(speaker=ana),
        "prompted": RecordingFactory(speaker=ana, prompt=prompt, environment=booth),
        "quiet": RecordingFactory(speaker=bo, quality_flags=["quiet"], channel=phone),
        "silent": RecordingFactory(
            speaker=bo, status=Recording.Status.REJECTED, rejection_code="silent"
        ),
        "source": RecordingFactory(speaker=bo, kind=Recording.Kind.SOURCE),
    }
    RevisionFactory(recording=clips["plain"], flags=["hallucination"])
    old = timezone.now() - timedelta(days=10)
    Recording.objects.filter(pk=clips["source"].pk).update(created_at=old)
    other = RecordingFactory()  # another campaign's
    return {
        "campaign": campaign,
        "ana": ana,
        "bo": bo,
        "prompt": prompt,
        "booth": booth,
        "phone": phone,
        "clips": clips,
        "other": other,
    }


def ids(response) -> set[int]:
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


def named(world, *names: str) -> set[int]:
    return {world["clips"][name].pk for name in names}


def test_a_pm_lists_every_campaign_and_filters_by_campaign(api_for, pm, world) -> None:
    everything = ids(api_for(pm).get("/api/recordings/"))
    mine = ids(api_for(pm).get("/api/recordings/", {"campaign": world["campaign"].pk}))

    assert everything == named(world, *world["clips"]) | {world["other"].pk}
    assert mine == named(world, *world["clips"])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "rejected"}, ["silent"]),
        ({"speaker": "ANA-01"}, ["plain", "prompted"]),
        ({"speaker": "BO-02", "status": "ready"}, ["quiet", "source"]),
        ({"flag": "quiet"}, ["quiet"]),
        ({"flag": "hallucination"}, ["plain"]),  # a draft flag, on the ASR revision
        ({"rejection_code": "silent"}, ["silent"]),
        ({"kind": "source"}, ["source"]),
    ],
)
def test_each_filter_keeps_only_the_matching_clips(api_for, pm, world, params, expected) -> None:
    params = {"campaign": world["campaign"].pk, **params}

    assert ids(api_for(pm).get("/api/recordings/", params)) == named(world, *expected)


def test_filters_by_id_speaker_id_cell_and_date(api_for, pm, world) -> None:
    client, campaign = api_for(pm), world["campaign"]
    cell = QuotaCellFactory(campaign=campaign, age_band="20s", gender="male")
    today = timezone.localdate().isoformat()
    week_ago = (timezone.localdate() - timedelta(days=7)).isoformat()

    def found(**params) -> set[int]:
        return ids(client.get("/api/recordings/", {"campaign": campaign.pk, **params}))

    assert found(prompt=world["prompt"].pk) == named(world, "prompted")
    assert found(environment=world["booth"].pk) == named(world, "prompted")
    assert found(channel=world["phone"].pk) == named(world, "quiet")
    assert found(speaker=str(world["ana"].pk)) == named(world, "plain", "prompted")
    assert found(cell=cell.pk) == named(world, "quiet", "silent", "source")
    assert found(created_to=week_ago) == named(world, "source")
    assert found(created_from=week_ago, created_to=today) == named(
        world, "plain", "prompted", "quiet", "silent"
    )


def test_the_list_is_paged_with_count_next_and_previous(api_for, pm, world) -> None:
    client = api_for(pm)
    params = {"campaign": world["campaign"].pk, "page_size": 2}

    first = client.get("/api/recordings/", params).json()
    second = client.get("/api/recordings/", {**params, "page": 2}).json()
    last = client.get("/api/recordings/", {**params, "page": 3}).json()

    assert (first["count"], len(first["results"]), first["previous"]) == (5, 2, None)
    assert "page=2" in first["next"] and "page_size=2" in first["next"]
    assert "page=1" in second["previous"] and "page=3" in second["next"]
    assert (len(last["results"]), last["next"]) == (1, None)
    seen = [row["id"] for body in (first, second, last) for row in body["results"]]
    assert sorted(seen) == sorted(named(world, *world["clips"]))  # each clip once, none missed


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"status": "lost"}, "status"),
        ({"kind": "podcast"}, "kind"),
        ({"campaign": "abc"}, "campaign"),
        ({"prompt": "-3"}, "prompt"),
        ({"cell": "1.5"}, "cell"),
        ({"environment": "x"}, "environment"),
        ({"channel": "0"}, "channel"),
        ({"speaker": "two words"}, "speaker"),
        ({"flag": "Quiet!"}, "flag"),
        ({"rejection_code": "a;b"}, "rejection_code"),
        ({"created_from": "2026-13-01"}, "created_from"),
        ({"created_to": "yesterday"}, "created_to"),
        ({"created_from": "2026-05-02", "created_to": "2026-05-01"}, "created_to"),
        ({"page": "0"}, "page"),
        ({"page": "99"}, "page"),
        ({"page_size": "201"}, "page_size"),
    ],
)
def test_a_bad_filter_is_a_400_naming_the_parameter(api_for, pm, world, params, parameter) -> None:
    response = api_for(pm).get("/api/recordings/", params)

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["parameter"]) == ("invalid_parameter", parameter)
    assert parameter in error["message"]


def test_staff_see_only_the_campaigns_open_to_them_and_clients_none(api_for, world) -> None:
    labeler = UserFactory(role=User.Role.LABELER)
    restricted = CampaignFactory()
    restricted.labelers.add(UserFactory(role=User.Role.LABELER))
    hidden = RecordingFactory(speaker=SpeakerFactory(campaign=restricted))
    client_user = UserFactory(role=User.Role.CLIENT, organisation=world["campaign"].client)

    seen = ids(api_for(labeler).get("/api/recordings/", {"page_size": 200}))

    assert named(world, *world["clips"]) <= seen and hidden.pk not in seen
    assert api_for(client_user).get("/api/recordings/").status_code == 403


def test_uploading_stays_the_pms(api_for, world) -> None:
    labeler = UserFactory(role=User.Role.LABELER)
    response = api_for(labeler).post(
        "/api/recordings/",
        {"speaker": world["ana"].pk, "file": SimpleUploadedFile("a.wav", b"RIFF")},
        format="multipart",
    )

    assert response.status_code == 403


def test_a_silent_clip_rejected_at_ingest_reads_with_null_for_minus_infinity(
    api_for, pm, consented_speaker, tmp_path
) -> None:
    consented_speaker.campaign.status = Campaign.Status.ACTIVE
    consented_speaker.campaign.save()
    wav = silence(tmp_path / "silent.wav", seconds=2.0)
    received = recording_upload(
        speaker=consented_speaker,
        uploaded_file=SimpleUploadedFile(wav.name, wav.read_bytes()),
        uploaded_by=pm,
    )
    rejected = recording_ingest(recording_id=received.pk)
    assert (rejected.status, rejected.rejection_code) == ("rejected", "silent")
    # What an older ingest stored for a zero signal, before levels were clamped to the floor.
    Recording.objects.filter(pk=rejected.pk).update(
        rms_dbfs=float("-inf"), peak_dbfs=float("-inf"), clipping_ratio=float("nan")
    )
    client = api_for(pm)

    detail = client.get(f"/api/recordings/{rejected.pk}/")
    listed = client.get("/api/recordings/", {"status": "rejected"})
    browsable = client.get(f"/api/recordings/{rejected.pk}/", HTTP_ACCEPT="text/html")

    assert detail.status_code == 200
    body = detail.json()
    assert (body["rms_dbfs"], body["peak_dbfs"], body["clipping_ratio"]) == (None, None, None)
    assert body["rejection_code"] == "silent"
    assert listed.status_code == 200 and listed.json()["results"][0]["rms_dbfs"] is None
    assert browsable.status_code == 200
