"""Real servers for tests: free ports, plain HTTP, and the production start-up.

`start_server` runs scripts/start.sh as the Dockerfile does; the deploy, HTTP
cache, replica and cluster tests share these instead of each starting its own.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "KB_ENV": "production",
    "SECRET_KEY": "test-" + "x" * 60,
    "ALLOWED_HOSTS": "kb.example.org",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@functools.cache
def _migrated_once() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="kb-migrated-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    env = {**PRODUCTION_ENV, "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}"}
    result = run_manage("migrate", "--noinput", env={**env, "DATA_DIR": str(folder)})
    assert result.returncode == 0, result.stderr
    return folder / "db.sqlite3"


def migrated_database(folder: Path) -> None:
    """Put a freshly migrated SQLite database (no content) in `folder`.

    Migrating takes about 3.5 s; it is done once per test process and copied,
    for tests whose servers are not there to show migrating (the deploy
    tests' own server still starts on an empty database).
    """
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_migrated_once(), folder / "db.sqlite3")


def publish_script(slug: str, sentence: str, *, editor: str) -> str:
    """Code for `manage.py shell -c`: `editor` publishes topic `slug` with `sentence` added.

    For tests whose site runs in other processes: the write comes from another
    process, as from the admin or a script.
    """
    return (
        "from django.contrib.auth.models import User;"
        "from topics.models import Topic;"
        "from topics.services import workflow;"
        f"topic = Topic.objects.get(slug={slug!r});"
        "edit = workflow.suggest_edit(author=None, topic=topic, base=topic.current_revision,"
        " text=workflow.Text(topic.title, topic.summary,"
        f" topic.current_revision.body + '\\n\\n' + {sentence!r}), message='m');"
        f"workflow.publish_revision(revision=edit, by=User.objects.get(username={editor!r}))"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@dataclass
class Server:
    """A production start-up (scripts/start.sh) running in its own process group."""

    process: subprocess.Popen
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)


def start_server(folder: Path, **overrides: str) -> Server:
    """Run scripts/start.sh as the Dockerfile does and wait until /healthz answers."""
    nginx = shutil.which("nginx") or Path("/usr/sbin/nginx").exists()
    if overrides.get("KB_FRONT", "nginx") == "nginx" and not nginx and not os.environ.get("CI"):
        pytest.skip("nginx is not installed (apt-get install nginx); CI installs it")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {
        **os.environ,
        **PRODUCTION_ENV,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "DATA_DIR": str(folder),
        "STATIC_ROOT": str(folder / "static"),
        "SECURE_SSL_REDIRECT": "0",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "PYTHON": sys.executable,
        **overrides,
    }
    # Local memory: nothing a test server counts survives it or reaches the suite's Redis.
    for name in ("REDIS_URL", "CACHE_URL"):
        env.pop(name, None)
    log = folder / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            ["sh", "scripts/start.sh"],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process, port, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"start.sh exited early:\n{server.output()}")
        with contextlib.suppress(OSError):
            status, _, _ = fetch(f"{server.base}/healthz")
            if status == 200:
                return server
        time.sleep(0.3)
    server.stop(signal.SIGKILL)
    pytest.fail(f"the server did not answer /healthz within 60 s:\n{server.output()}")
