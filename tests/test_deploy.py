"""The production start-up (scripts/start.sh, as the Dockerfile runs it) and settings."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import select
import signal
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.servers import (
    PRODUCTION_ENV,
    fetch,
    migrated_database,
    run_manage,
    start_server,
)

# Every test here runs scripts/start.sh or manage.py on a database of its own.
pytestmark = pytest.mark.own_servers


def test_check_deploy_with_production_settings_reports_nothing(tmp_path):
    # Production counts rate limits in a shared Redis (topics.W001 otherwise); the
    # check reads the setting and connects to nothing.
    redis = {"REDIS_URL": "redis://127.0.0.1:6379/0"}
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={**PRODUCTION_ENV, **redis, "DATA_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_required_settings(tmp_path, missing):
    env = {**PRODUCTION_ENV, "DATA_DIR": str(tmp_path), missing: ""}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert f"{missing} is required when KB_ENV=production" in result.stderr


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The shipped start-up with demo content: nginx in front of 2 gunicorn workers.

    It starts on an empty database, which start.sh migrates; the demo content is
    loaded after, from another process, as an operator would.
    """
    folder = tmp_path_factory.mktemp("production")
    env = {
        **PRODUCTION_ENV,
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "DATA_DIR": str(folder),
    }
    running = start_server(folder)
    result = run_manage("load_demo", env=env)
    assert result.returncode == 0, result.stderr
    yield running
    running.stop()


TOPIC = "/topics/how-topics-are-curated/"


