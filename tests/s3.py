"""A real SeaweedFS S3 server for the test run, and a fixture that stores one test's files in it."""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from labelhub.settings import s3_storage_options
from labelhub.storage import storage_bucket_ensure
from scripts.s3_server import SeaweedS3, free_port


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedS3]:
    """One SeaweedFS (master, volume, filer, S3) for the whole run; started on first use."""
    with SeaweedS3(tmp_path_factory.mktemp("seaweedfs"), free_port()) as server:
        yield server


def bucket_keys(server: SeaweedS3, bucket: str) -> list[str]:
    """Every key in the bucket, read from S3 itself (not through Django)."""
    pages = server.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def bucket_empty_and_delete(server: SeaweedS3, bucket: str) -> None:
    client = server.client()
    for key in bucket_keys(server, bucket):
        client.delete_object(Bucket=bucket, Key=key)
    client.delete_bucket(Bucket=bucket)


@pytest.fixture
def s3_storage(s3_server: SeaweedS3, settings: Any) -> Iterator[str]:
    """Points default_storage at a fresh bucket on the test server for one test; yields its name.

    Changing settings.STORAGES makes Django drop its cached default_storage (the setting_changed
    handler), so code under test stores in S3; the bucket is emptied and removed afterwards.
    """
    bucket = f"test-{uuid.uuid4().hex[:12]}"
    s3_server.bucket_create(bucket)
    settings.STORAGE_BACKEND = "s3"
    settings.S3_PUBLIC_ENDPOINT_URL = ""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": s3_storage_options({**s3_server.env(), "S3_BUCKET": bucket}),
        },
    }
    storage_bucket_ensure()  # as a deployment does on start: the bucket's CORS rule for audio
    try:
        yield bucket
    finally:
        bucket_empty_and_delete(s3_server, bucket)
