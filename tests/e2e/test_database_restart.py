"""PostgreSQL restarted under load: gunicorn survives, answers again within seconds, and every
write it acknowledged is in the database.

The shared PostgreSQL is never touched: the test makes a private cluster on a free port, as the
postgres user, and removes it afterwards.
"""

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path(next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin"))), "/nonexistent"))
WRITERS = 3
BACK_WITHIN_S = 5.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def as_postgres(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["runuser", "-u", "postgres", "--", *command],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


@dataclass
class Cluster:
    folder: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/labelhub"

    def pg_ctl(self, *args: str) -> None:
        log = str(self.folder / "server.log")
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.folder / "data"), "-l", log,
                    "-o", options, "-w", *args)  # fmt: skip


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    if not (PG_BIN / "initdb").exists() or os.geteuid() != 0:
        pytest.skip("needs PostgreSQL's server binaries and root, to run them as postgres")
    folder = Path(tempfile.mkdtemp(prefix="lh-pg-"))
    shutil.chown(folder, "postgres", "postgres")
    made = Cluster(folder=folder, port=free_port())
    try:
        as_postgres(str(PG_BIN / "initdb"), "-D", str(folder / "data"), "-A", "trust", "-U",
                    "postgres")  # fmt: skip
        made.pg_ctl("start")
        as_postgres(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(made.port), "labelhub")
        yield made
    finally:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D",
             str(folder / "data"), "-m", "immediate", "stop"],
            capture_output=True, timeout=60,
        )  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)


def app_env(cluster: Cluster, media: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": cluster.url,
        # Persistent connections are what a restart breaks; health checks must mend them.
        "DATABASE_CONN_MAX_AGE": "60",
        "DEBUG": "0",
        "SECRET_KEY": "database-restart-test",
        "MEDIA_ROOT": str(media),
    }


def prepare(env: dict[str, str]) -> tuple[str, int]:
    """Migrates the private database; returns a PM's API token and a client's id."""
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True, timeout=300, cwd=ROOT)
    script = (
        "from rest_framework.authtoken.models import Token;"
        "from labelhub.accounts.models import Organisation, User;"
        "org = Organisation.objects.create(name='Acme', kind='client');"
        "pm = User.objects.create_user('pm', password='x-pass-1234', role='pm');"
        "print(Token.objects.create(user=pm).key, org.pk)"
    )
    done = subprocess.run(
        [*manage, "shell", "-c", script], env=env, check=True, timeout=120, cwd=ROOT,
        capture_output=True, text=True,
    )  # fmt: skip
    key, client_id = done.stdout.split()[-2:]
    return key, int(client_id)


@pytest.fixture
def gunicorn_factory() -> Iterator:
    started: list[subprocess.Popen] = []

    def start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "labelhub.wsgi", "-b",
             f"127.0.0.1:{port}", "-w", "2", "--timeout", "30"],
            env=env, cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        started.append(server)
        return server

    yield start
    for server in started:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()


class Api:
    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token

    def call(self, method: str, path: str, body: dict | None = None) -> int:
        request = urllib.request.Request(
            self.base + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Token {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return 0


@dataclass
class Load:
    api: Api
    client_id: int
    stop: threading.Event = field(default_factory=threading.Event)
    running: threading.Event = field(default_factory=threading.Event)
    acknowledged: list[str] = field(default_factory=list)
    # (when the request was sent, its status), to judge the requests sent after the restart.
    statuses: list[tuple[float, int]] = field(default_factory=list)

    def send(self, method: str, body: dict | None = None) -> int:
        sent = time.monotonic()
        status = self.api.call(method, "/api/campaigns/", body)
        self.statuses.append((sent, status))
        return status

    def write(self, writer: int) -> None:
        number = 0
        while not self.stop.is_set():
            self.running.wait(timeout=1)
            if not self.running.is_set():
                continue
            name = f"restart-{writer}-{number}"
            body = {"name": name, "client": self.client_id, "language": "en"}
            if 200 <= self.send("POST", body) < 300:
                self.acknowledged.append(name)
            self.send("GET")
            number += 1
            time.sleep(0.05)


def wait_for_ok(api: Api, *, within: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < within:
        if api.call("GET", "/api/campaigns/") == 200:
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"the app did not answer 200 within {within} s")


def restart(cluster: Cluster, api: Api, then=lambda: None) -> tuple[float, float]:
    """Restarts PostgreSQL; returns when it was back and how soon after the app answered 200."""
    cluster.pg_ctl("restart", "-m", "fast")  # -w: returns once PostgreSQL accepts again
    postgres_back = time.monotonic()
    then()
    return postgres_back, wait_for_ok(api, within=BACK_WITHIN_S)


def stored_campaign_names(cluster: Cluster) -> set[str]:
    with psycopg.connect(cluster.url) as db:
        return {name for (name,) in db.execute("SELECT name FROM campaigns_campaign")}


def test_the_app_recovers_from_a_postgresql_restart_and_loses_no_acknowledged_write(
    cluster: Cluster, gunicorn_factory, tmp_path: Path
) -> None:
    env = app_env(cluster, tmp_path / "media")
    token, client_id = prepare(env)
    port = free_port()
    server = gunicorn_factory(env, port, tmp_path / "gunicorn.log")
    api = Api(f"http://127.0.0.1:{port}", token)
    wait_for_ok(api, within=60)
    load = Load(api=api, client_id=client_id)
    writers = [threading.Thread(target=load.write, args=(n,)) for n in range(WRITERS)]
    for writer in writers:
        writer.start()
    load.running.set()
    try:
        time.sleep(2)
        before = len(load.acknowledged)
        back = [restart(cluster, api)]  # in the middle of the load
        time.sleep(1)
        # Again with the load paused: every worker now holds a connection the restart killed.
        load.running.clear()
        time.sleep(1)
        back.append(restart(cluster, api, then=load.running.set))
        time.sleep(2)
    finally:
        load.stop.set()
        for writer in writers:
            writer.join(timeout=30)

    log = (tmp_path / "gunicorn.log").read_text(errors="replace")[-3000:]
    assert server.poll() is None, log
    assert before > 0 and len(load.acknowledged) > before, (before, load.acknowledged)
    for postgres_back, answered_after in back:
        assert answered_after < BACK_WITHIN_S
        # Once PostgreSQL is back, no request fails on a connection the restart killed.
        after = [status for sent, status in load.statuses if sent > postgres_back]
        assert after and all(200 <= status < 300 for status in after), after
    assert set(load.acknowledged) <= stored_campaign_names(cluster)
    assert api.call("GET", "/api/campaigns/") == 200