def test_start_script_migrates_collects_static_and_serves_with_gunicorn(server):
    status, _, body = fetch(f"{server.base}/healthz")
    assert status == 200
    assert body == b'{"status": "ok"}'
    status, _, body = fetch(f"{server.base}/readyz")
    assert status == 200
    assert json.loads(body) == {"status": "ok", "database": "ok", "cache": "ok", "migrations": "ok"}
    status, _, page = fetch(f"{server.base}/")
    assert status == 200
    css = page.decode().split('href="/static/css/site.', 1)[1].split('"', 1)[0]
    status, headers, _ = fetch(f"{server.base}/static/css/site.{css}", {"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers.get("Content-Encoding") == "gzip"
    assert "immutable" in headers.get("Cache-Control", "")


def timed_fetch(url: str) -> tuple[int, float]:
    """Fetch `url` with a 5 s client timeout; return the status and the seconds it took."""
    started = time.monotonic()
    try:
        status, _, _ = fetch(url)
    except OSError as error:
        pytest.fail(f"{url} did not answer within 5 s while slow clients were connected: {error}")
    return status, time.monotonic() - started


@contextlib.contextmanager
def slow_clients(port: int, count: int = 50):
    """`count` connections, each sending a request header a few bytes at a time, never ending it."""
    sockets = []
    stop = threading.Event()

    def trickle():
        deadline = time.monotonic() + 60
        while not stop.wait(0.5) and time.monotonic() < deadline:
            for sock in sockets:
                with contextlib.suppress(OSError):
                    sock.send(b"ab")

    try:
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            sockets.append(sock)
        worker = threading.Thread(target=trickle, daemon=True)
        worker.start()
        time.sleep(1)  # every slow client has been accepted and is mid-header
        yield
    finally:
        stop.set()
        for sock in sockets:
            sock.close()


def test_slow_clients_do_not_keep_readers_waiting(server):
    with slow_clients(server.port, count=50):
        health, health_seconds = timed_fetch(f"{server.base}/healthz")
        page, page_seconds = timed_fetch(f"{server.base}{TOPIC}")
    print(f"with 50 slow clients: /healthz {health_seconds:.3f} s, topic page {page_seconds:.3f} s")
    assert (health, page) == (200, 200)


def raw_response(sock: socket.socket, timeout: float = 5) -> bytes:
    """Read one HTTP response from `sock`: its header and a body of Content-Length bytes."""
    sock.settimeout(timeout)
    data = b""
    with contextlib.suppress(OSError):
        while chunk := sock.recv(65536):
            data += chunk
            head, found, body = data.partition(b"\r\n\r\n")
            length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
            if found and length and len(body) >= int(length.group(1)):
                break
    return data


UPLOAD_HEAD = (
    "POST /markdownx/upload/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    "Content-Type: multipart/form-data; boundary=x\r\n"
)


def test_front_refuses_a_200_mb_upload_before_reading_its_body(server):
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(f"{UPLOAD_HEAD}Content-Length: 200000000\r\n\r\n".encode())
        sock.sendall(b"--x\r\nContent-Disposition: form-data; name=image\r\n\r\n" + b"a" * 65536)
        answer = raw_response(sock)
    print(f"200 MB upload refused after {time.monotonic() - started:.3f} s")
    assert answer.startswith(b"HTTP/1.1 413")
    assert b"Request too large: this site accepts at most 5.2 MB in one request." in answer


def send_chunked_upload(port: int, most: int = 50) -> tuple[int, bytes]:
    """Stream a chunked upload 1 MiB at a time until the server answers (at most `most` MiB).

    Returns the MiB sent and the answer.
    """
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(f"{UPLOAD_HEAD}Transfer-Encoding: chunked\r\n\r\n".encode())
        chunk = b"100000\r\n" + b"a" * 0x100000 + b"\r\n"
        while sent < most and not select.select([sock], [], [], 0)[0]:
            try:
                sock.sendall(chunk)
            except OSError:
                break
            sent += 1
        return sent, raw_response(sock)


def test_front_refuses_a_chunked_upload_once_it_passes_the_limit(server):
    sent, answer = send_chunked_upload(server.port)
    print(f"chunked upload refused after {sent} MiB")
    assert answer.startswith(b"HTTP/1.1 413")
    assert sent < 20


def signup_form(base: str) -> tuple[str, str]:
    """GET the sign-up page like a browser: its CSRF cookie and the form's token."""
    status, headers, page = fetch(f"{base}/accounts/signup/")
    assert status == 200
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    token = page.decode().split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    return cookie, token


def post_signup(port: int, cookie: str, token: str, source: str, forged: str) -> int:
    """POST an invalid sign-up from address `source`, claiming to forward for `forged`."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=5, source_address=(source, 0)
    )
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": ""})
    headers = {
        "Cookie": cookie,
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Forwarded-For": forged,
        "X-Real-IP": forged,
    }
    try:
        connection.request("POST", "/accounts/signup/", body, headers)
        return connection.getresponse().status
    finally:
        connection.close()


REFUSED = {403, 429}  # a rate limit's refusal


def test_rate_limits_count_each_client_address_behind_the_front(server):
    cookie, token = signup_form(server.base)
    # 10 sign-ups an hour per address and per worker: 21 attempts over 2 workers
    # must meet the limit, whatever address the requests claim to forward for.
    forged = [
        post_signup(server.port, cookie, token, "127.0.0.1", f"10.0.0.{n}") for n in range(21)
    ]
    assert forged[0] == 200
    assert set(forged) & REFUSED, forged
    assert set(forged) <= {200} | REFUSED, forged
    # Another client (127.0.0.2) still has its own allowance.
    assert post_signup(server.port, cookie, token, "127.0.0.2", "10.0.0.1") == 200


def test_behind_a_trusted_proxy_its_forwarded_address_is_the_client(tmp_path):
    migrated_database(tmp_path)
    running = start_server(tmp_path, KB_TRUSTED_PROXIES="127.0.0.1, 10.0.0.0/8")
    try:
        cookie, token = signup_form(running.base)
        own = [
            post_signup(running.port, cookie, token, "127.0.0.1", f"10.0.0.1, 203.0.113.{n}")
            for n in range(21)
        ]
        assert own == [200] * 21  # 21 clients, each with its own allowance
        same = [
            post_signup(running.port, cookie, token, "127.0.0.1", "203.0.113.250")
            for _ in range(21)
        ]
        assert set(same) & REFUSED, same
        # An address not listed cannot forward for anyone: 127.0.0.2 is itself the client.
        other = [
            post_signup(running.port, cookie, token, "127.0.0.2", f"203.0.113.{n}")
            for n in range(21)
        ]
        assert set(other) & REFUSED, other
    finally:
        running.stop()


def processes_in_group(group: int) -> list[str]:
    """The command lines of the live processes in process group `group`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if fields[0] != "Z" and int(fields[2]) == group:
                found.append((stat.parent / "cmdline").read_text().replace("\0", " "))
    return found


def test_sigterm_stops_nginx_and_gunicorn_cleanly(tmp_path):
    migrated_database(tmp_path)
    running = start_server(tmp_path)
    status, headers, _ = fetch(f"{running.base}/healthz")
    assert (status, headers["Server"]) == (200, "nginx")
    assert any("nginx: master" in line for line in processes_in_group(running.process.pid))
    assert running.stop(signal.SIGTERM) == 0
    assert processes_in_group(running.process.pid) == []
    with pytest.raises(OSError):
        fetch(f"{running.base}/healthz")


def test_start_script_exits_when_gunicorn_dies(tmp_path):
    migrated_database(tmp_path)
    running = start_server(tmp_path)
    group = running.process.pid
    master = next(
        int(stat.parent.name)
        for stat in Path("/proc").glob("[0-9]*/stat")
        if "gunicorn" in (stat.parent / "cmdline").read_text(errors="replace")
        and int(stat.read_text().rsplit(")", 1)[1].split()[1]) == group
    )
    os.kill(master, signal.SIGKILL)
    assert running.process.wait(timeout=20) != 0
    assert "nginx or gunicorn exited" in running.output()
    assert not any("nginx" in line for line in processes_in_group(group))


def test_without_the_front_gunicorn_answers_directly(tmp_path):
    migrated_database(tmp_path)
    running = start_server(tmp_path, KB_FRONT="none")
    try:
        status, headers, body = fetch(f"{running.base}/healthz")
        assert (status, body) == (200, b'{"status": "ok"}')
        assert headers["Server"].startswith("gunicorn")
        assert not any("nginx" in line for line in processes_in_group(running.process.pid))
        # Django reads no body without a Content-Length: refused, the body left unread.
        sent, answer = send_chunked_upload(running.port)
        assert re.match(rb"HTTP/1.1 4\d\d ", answer), answer[:100]
        assert sent < 20
    finally:
        running.stop()


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
