"""The image and docker-compose.yml, built and run for real with podman.

Slow (a minute or more), so skipped unless KB_CONTAINER_TESTS=1; CI runs it as its own
step (.ci/containers) after scripts/podman_setup.sh, which sets podman up on this machine
kind (stand-ins for the official images, podman-compose 1.6 in a venv).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    os.environ.get("KB_CONTAINER_TESTS") != "1",
    reason="builds and runs containers: set KB_CONTAINER_TESTS=1 (after scripts/podman_setup.sh)",
)

BASE_DIR = Path(__file__).resolve().parent.parent
IMAGE = os.environ.get("KB_TEST_IMAGE", "localhost/kb:test")
PODMAN_COMPOSE = os.environ.get("PODMAN_COMPOSE") or (
    "/opt/kb-podman-compose/bin/podman-compose"
    if Path("/opt/kb-podman-compose/bin/podman-compose").exists()
    else shutil.which("podman-compose") or "podman-compose"
)
TOPIC = "/topics/how-topics-are-curated/"
SECRET = "container-test-" + "s" * 50
# Every container and compose project a run starts is named with this prefix
# (.ci/containers removes any left behind by a run that was killed).
PREFIX = "kb_test_"


def podman(*args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
    result = subprocess.run(
        ["podman", *args], capture_output=True, text=True, timeout=timeout, cwd=BASE_DIR
    )
    if check and result.returncode != 0:
        pytest.fail(f"podman {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Phases:
    """Wall-clock time of each phase, printed (never asserted)."""

    started: float = field(default_factory=time.monotonic)

    def done(self, name: str) -> None:
        now = time.monotonic()
        print(f"[containers] {name}: {now - self.started:.1f} s")
        self.started = now


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def cookies(self) -> dict[str, str]:
        pairs = (line.split(";", 1)[0] for line in self.headers.get_all("Set-Cookie") or [])
        return dict(pair.split("=", 1) for pair in pairs)


def request(port: int, method: str, path: str, body: bytes = b"", **headers: str) -> Answer:
    """One HTTP request to 127.0.0.1:port, redirects not followed."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body or None, {"Host": "127.0.0.1", **headers})
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


def wait_for(check, what: str, seconds: float = 180, logs=lambda: "") -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, http.client.HTTPException):
            if check():
                return
        time.sleep(1)
    pytest.fail(f"{what} within {seconds:.0f} s\n{logs()}")


def healthy(name: str) -> bool:
    """Run the container's health check now (nothing schedules it without systemd)."""
    return podman("healthcheck", "run", name, check=False).returncode == 0


# A client inside an app container: GET a URL with a cookie, print the status and the
# body's SHA-256 (the image has python, not curl).
INSIDE_GET = """
import hashlib, sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1], headers={"Cookie": sys.argv[2], "Host": "127.0.0.1"})
class Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args): return None
try:
    with urllib.request.build_opener(Stay).open(req, timeout=10) as r:
        print(r.status, hashlib.sha256(r.read()).hexdigest())
except urllib.error.HTTPError as e:
    print(e.code, "-")
"""


# The real user id of every process in a container.
PROCESS_UIDS = """
import os
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        status = open(f"/proc/{pid}/status").read()
    except OSError:
        continue
    print(status.split("Uid:", 1)[1].split()[0])
"""


def get_inside(container: str, path: str, cookie: str = "") -> tuple[int, str]:
    """GET `path` from the app in `container` directly (not through the balancer)."""
    out = podman(
        "exec", container, "python", "-c", INSIDE_GET, f"http://127.0.0.1:8000{path}", cookie
    )
    status, digest = out.stdout.split()
    return int(status), digest


@pytest.fixture(scope="module")
def image():
    phases = Phases()
    result = podman("build", "--format", "docker", "--pull=never", "-t", IMAGE, ".")
    phases.done(f"podman build --format docker ({IMAGE})")
    assert "STEP" in result.stdout
    return IMAGE


# --- the image alone -----------------------------------------------------------------


@pytest.fixture(scope="module")
def smoke(image):
    """The image started as `docker run` would, on SQLite, with nginx and Varnish in front."""
    phases = Phases()
    name = f"{PREFIX}smoke_{uuid.uuid4().hex[:8]}"
    port = free_port()
    env = {
        "SECRET_KEY": SECRET,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "KB_HTTP_CACHE": "varnish",
        "SILENCED_SYSTEM_CHECKS": "topics.W001",  # one container: per-process limits are fine
    }
    flags = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
    podman("run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:8000", *flags, image)
    try:
        logs = lambda: podman("logs", name, check=False).stderr[-4000:]  # noqa: E731
        wait_for(lambda: request(port, "GET", "/healthz").status == 200, "/healthz", 120, logs)
        phases.done("image started, /healthz answers")
        yield name, port
    finally:
        podman("rm", "-f", "-v", name, check=False)


