"""labelhub.s3_signing: AWS's worked example, botocore's URLs, and a real S3 server's verdict."""

import datetime
from collections.abc import Iterator
from unittest import mock

import boto3
import pytest
import requests
from botocore.config import Config

from labelhub.s3_signing import QuerySigner
from scripts.s3_server import ACCESS_KEY_ID, SECRET_ACCESS_KEY, SeaweedS3

# AWS's example for query-string authentication ("Authenticating Requests: Using Query
# Parameters (AWS Signature Version 4)"): its keys, its instant and the signature it prints.
AWS_EXAMPLE_KEYS = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
AWS_EXAMPLE_SIGNATURE = "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
AT = datetime.datetime(2026, 12, 3, 17, 0, 5, tzinfo=datetime.UTC)
AWKWARD_KEYS = [
    "media/bench/0001/000001.wav",
    "raw/a b/녹음 1.wav",
    "x/+=&?%#~!'()*,;:@$.wav",
]


def test_the_aws_documentation_example_gets_its_printed_signature() -> None:
    signer = QuerySigner("https://examplebucket.s3.amazonaws.com", *AWS_EXAMPLE_KEYS, "us-east-1")
    url = signer.path_url(
        "/test.txt", expires_seconds=86400, now=datetime.datetime(2013, 5, 24, tzinfo=datetime.UTC)
    )
    assert url == (
        "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        f"&X-Amz-Signature={AWS_EXAMPLE_SIGNATURE}"
    )


@pytest.mark.parametrize("operation, method", [("get_object", "GET"), ("put_object", "PUT")])
@pytest.mark.parametrize("endpoint", ["http://127.0.0.1:8333", "https://S3.example.com:443/"])
@pytest.mark.parametrize("key", AWKWARD_KEYS)
def test_the_url_is_botocores_for_the_same_instant(
    endpoint: str, key: str, operation: str, method: str
) -> None:
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="AK",
        aws_secret_access_key="S/K+ey",
        region_name="ap-northeast-2",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    # botocore reads its clock here; stopping it at AT is the only way to compare two URLs.
    with mock.patch("botocore.auth.get_current_datetime", return_value=AT.replace(tzinfo=None)):
        expected = client.generate_presigned_url(
            operation, Params={"Bucket": "labelhub", "Key": key}, ExpiresIn=60
        )
    signer = QuerySigner(endpoint, "AK", "S/K+ey", "ap-northeast-2")
    url = signer.object_url("labelhub", key, expires_seconds=60, method=method, now=AT)
    assert url == expected


def test_an_endpoint_that_is_not_http_is_refused() -> None:
    with pytest.raises(ValueError, match="not an http"):
        QuerySigner("ftp://127.0.0.1", "AK", "SK", "us-east-1")


@pytest.fixture
def stored_object(s3_server: SeaweedS3) -> Iterator[tuple[str, bytes]]:
    key, body = "signing/녹음 1+2.wav", b"RIFF" + bytes(range(256)) * 8
    s3_server.client().put_object(Bucket=s3_server.bucket, Key=key, Body=body)
    yield key, body
    s3_server.client().delete_object(Bucket=s3_server.bucket, Key=key)


def test_a_real_s3_server_serves_a_signed_url_and_refuses_a_wrong_one(
    s3_server: SeaweedS3, stored_object: tuple[str, bytes]
) -> None:
    key, body = stored_object
    signer = QuerySigner(s3_server.endpoint_url, ACCESS_KEY_ID, SECRET_ACCESS_KEY, "us-east-1")
    url = signer.object_url(s3_server.bucket, key, expires_seconds=60)
    answer = requests.get(url, timeout=30)
    assert answer.status_code == 200 and answer.content == body

    tampered = url[:-1] + ("0" if url[-1] != "0" else "1")
    wrong_secret = QuerySigner(s3_server.endpoint_url, ACCESS_KEY_ID, "not-the-secret", "us-east-1")
    expired = signer.object_url(
        s3_server.bucket,
        key,
        expires_seconds=60,
        now=datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1),
    )
    for refused in (tampered, wrong_secret.object_url(s3_server.bucket, key, expires_seconds=60)):
        assert requests.get(refused, timeout=30).status_code == 403
    assert requests.get(expired, timeout=30).status_code == 403


def test_a_real_s3_server_stores_the_body_of_a_put_to_a_signed_url(s3_server: SeaweedS3) -> None:
    key, body = "signing/put 1.wav", b"RIFF" + bytes(range(256)) * 4
    signer = QuerySigner(s3_server.endpoint_url, ACCESS_KEY_ID, SECRET_ACCESS_KEY, "us-east-1")
    put = signer.object_url(s3_server.bucket, key, expires_seconds=60, method="PUT")
    # A GET URL does not store: the method is signed.
    get = signer.object_url(s3_server.bucket, key, expires_seconds=60)
    assert requests.put(get, data=b"other", timeout=30).status_code == 403
    assert requests.put(put, data=body, timeout=30).status_code == 200
    try:
        stored = s3_server.client().get_object(Bucket=s3_server.bucket, Key=key)["Body"].read()
        assert stored == body
    finally:
        s3_server.client().delete_object(Bucket=s3_server.bucket, Key=key)
