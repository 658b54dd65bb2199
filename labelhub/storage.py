"""Small helpers over Django's storage, so that services work the same on a local folder or S3."""

import errno
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.utils import validate_file_name
from django.db.models.fields.files import FieldFile

from labelhub.errors import FileMissing
from labelhub.s3_signing import QuerySigner

# Ranged GETs of one object sent side by side (botocore's pool holds 10 connections a client).
RANGE_READ_THREADS = 8
# storage_reader's GETs: as many connections as botocore keeps; a presigned URL used at once;
# botocore's default timeouts; server errors and dropped connections retried, as botocore does.
READER_CONNECTIONS = 10
READER_URL_SECONDS = 60
READER_TIMEOUT = 60.0
READER_RETRIES = 4
READER_RETRY_STATUSES = (500, 502, 503, 504)  # 503: S3's SlowDown
# Parts of a multipart upload in flight at once. boto3's 10 held 30 MB more resident than
# before the upload of a 1 GB file to SeaweedFS here, 4 held 12 MB in the same 5.6-5.8 s; a
# release build's peak RSS at 100,000 clips from S3 was the upload's.
UPLOAD_PARTS_AT_ONCE = 4


@contextmanager
def local_path(field_file: FieldFile) -> Iterator[Path]:
    """A path on this machine holding the file's bytes (ffmpeg and Whisper need one)."""
    try:
        yield Path(field_file.path)
        return
    except NotImplementedError:
        pass  # remote storage: fall through to a temporary copy
    suffix = Path(field_file.name or "").suffix
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        with field_file.open("rb") as source:
            shutil.copyfileobj(source, tmp)
        tmp.flush()
        yield Path(tmp.name)


class LocalByteSource:
    """Spans of a file on this machine, each by a seek and a read."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle

    def read_spans(self, spans: Sequence[tuple[int, int]]) -> list[bytes]:
        out = []
        for offset, length in spans:
            self.handle.seek(offset)
            out.append(self.handle.read(length))
        return out


class S3ByteSource:
    """Spans of one S3 object, each by a GET with a Range header, several at a time.

    Not django-storages' open(): its S3File sends a HEAD, then downloads the whole object to a
    temporary file on the first read, whatever was seeked to.
    """

    def __init__(self, client: Any, bucket: str, key: str) -> None:
        self.client, self.bucket, self.key = client, bucket, key

    def read_spans(self, spans: Sequence[tuple[int, int]]) -> list[bytes]:
        if len(spans) <= 1:
            return [self._read(offset, length) for offset, length in spans]
        with ThreadPoolExecutor(max_workers=RANGE_READ_THREADS) as pool:
            return list(pool.map(lambda span: self._read(*span), spans))

    def _read(self, offset: int, length: int) -> bytes:
        from botocore.exceptions import ClientError

        if length <= 0:
            return b""
        try:
            response = self.client.get_object(
                Bucket=self.bucket, Key=self.key, Range=f"bytes={offset}-{offset + length - 1}"
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code == "InvalidRange":
                return b""  # wholly past the end: a short read, as on a local file
            if code in ("NoSuchKey", "404"):
                raise FileMissing(self.key) from error
            raise
        data: bytes = response["Body"].read()
        return data


@contextmanager
def byte_source(field_file: FieldFile) -> Iterator[LocalByteSource | S3ByteSource]:
    """Reads parts of a stored file without fetching the rest (a ranged read on S3)."""
    if not storage_is_remote():
        path = Path(field_file.path)
        if not path.is_file():
            raise FileMissing(str(path))
        with path.open("rb") as handle:
            yield LocalByteSource(handle)
        return
    storage: Any = field_file.storage
    # The client is taken here, in the request's thread: django-storages makes one per thread,
    # and botocore's clients are safe to share with the reading threads.
    client = storage.connection.meta.client
    yield S3ByteSource(client, storage.bucket_name, s3_key(storage, field_file.name or ""))


def s3_key(storage: Any, name: str) -> str:
    """The object key of a storage name: cleaned, under the storage's location (as its save())."""
    from storages.utils import clean_name, safe_join

    key: str = safe_join(storage.location, clean_name(name))
    return key


def s3_query_signer(storage: Any) -> QuerySigner:
    """Signs URLs for an S3 storage's own endpoint and keys (labelhub.s3_signing)."""
    return QuerySigner(
        storage.endpoint_url, storage.access_key, storage.secret_key, storage.region_name
    )


def store_file(*, path: Path, name: str) -> str:
    """Save a local file under a storage name, refusing to overwrite; returns the stored name."""
    with path.open("rb") as handle:
        return default_storage.save(name, File(handle))


