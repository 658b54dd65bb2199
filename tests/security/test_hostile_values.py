"""The hostile-value walk: every served endpoint, fed hostile values in its path, its query string
and its body, as a PM and as nobody, never answers 500, and every 4xx the API gives has the
documented shape ``{"error": {"code": ..., "message": ...}}``.

The endpoints come from the URL resolver and the field names from every serializer and form in
the project, so a new endpoint or field is walked without anyone listing it. Bounded: values
refused at the door go one body each; the others are spread over the fields in rotation, a few
bodies per endpoint (see _bodies), so the walk stays well under a minute.
"""

import importlib
import io
import itertools
import json
import pkgutil
import re
import wave
from collections.abc import Iterator
from urllib.parse import unquote

import pytest
from django import forms
from django.test import Client
from django.urls.converters import get_converters
from rest_framework import serializers

import labelhub
from labelhub.accounts.models import User
from labelhub.campaigns.models import Campaign
from labelhub.labeling.models import Task
from labelhub.recordings.models import BulkUpload
from labelhub.speakers.invites import invite_token, withdrawal_token
from tests.factories import (
    CollectionChannelFactory,
    ConsentDocumentFactory,
    QuotaCellFactory,
    RecordingEnvironmentFactory,
    SpeakerInviteFactory,
    UserFactory,
)
from tests.labeling.segment_helpers import make_source_with_segments
from tests.releases.helpers import approved_clip, build
from tests.security.endpoints import Endpoint, all_endpoints

pytestmark = pytest.mark.django_db

# Values no field expects. Strings go in query strings and form fields; everything in JSON.
LONG = "x" * 100_000
RAISE = False  # True while debugging: the first 500 raises with its traceback
# Refused at the door (labelhub.input_guard) wherever they are: one body each, every field.
AT_THE_DOOR = ["\x00", "a\x00b", "\x1b[2J\x07", "\x0b"]
# Reach the views: spread over the fields in rotation, so one body carries many of them.
HOSTILE_TEXT = ["-1", str(2**63), "abc", "1'", "NaN", "-Infinity", "", "한국어 텍스트"]
HOSTILE_TEXT += ["\u202eRTL\u200f", "e\u0301\u0301\u0301", "😀\U0001f3f3\ufe0f\u200d\U0001f308"]
HOSTILE_JSON = [*HOSTILE_TEXT, -1, 0, 2**63, -(2**63) - 1, 1e308, -0.5, None, True]
HOSTILE_JSON += [["x"], {"k": "v"}, [], {}]
# json.dumps writes a lone surrogate as the escape "\ud800", exactly what a hostile client sends.
AT_THE_DOOR_JSON = [*AT_THE_DOOR, "\ud800", {"k\x00": 1}, ["\x00"]]
HOSTILE_PATH = ["0", str(2**63), "1" * 30, "%00", "x" * 5000, "%E2%80%AE", "..", "-"]
HOSTILE_PATH.append("%F0%9F%98%80")
# Parameters the views read, and names nobody reads.
QUERY_PARAMS = ["campaign", "by", "group", "format", "token", "limit", "offset", "page", "zz9"]


def _import_all() -> None:
    for module in pkgutil.walk_packages(labelhub.__path__, "labelhub."):
        if module.name.rsplit(".", 1)[-1] in ("api", "forms", "views"):
            importlib.import_module(module.name)


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _field_names() -> list[str]:
    """Every field name a serializer or form of the project declares."""
    _import_all()
    names: set[str] = set()
    for cls in _subclasses(serializers.Serializer):
        if cls.__module__.startswith("labelhub."):
            try:
                names |= set(cls().fields)
            except Exception:  # a serializer that needs context to list its fields
                names |= set(getattr(cls, "_declared_fields", {}))
    for cls in _subclasses(forms.BaseForm):
        if cls.__module__.startswith("labelhub."):
            names |= set(getattr(cls, "base_fields", {}))
    return sorted(names | {"file", "split_ratios", "spec", "text", "id", "zz9"})


