"""File responses that honour HTTP Range, so audio seeks and large downloads resume.

Django's FileResponse always sends the whole file. Browsers seek audio with Range requests and
clients resume interrupted downloads with them, so both the workbench's audio and the release
archives go through here. One range per request (what browsers and curl send); a multi-range
request gets the whole file, which RFC 9110 allows.
"""

import os
import re
from pathlib import Path

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import http_date, quote_etag

from labelhub.errors import FileMissing

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK_BYTES = 64 * 1024


def _file_chunks(path: Path, start: int, length: int):
    with path.open("rb") as handle:
        handle.seek(start)
        remaining = length
        while remaining > 0:
            chunk = handle.read(min(CHUNK_BYTES, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """The (start, end) inclusive byte range a single-range header asks for, or None for all.

    Raises ValueError when the range lies wholly outside the file (answered with 416).
    """
    match = _RANGE.match(header.strip())
    if not match or (not match.group(1) and not match.group(2)):
        return None
    first, last = match.group(1), match.group(2)
    if first:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
        if start >= size or end < start:
            raise ValueError("range not satisfiable")
    else:  # "bytes=-500": the last 500 bytes
        suffix = int(last)
        if suffix == 0:
            raise ValueError("range not satisfiable")
        start, end = max(size - suffix, 0), size - 1
    return start, end


def ranged_file_response(
    request: HttpRequest,
    path: Path,
    *,
    content_type: str,
    filename: str | None = None,
    etag: str | None = None,
) -> HttpResponseBase:
    """The file, or the byte range the request asks for (206), with validators for resuming."""
    try:
        stat = path.stat()
    except FileNotFoundError as gone:
        raise FileMissing(str(path)) from gone
    size = stat.st_size
    etag_value = quote_etag(etag) if etag else None
    header = request.headers.get("Range", "")
    if_range = request.headers.get("If-Range")
    # A resumed download of a file that changed since must start over, not splice two versions.
    honour_range = header and (not if_range or (etag_value and if_range == etag_value))
    try:
        byte_range = parse_range(header, size) if honour_range else None
    except ValueError:
        refused = HttpResponse(status=416)
        refused["Content-Range"] = f"bytes */{size}"
        return refused
    if byte_range is None:
        response: HttpResponseBase = FileResponse(path.open("rb"), content_type=content_type)
        response["Content-Length"] = str(size)
    else:
        start, end = byte_range
        length = end - start + 1
        response = StreamingHttpResponse(
            _file_chunks(path, start, length), status=206, content_type=content_type
        )
        response["Content-Length"] = str(length)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["Last-Modified"] = http_date(stat.st_mtime)
    if etag_value:
        response["ETag"] = etag_value
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{os.path.basename(filename)}"'
    return response