def storage_delete_tree(*, folder: str, keep: frozenset[str] = frozenset()) -> int:
    """Deletes every file under a storage folder except the names in ``keep``; returns the count.

    Works on any storage with listdir (a local folder, S3), where folders are only name prefixes.
    """
    try:
        folders, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return 0
    deleted = 0
    for name in files:
        if f"{folder}/{name}" not in keep:
            default_storage.delete(f"{folder}/{name}")
            deleted += 1
    for sub in folders:
        deleted += storage_delete_tree(folder=f"{folder}/{sub}", keep=keep)
    return deleted


S3_BACKEND = "storages.backends.s3.S3Storage"


def storage_is_remote() -> bool:
    """True when files live in object storage: serve them by presigned redirect, not from disk.

    Read from the setting, not the storage's class: importing django-storages pulls in boto3
    (0.4 s), which processes on the local folder never need.
    """
    return bool(settings.STORAGES["default"]["BACKEND"] == S3_BACKEND)


def presigned_url(*, name: str, content_type: str, filename: str = "") -> str | None:
    """A short-lived GET URL for a stored file (None on a local folder), made for the browser.

    The URL sets the response's Content-Type (and an attachment Content-Disposition when a
    filename is given), so S3 answers like our own views would, Range included.
    """
    if not storage_is_remote():
        return None
    storage: Any = default_storage
    params = {"ResponseContentType": content_type}
    if filename:
        params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
    public = settings.S3_PUBLIC_ENDPOINT_URL
    if not public:
        url: str = storage.url(name, parameters=params)
        return url
    # SigV4 signs the Host header, so a URL for another host must be signed for that host.
    client = _signing_client(public, storage.access_key, storage.secret_key, storage.region_name)
    key = s3_key(storage, name)
    signed: str = client.generate_presigned_url(
        "get_object",
        Params={**params, "Bucket": storage.bucket_name, "Key": key},
        ExpiresIn=storage.querystring_expire,
    )
    return signed