def _wav_bytes() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\x10\x00" * 16000)
    return buffer.getvalue()


@pytest.fixture
def world() -> dict[str, object]:
    """One object of each kind, so that path ids lead the views all the way in."""
    pm = UserFactory(role=User.Role.PM)
    document = ConsentDocumentFactory(campaign__status=Campaign.Status.ACTIVE)
    campaign = document.campaign
    recording = approved_clip(campaign, normalised_file__data=_wav_bytes())
    release = build(campaign)
    invite = SpeakerInviteFactory(campaign=campaign)
    source, segments = make_source_with_segments(campaign=campaign, spans=[(0.2, 0.8)])
    return {
        "pm": pm,
        "campaign_id": campaign.pk,
        "recording_id": recording.pk,
        "task_id": Task.objects.get(recording=recording).pk,
        "speaker_id": recording.speaker_id,
        "document_id": document.pk,
        "release_id": release.pk,
        "cell_id": QuotaCellFactory(campaign=campaign).pk,
        "environment": RecordingEnvironmentFactory(campaign=campaign).pk,
        "channel": CollectionChannelFactory(campaign=campaign).pk,
        "upload_id": BulkUpload.objects.create(campaign=campaign, uploaded_by=pm).pk,
        "invite": invite_token(invite=invite),
        "withdraw": withdrawal_token(speaker=recording.speaker),
        "table": "coverage",
        "source_id": source.pk,
        "segment_id": segments[0].pk,
    }


def _real_kwargs(endpoint: Endpoint, world: dict[str, object]) -> dict[str, object]:
    values = {}
    for name in endpoint.kwargs:
        if name == "place_id":
            values[name] = world["channel" if "channels" in endpoint.route else "environment"]
        elif name == "bulk_upload_id":
            values[name] = world["upload_id"]
        elif name == "token":
            values[name] = world["withdraw" if "withdraw" in endpoint.route else "invite"]
        else:
            values[name] = world[name]
    return values


def _hostile_paths(endpoint: Endpoint, world: dict[str, object]) -> Iterator[str]:
    """The endpoint with each path value in turn swapped for what its converter lets through."""
    real, converters = _real_kwargs(endpoint, world), get_converters()
    for name in endpoint.kwargs:
        kind = endpoint.route.split(f":{name}>")[0].rsplit("<", 1)[-1]
        for value in HOSTILE_PATH:
            if re.fullmatch(converters[kind].regex, unquote(value)):
                yield endpoint.url(**{**real, name: value})


def _client(user: User | None) -> Client:
    client = Client(raise_request_exception=RAISE, HTTP_ACCEPT="application/json")
    if user is not None:
        client.force_login(user)
    return client


def _problems(response, label: str) -> list[str]:
    if response.status_code >= 500:
        return [f"{label}: {response.status_code}"]
    if not 400 <= response.status_code < 500 or not response.request["PATH_INFO"].startswith(
        "/api/"
    ):
        return []
    try:
        error = json.loads(response.content)["error"]
        assert isinstance(error["code"], str) and isinstance(error["message"], str)
    except (ValueError, KeyError, TypeError, AssertionError):
        return [f"{label}: {response.status_code} not in the error shape: {response.content[:99]}"]
    return []


def _short(value: object) -> str:
    return repr(value)[:40]


def test_no_endpoint_fails_on_hostile_path_values(world: dict[str, object]) -> None:
    problems = []
    for client, endpoint, _url in _walk(world):
        for url in _hostile_paths(endpoint, world):
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                problems += _problems(response, f"{method.upper()} {url[:80]}")
    assert problems == [], "\n".join(problems)


