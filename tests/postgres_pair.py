"""A real PostgreSQL primary and streaming replica (scripts/postgres_pair.sh), a private
Redis and the app serving both with gunicorn, for the replica and outage tests.

These tests run when the suite runs on PostgreSQL (DATABASE_URL=postgres://...) and
skip otherwise, unless KB_REQUIRE_CLUSTER=1 (CI's PostgreSQL pass) makes that a failure.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.servers import free_port

BASE_DIR = Path(__file__).resolve().parent.parent
PAIR = BASE_DIR / "scripts" / "postgres_pair.sh"
DATABASE = "kb_a_pair"
PASSWORD = "a-long-test-password"  # tests.factories.make_user's


def skip_reason() -> str:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return "the replica tests run with the PostgreSQL suite (DATABASE_URL=postgres://...)"
    if not list(Path("/usr/lib/postgresql").glob("*/bin/pg_basebackup")):
        return "the PostgreSQL server binaries are not installed (apt-get install postgresql)"
    if not shutil.which("redis-server"):
        return "redis-server is not installed (apt-get install redis-server)"
    if os.geteuid() != 0 and os.environ.get("USER") != "postgres":
        return "scripts/postgres_pair.sh runs as root or as postgres"
    return ""


def require_cluster() -> None:
    """Skip with the reason, or fail when KB_REQUIRE_CLUSTER=1."""
    reason = skip_reason()
    if reason:
        if os.environ.get("KB_REQUIRE_CLUSTER") == "1":
            pytest.fail(f"KB_REQUIRE_CLUSTER=1: {reason}")
        pytest.skip(reason)


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: str
    cookies: dict[str, str]


@dataclass
class Site:
    """The pair, a Redis and gunicorn serving the app on them, in a folder of their own."""

    folder: Path
    primary_port: int = field(default_factory=free_port)
    replica_port: int = field(default_factory=free_port)
    redis_port: int = field(default_factory=free_port)
    port: int = field(default_factory=free_port)
    redis: subprocess.Popen | None = None
    server: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "KB_ENV": "development",
            "DEBUG": "0",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{self.primary_port}/{DATABASE}",
            "DATABASE_REPLICA_URL": f"postgres://postgres@127.0.0.1:{self.replica_port}/{DATABASE}",
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "DATA_DIR": str(self.folder / "data"),
            "SILENCED_SYSTEM_CHECKS": "topics.W001",
            "KB_REPLICA_PIN_SECONDS": "30",
        }
        env.pop("CACHE_URL", None)
        return env

    # --- PostgreSQL -------------------------------------------------------------

    def pair(self, command: str, *args: str) -> str:
        result = subprocess.run(
            ["bash", str(PAIR), command, str(self.folder / "pg"), *args],
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, (
            f"postgres_pair.sh {command}:\n{result.stdout}{result.stderr}"
        )
        return result.stdout

    def start_pair(self) -> None:
        self.pair("start", str(self.primary_port), str(self.replica_port), DATABASE)

    def sql(self, port: int, statement: str) -> str:
        result = subprocess.run(
            ["psql", "-X", "-A", "-t", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres"]
            + ["-d", DATABASE, "-c", statement],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def replica_sql(self, statement: str) -> str:
        return self.sql(self.replica_port, statement)

    def wait_replica_caught_up(self) -> None:
        target = self.sql(self.primary_port, "SELECT pg_current_wal_lsn()")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            behind = self.replica_sql(f"SELECT pg_last_wal_replay_lsn() < '{target}'::pg_lsn")
            if behind == "f":
                return
            time.sleep(0.1)
        pytest.fail("the replica did not catch up within 30 s")

    # --- Redis ------------------------------------------------------------------

    def start_redis(self) -> None:
        self.redis = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.redis_port)]
            + ["--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            address = ("127.0.0.1", self.redis_port)
            with contextlib.suppress(OSError), socket.create_connection(address, 1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return
            time.sleep(0.1)
        pytest.fail("redis-server did not start")

    def stop_redis(self) -> None:
        if self.redis is not None and self.redis.poll() is None:
            self.redis.terminate()
            self.redis.wait(timeout=10)

    # --- The app ----------------------------------------------------------------

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stderr}"
        return result.stdout

    def start_server(self) -> None:
        self.log = (self.folder / "gunicorn.log").open("w")
        self.server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "kb.wsgi", "--bind", f"127.0.0.1:{self.port}"]
            + ["--workers", "2", "--timeout", "30", "--graceful-timeout", "5"],
            cwd=BASE_DIR,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                pytest.fail(f"gunicorn exited early:\n{self.output()}")
            with contextlib.suppress(OSError):
                if self.get("/readyz").status == 200:
                    return
            time.sleep(0.3)
        pytest.fail(f"gunicorn did not become ready within 60 s:\n{self.output()}")

    def output(self) -> str:
        return (self.folder / "gunicorn.log").read_text(errors="replace")

    def request(
        self, method: str, path: str, *, cookies: dict[str, str] | None = None, body=None, **headers
    ) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        headers = {key.replace("_", "-"): value for key, value in headers.items()}
        if cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        if body is not None:
            body = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body, headers)
            response = connection.getresponse()
            content = response.read().decode(errors="replace")
        finally:
            connection.close()
        set_cookies = {}
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                set_cookies[pair.split("=", 1)[0]] = pair.split("=", 1)[1]
        return Answer(response.status, response.headers, content, set_cookies)

    def get(self, path: str, **kwargs) -> Answer:
        return self.request("GET", path, **kwargs)

    def sign_in(self, username: str, password: str = PASSWORD) -> dict[str, str]:
        """Sign in as a browser would; the cookies it then holds."""
        form = self.get("/accounts/login/")
        cookies = dict(form.cookies)
        token = form.body.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
        answer = self.request(
            "POST",
            "/accounts/login/",
            cookies=cookies,
            body={"csrfmiddlewaretoken": token, "username": username, "password": password},
        )
        cookies.update(answer.cookies)
        cookies["status"] = str(answer.status)
        return cookies

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)
        self.stop_redis()
        with contextlib.suppress(AssertionError, subprocess.TimeoutExpired):
            self.pair("destroy")
        shutil.rmtree(self.folder, ignore_errors=True)


SETUP = """
from tests.factories import make_editor, make_stakeholder
make_editor("pair-editor")
make_stakeholder("pair-reader")
"""


@contextlib.contextmanager
def running_site():
    """A primary, its replica, a Redis and gunicorn on demo content (torn down at the end)."""
    require_cluster()
    # Not under pytest's tmp_path: its folders are private to root, and PostgreSQL runs as postgres.
    site = Site(Path(tempfile.mkdtemp(prefix="kb_a_pair_")))
    site.folder.chmod(0o711)  # postgres_pair.sh makes pg/ inside it, owned by postgres
    try:
        site.start_pair()
        site.start_redis()
        site.manage("migrate", "--noinput")
        site.manage("load_demo")
        site.manage("shell", "-c", SETUP)
        site.start_server()
        yield site
    finally:
        site.stop()