@lru_cache(maxsize=4)
def _signing_client(endpoint: str, access_key: str, secret_key: str, region: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=region,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


# The workbench boosts gain through Web Audio, which hears a cross-origin <audio> only when the
# store answers CORS; without it the browser plays silence once gain is above 1. The origin is
# "*": after the API's redirect to the store, Chromium sends Origin: null, and the presigned URL,
# not the origin, is the credential. Range must be allowed and Content-Range readable for seeks.
AUDIO_CORS_RULES = [
    {
        "AllowedOrigins": ["*"],
        "AllowedMethods": ["GET", "HEAD"],
        "AllowedHeaders": ["Range"],
        "ExposeHeaders": ["Accept-Ranges", "Content-Length", "Content-Range", "ETag"],
        "MaxAgeSeconds": 3600,
    }
]


def storage_bucket_ensure(*, attempts: int = 30) -> bool:
    """Creates the S3 bucket when it is missing (a fresh docker compose store), and gives it a
    CORS rule for the browser's audio unless it has one already; safe to rerun.

    Retries while the store is still starting; returns False on a local folder (nothing to do).
    """
    if not storage_is_remote():
        return False
    from botocore.exceptions import ClientError, EndpointConnectionError

    storage: Any = default_storage
    client = storage.connection.meta.client
    for attempt in range(attempts):
        try:
            existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
            if storage.bucket_name not in existing:
                client.create_bucket(Bucket=storage.bucket_name)
            _bucket_cors_ensure(client, storage.bucket_name)
            return True
        except (EndpointConnectionError, ClientError):
            if attempt == attempts - 1:
                raise
            time.sleep(2)  # the store answers before its metadata server is ready
    return True


def _bucket_cors_ensure(client: Any, bucket: str) -> None:
    """Puts AUDIO_CORS_RULES on a bucket that has no CORS rules; an operator's own are kept."""
    from botocore.exceptions import ClientError

    try:
        client.get_bucket_cors(Bucket=bucket)
        return
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "NoSuchCORSConfiguration":
            raise
    client.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": AUDIO_CORS_RULES})


def storage_reader() -> Callable[[str], bytes]:
    """A function that reads a small stored file's bytes in one request, from any thread.

    On S3 one GET of a presigned URL (labelhub.s3_signing, about 15 us to sign) sent by urllib3
    from a shared pool. botocore's own get_object spends about 3 ms of CPU a call on this
    2-core machine (its event hooks, header and date parsing), and its presigning 0.3 to 0.6 ms,
    against 0.4 ms for the GET (README "Release builds from S3"); a release build reads every
    clip this way. django-storages' open() is slower still: a HEAD, then a transfer manager.
    """
    if not storage_is_remote():
        return _read_whole
    import urllib3

    storage: Any = default_storage
    bucket = storage.bucket_name
    signer = s3_query_signer(storage)
    retries = urllib3.Retry(
        total=READER_RETRIES,
        backoff_factor=0.1,
        status_forcelist=READER_RETRY_STATUSES,
        raise_on_status=False,  # the last answer's status reaches the check below
    )
    http = urllib3.PoolManager(maxsize=READER_CONNECTIONS, retries=retries)

    def read(name: str) -> bytes:
        key = s3_key(storage, name)
        url = signer.object_url(bucket, key, expires_seconds=READER_URL_SECONDS)
        response = http.request("GET", url, timeout=READER_TIMEOUT)
        if response.status == 404:
            raise FileMissing(key)
        if response.status != 200:
            raise OSError(f"the object store answered HTTP {response.status} to a GET of {key}")
        body: bytes = response.data  # urllib3 checks it against Content-Length
        return body

    return read


# Scratch files of local builds, under MEDIA_ROOT (the same file system, so that storing one
# is a hard link) but outside every folder a cleanup deletes: a release's cleanup removes all
# of its folder but the published archive, and a second run of the same build (a redelivery
# beside a requeue) may still be writing there.
SCRATCH_FOLDER = ".scratch"


@contextmanager
def storage_scratch_path(*, name: str) -> Iterator[Path]:
    """A path to write a big file at that will be stored as ``name`` (by storage_move_in).

    On a local folder a file of the scratch folder, on the stored place's file system, so that
    storing it is a link, not a second copy of every byte (a release archive of 300 MB wrote
    600 MB and read it twice); on S3 a temporary folder's. Whatever is still there afterwards
    is deleted; what a killed process left, storage_scratch_sweep deletes later.
    """
    if storage_is_remote():
        with tempfile.TemporaryDirectory() as folder:
            yield Path(folder) / Path(name).name
        return
    scratch_folder = Path(default_storage.path(SCRATCH_FOLDER))
    scratch_folder.mkdir(parents=True, exist_ok=True)
    scratch = scratch_folder / f"{uuid.uuid4().hex}.{Path(name).name}.partial"
    try:
        yield scratch
    finally:
        scratch.unlink(missing_ok=True)


def storage_scratch_sweep(*, unchanged_since: float) -> int:
    """Deletes the scratch files not written to since ``unchanged_since`` (a Unix time), left by
    a process killed while it wrote them; returns the count. A running build writes to its file
    all along, so a file that old has no writer left."""
    if storage_is_remote():
        return 0  # on S3 scratch files lie in the temporary folder of the machine's own process
    folder = Path(default_storage.path(SCRATCH_FOLDER))
    deleted = 0
    for path in folder.glob("*.partial"):
        try:
            if path.stat().st_mtime < unchanged_since:
                path.unlink()
                deleted += 1
        except FileNotFoundError:  # its own run finished meanwhile
            continue
    return deleted


def storage_move_in(*, path: Path, name: str) -> str:
    """Stores the file at ``path`` (from storage_scratch_path) as ``name``, or as the name the
    storage picks when that one is taken, never overwriting; returns the stored name.

    On a local folder a hard link and an unlink: the stored name appears whole or not at all.
    """
    uploaded = storage_upload_file(path=path, name=name)
    if uploaded is not None:
        return uploaded
    validate_file_name(name, allow_relative_path=True)
    stored = default_storage.get_available_name(name)
    target = Path(default_storage.path(stored))
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(path, target)  # FileExistsError rather than an overwrite, should a name collide
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        return store_file(path=path, name=stored)  # from another file system: a copy
    path.unlink()
    permissions = getattr(default_storage, "file_permissions_mode", None)
    if permissions is not None:  # as FileSystemStorage.save leaves its files
        target.chmod(permissions)
    return stored


def storage_upload_file(*, path: Path, name: str) -> str | None:
    """Uploads a big local file to S3 part by part from the disk; returns the stored name, or
    None on a local folder (save it there with store_file).

    django-storages' save() hands boto3 a file object, whose parts boto3 reads into memory,
    up to ten 8 MB parts at a time (~150 MB more resident for a release archive); by file name
    it reads each part from the disk as it sends it. The name is chosen as save() chooses it:
    a name already taken gets a new one (file_overwrite is off), never an overwrite.
    """
    if not storage_is_remote():
        return None
    from boto3.s3.transfer import TransferConfig

    storage: Any = default_storage
    validate_file_name(name, allow_relative_path=True)
    stored: str = storage.get_available_name(name)
    validate_file_name(stored, allow_relative_path=True)
    extra = {"ContentType": "application/zip"} | storage.get_object_parameters(stored)
    storage.connection.meta.client.upload_file(
        str(path),
        storage.bucket_name,
        s3_key(storage, stored),
        ExtraArgs=extra,
        Config=TransferConfig(max_concurrency=UPLOAD_PARTS_AT_ONCE),
    )
    return stored


def _read_whole(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        data: bytes = handle.read()
        return data
