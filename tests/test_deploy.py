"""The production start-up (scripts/start.sh, as the Dockerfile runs it) and settings."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
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


def test_check_deploy_with_production_settings_reports_nothing(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={**PRODUCTION_ENV, "DATA_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_required_settings(tmp_path, missing):
    env = {**PRODUCTION_ENV, "DATA_DIR": str(tmp_path), missing: ""}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert f"{missing} is required when KB_ENV=production" in result.stderr


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


def test_start_script_migrates_collects_static_and_serves_with_gunicorn(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        **PRODUCTION_ENV,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DATA_DIR": str(tmp_path),
        "STATIC_ROOT": str(tmp_path / "static"),
        "SECURE_SSL_REDIRECT": "0",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "PYTHON": sys.executable,
    }
    server = subprocess.Popen(
        ["sh", "scripts/start.sh"], cwd=BASE_DIR, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            if server.poll() is not None:
                pytest.fail(f"start.sh exited early:\n{server.stdout.read()}")
            try:
                status, _, body = fetch(f"{base}/healthz")
                if status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("gunicorn did not answer /healthz within 60 s")
        assert body == b'{"status": "ok", "database": "ok"}'
        status, _, page = fetch(f"{base}/")
        assert status == 200
        css = page.decode().split('href="/static/css/site.', 1)[1].split('"', 1)[0]
        status, headers, _ = fetch(f"{base}/static/css/site.{css}", {"Accept-Encoding": "gzip"})
        assert status == 200
        assert headers.get("Content-Encoding") == "gzip"
        assert "immutable" in headers.get("Cache-Control", "")
    finally:
        server.terminate()
        server.wait(timeout=20)


def database_settings(env: dict[str, str]) -> dict:
    script = (
        "import json; from django.conf import settings; "
        "db = settings.DATABASES['default']; "
        "print(json.dumps({'max_age': db['CONN_MAX_AGE'], 'options': db.get('OPTIONS', {})}))"
    )
    result = run_manage("shell", "-c", script, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_psycopg_pool_comes_with_conn_max_age_zero(tmp_path):
    env = {"DATA_DIR": str(tmp_path), "DATABASE_URL": "postgres://u@127.0.0.1:5432/kb"}
    pooled = database_settings({**env, "DATABASE_POOL": "1", "CONN_MAX_AGE": "600"})
    assert pooled["options"]["pool"] and pooled["max_age"] == 0
    plain = database_settings({**env, "CONN_MAX_AGE": "600"})
    assert "pool" not in plain["options"] and plain["max_age"] == 600