def test_image_answers_healthz_and_its_health_check_passes(smoke):
    name, port = smoke
    answer = request(port, "GET", "/healthz")
    assert answer.status == 200 and json.loads(answer.body)["status"] == "ok"
    assert healthy(name)
    ready = request(port, "GET", "/readyz")
    assert ready.status == 200 and json.loads(ready.body)["database"] == "ok"


def test_image_runs_every_process_as_a_user_other_than_root(smoke):
    name, _ = smoke
    assert podman("exec", name, "id", "-u").stdout.strip() == "10001"
    # gunicorn, nginx, varnishd and start.sh itself (the image has no ps).
    uids = podman("exec", name, "python", "-c", PROCESS_UIDS).stdout.split()
    assert len(uids) >= 5 and set(uids) == {"10001"}, uids


def test_image_serves_a_reader_page_through_nginx_and_varnish(smoke):
    name, port = smoke
    podman("exec", name, "python", "manage.py", "load_demo")
    first = request(port, "GET", TOPIC)
    assert first.status == 200, first.body[:500]
    assert b"How topics are curated" in first.body
    assert first.headers["Server"] == "nginx"
    again = request(port, "GET", TOPIC)
    assert again.status == 200 and again.headers["X-Cache"] == "HIT"


# --- docker-compose.yml ----------------------------------------------------------------


@dataclass
class Deployment:
    project: str
    port: int
    containers: dict[str, str]  # service -> container name

    def logs(self, service: str) -> str:
        result = podman("logs", self.containers[service], check=False)
        return result.stdout + result.stderr

    def all_logs(self) -> str:
        return "\n".join(f"--- {s}\n{self.logs(s)[-3000:]}" for s in self.containers)

    def get(self, path: str, **headers: str) -> Answer:
        return request(self.port, "GET", path, **headers)

    def psql(self, service: str, sql: str) -> str:
        args = ["psql", "-h", "127.0.0.1", "-U", "kb", "-d", "kb", "-Atc", sql]
        return podman("exec", self.containers[service], *args).stdout.strip()