def test_no_endpoint_fails_on_hostile_query_values(world: dict[str, object]) -> None:
    problems = []
    for client, _endpoint, url in _walk(world):
        for value in [*AT_THE_DOOR[:2], LONG, *HOSTILE_TEXT[:7]]:
            response = client.get(url, dict.fromkeys(QUERY_PARAMS, value))
            problems += _problems(response, f"GET {url}?…={_short(value)}")
    assert problems == [], "\n".join(problems)


def _bodies(names: list[str], values: list, door: list, turn: int, rounds: int) -> Iterator[dict]:
    """Door values one by one in every field; the others in rotation, `rounds` bodies, so each
    field meets `rounds` of them (shifted by turn, so other endpoints see other pairings); and
    LONG in one slice of 20 fields (turn picks which), under Django's 2.5 MB body cap."""
    for value in door:
        yield dict.fromkeys(names, value)
    for round_ in range(rounds):
        yield {name: values[(i + round_ + turn) % len(values)] for i, name in enumerate(names)}
    start = 20 * turn % len(names)
    yield dict.fromkeys(names[start : start + 20], LONG)


def _label(body: dict) -> str:
    """The body's first value: names a door value or LONG exactly, a rotation by its start."""
    return _short(next(iter(body.values()), None))


def _walk(world: dict[str, object]) -> Iterator[tuple[Client, Endpoint, str]]:
    """Each endpoint at its real path, with a PM signed in afresh (one endpoint signs out)."""
    client = _client(None)
    for endpoint in all_endpoints():
        client.force_login(world["pm"])
        yield client, endpoint, endpoint.url(**_real_kwargs(endpoint, world))


def test_no_endpoint_fails_on_hostile_json_bodies(world: dict[str, object]) -> None:
    problems, names = [], _field_names()
    for turn, (client, endpoint, url) in enumerate(_walk(world)):
        # PATCH where the route names an object; POST everywhere.
        methods = ["POST", "PATCH"] if endpoint.is_api and endpoint.kwargs else ["POST"]
        bodies = _bodies(names, HOSTILE_JSON, AT_THE_DOOR_JSON, turn, rounds=6)
        for body, method in itertools.product(list(bodies), methods):
            response = client.generic(method, url, json.dumps(body), "application/json")
            problems += _problems(response, f"{method} {url} json={_label(body)}")
    assert problems == [], "\n".join(problems)


def test_no_endpoint_fails_on_hostile_form_fields(world: dict[str, object]) -> None:
    problems, names = [], _field_names()
    for turn, (client, _endpoint, url) in enumerate(_walk(world)):
        for body in _bodies(names, HOSTILE_TEXT, AT_THE_DOOR[:2], turn, rounds=3):
            problems += _problems(client.post(url, body), f"POST {url} form={_label(body)}")
    assert problems == [], "\n".join(problems)


def test_no_endpoint_fails_on_malformed_json(world: dict[str, object]) -> None:
    problems = []
    for client, _endpoint, url in _walk(world):
        for body in ('{"text": NaN}', '{"a":', "[1, 2", '"\\ud800"', "\x00", "null"):
            response = client.post(url, body, content_type="application/json")
            problems += _problems(response, f"POST {url} body={_short(body)}")
    assert problems == [], "\n".join(problems)


def test_no_endpoint_fails_on_hostile_values_from_anonymous(world: dict[str, object]) -> None:
    client, problems = _client(None), []
    for endpoint in all_endpoints():
        url = endpoint.url(**_real_kwargs(endpoint, world))
        for value in ("\ud800", LONG, ["x"]):
            for method in ("GET", "POST", "PATCH", "PUT", "DELETE"):
                body = json.dumps({"text": value, "campaign": value, "token": value})
                response = client.generic(method, url, body, "application/json")
                problems += _problems(response, f"{method} {url} {_short(value)}")
        for value in ("\x00", str(2**63)):
            response = client.get(url, dict.fromkeys(QUERY_PARAMS, value))
            problems += _problems(response, f"GET {url}?…={_short(value)}")
    assert problems == [], "\n".join(problems)
