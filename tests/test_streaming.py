"""HTTP Range on file responses: seeking audio and resuming downloads."""

from pathlib import Path

import pytest
from django.test import RequestFactory

from labelhub.streaming import parse_range, ranged_file_response

CONTENT = bytes(range(256)) * 40  # 10,240 bytes


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "archive.bin"
    path.write_bytes(CONTENT)
    return path


def get(path: Path, etag: str = "v1", **headers: str):
    request = RequestFactory().get("/x", headers=headers)
    return ranged_file_response(request, path, content_type="application/zip", etag=etag)


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_without_range_the_whole_file_is_sent_with_accept_ranges(data_file: Path) -> None:
    response = get(data_file)

    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(CONTENT))
    assert body(response) == CONTENT


def test_a_range_gets_206_with_exactly_those_bytes(data_file: Path) -> None:
    response = get(data_file, Range="bytes=100-199")

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-199/{len(CONTENT)}"
    assert response["Content-Length"] == "100"
    assert body(response) == CONTENT[100:200]


def test_an_interrupted_download_resumes_into_the_identical_file(data_file: Path) -> None:
    first = body(get(data_file, Range="bytes=0-4095"))
    rest = body(get(data_file, Range=f"bytes={len(first)}-", **{"If-Range": '"v1"'}))

    assert first + rest == CONTENT


def test_a_resume_against_a_changed_file_restarts_from_the_beginning(data_file: Path) -> None:
    response = get(data_file, etag="v2", Range="bytes=4096-", **{"If-Range": '"v1"'})

    assert response.status_code == 200
    assert body(response) == CONTENT


def test_a_suffix_range_gets_the_tail(data_file: Path) -> None:
    response = get(data_file, Range="bytes=-10")

    assert (
        response["Content-Range"] == f"bytes {len(CONTENT) - 10}-{len(CONTENT) - 1}/{len(CONTENT)}"
    )
    assert body(response) == CONTENT[-10:]


def test_a_range_past_the_end_gets_416_with_the_size(data_file: Path) -> None:
    response = get(data_file, Range=f"bytes={len(CONTENT)}-")

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(CONTENT)}"


@pytest.mark.parametrize("header", ["bytes=abc", "items=0-5", "bytes=0-5,10-20", "bytes=-"])
def test_a_range_it_cannot_honour_means_the_whole_file(header: str) -> None:
    assert parse_range(header, 100) is None