def compose(project: str, env: dict[str, str], *args: str, check: bool = True):
    result = subprocess.run(
        [PODMAN_COMPOSE, "-p", project, "-f", "docker-compose.yml", *args],
        cwd=BASE_DIR,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check and result.returncode != 0:
        pytest.fail(f"podman-compose {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def remove_project(project: str) -> None:
    """Everything the project started: containers with their anonymous volumes, named
    volumes, the network."""
    label = f"label=io.podman.compose.project={project}"
    ids = podman("ps", "-a", "-q", "--filter", label, check=False).stdout.split()
    if ids:
        podman("rm", "-f", "-v", "-t", "5", *ids, check=False)
    volumes = podman("volume", "ls", "-q", "--filter", label, check=False).stdout.split()
    if volumes:
        podman("volume", "rm", "-f", *volumes, check=False)
    podman("network", "rm", "-f", f"{project}_default", check=False)


@pytest.fixture(scope="module")
def deployment(image):
    """docker-compose.yml up under a fresh project name, healthy; torn down whatever happens."""
    if not shutil.which(PODMAN_COMPOSE) and not Path(PODMAN_COMPOSE).exists():
        pytest.fail("podman-compose not found: run scripts/podman_setup.sh")
    phases = Phases()
    project = f"{PREFIX}{uuid.uuid4().hex[:8]}"
    port = free_port()
    env = {
        "KB_IMAGE": image,
        "KB_PORT": str(port),
        "SECRET_KEY": SECRET,
        "POSTGRES_PASSWORD": uuid.uuid4().hex,
        "REPLICATION_PASSWORD": uuid.uuid4().hex,
        "KB_SITE_URL": f"http://127.0.0.1:{port}",
    }
    try:
        compose(project, env, "up", "-d", "--no-build")
        phases.done(f"podman-compose up -d ({project})")
        names = podman(
            "ps", "-a", "--filter", f"label=io.podman.compose.project={project}", "--format", "json"
        ).stdout
        containers = {
            c["Labels"]["io.podman.compose.service"]: c["Names"][0] for c in json.loads(names)
        }
        running = Deployment(project, port, containers)
        assert set(containers) == {"balancer", "app1", "app2", "db", "db-replica", "redis"}
        wait_for(
            lambda: all(healthy(name) for name in containers.values()),
            "every service healthy",
            240,
            running.all_logs,
        )
        phases.done("every service healthy (podman healthcheck run)")
        yield running
        phases.done("checks through the balancer")
    finally:
        # podman rm -v first: podman-compose's down leaves the apps' anonymous /data volumes.
        remove_project(project)
        compose(project, env, "down", "-v", "-t", "5", check=False)
        remove_project(project)
        phases.done("torn down")


def test_compose_serves_pages_through_the_balancer_from_both_apps(deployment):
    ready = deployment.get("/readyz")
    assert ready.status == 200, ready.body
    assert json.loads(ready.body)["replica"] == "ok"  # DATABASE_REPLICA_URL is in use
    podman("exec", deployment.containers["app1"], "python", "manage.py", "load_demo")
    probe = uuid.uuid4().hex
    for n in range(8):
        page = deployment.get(f"{TOPIC}?probe={probe}-{n}")
        assert page.status == 200
        assert b"How topics are curated" in page.body
    served = {app: deployment.logs(app).count(probe) for app in ("app1", "app2")}
    print(f"requests served: {served}")
    assert all(served.values()), served


def test_compose_migrates_the_fresh_database_once(deployment):
    rows, distinct = deployment.psql(
        "db", "SELECT count(*), count(DISTINCT (app, name)) FROM django_migrations"
    ).split("|")
    assert int(rows) == int(distinct) > 0
    applied = [app for app in ("app1", "app2") if "Applying topics." in deployment.logs(app)]
    assert len(applied) == 1, applied
    assert healthy(deployment.containers["app1"]) and healthy(deployment.containers["app2"])


def test_compose_replica_streams_the_primary(deployment):
    migrations = deployment.psql("db", "SELECT count(*) FROM django_migrations")
    wait_for(
        lambda: (
            deployment.psql(
                "db-replica", "SELECT pg_is_in_recovery(), count(*) FROM django_migrations"
            )
            == f"t|{migrations}"
        ),
        "the replica in recovery with the primary's migrations",
        60,
    )


def multipart(field_name: str, filename: str, data: bytes, **fields: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field_name}"; '
        f'filename="{filename}"\r\nContent-Type: image/png\r\n\r\n'.encode()
        + data
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), boundary


def test_compose_sign_in_and_upload_through_one_app_work_through_the_other(deployment):
    from tests.factories import png_bytes

    password = uuid.uuid4().hex
    create = (
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_user('visitor', password='{password}')"
    )
    podman("exec", deployment.containers["app1"], "python", "manage.py", "shell", "-c", create)

    form = deployment.get("/accounts/login/")
    csrf = form.cookies()["csrftoken"]
    token = form.body.decode().split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    body = f"csrfmiddlewaretoken={token}&username=visitor&password={password}".encode()
    signed_in = request(
        deployment.port,
        "POST",
        "/accounts/login/",
        body,
        Cookie=f"csrftoken={csrf}",
        **{"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert signed_in.status == 302, signed_in.body[:500]
    session = signed_in.cookies()["sessionid"]
    cookie = f"csrftoken={csrf}; sessionid={session}"
    # The session is in the database: each app, asked directly, knows the visitor.
    for app in ("app1", "app2"):
        assert get_inside(deployment.containers[app], "/me/", cookie)[0] == 200
        assert get_inside(deployment.containers[app], "/me/")[0] == 302  # anonymous

    image = png_bytes(size=(7, 5))
    data, boundary = multipart("image", "upload.png", image)
    uploaded = request(
        deployment.port,
        "POST",
        "/markdownx/upload/",
        data,
        Cookie=cookie,
        **{
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "X-CSRFToken": csrf,
            "X-Requested-With": "XMLHttpRequest",
        },
    )
    assert uploaded.status == 200, uploaded.body[:500]
    url = json.loads(uploaded.body)["image_code"].split("](", 1)[1].rstrip(")")
    # One app stored it (checked and re-encoded); the shared media volume lets both serve
    # the same bytes.
    served = [get_inside(deployment.containers[app], url) for app in ("app1", "app2")]
    assert served[0][0] == 200 and served[0] == served[1], served


def test_compose_site_keeps_answering_with_one_app_stopped(deployment):
    podman("stop", "-t", "10", deployment.containers["app1"])
    answers = [deployment.get(f"{TOPIC}?after-stop={n}").status for n in range(6)]
    answers += [deployment.get("/").status for _ in range(4)]
    print(f"with app1 stopped: {answers}")
    assert answers == [200] * 10
