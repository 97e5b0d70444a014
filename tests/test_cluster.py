"""Several app servers behind the balancer, against the real cluster of scripts/cluster.sh.

One cluster for the module (started in a temporary folder on free ports, torn down at
the end even when a test fails): nginx in front of two app servers running the
production start-up, a PostgreSQL primary and streaming replica, a private Redis.
What a user or an operator would notice when a request lands on another app server
than the last one: the session, the CSRF token, the rate limits and the published
text are the same everywhere, and the balancer routes around an app server that dies.

Runs when the suite runs on PostgreSQL (DATABASE_URL); skipped otherwise, unless
KB_REQUIRE_CLUSTER=1 makes that a failure.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

from bench.bench_abuse import Browser
from tests.servers import fetch, free_port
from topics.page_cache import VERSION_CHECK_SECONDS

BASE_DIR = Path(__file__).resolve().parent.parent
CLUSTER = BASE_DIR / "scripts" / "cluster.sh"
PASSWORD = "a-long-test-password"  # tests.factories.make_user's
TOPIC = "how-topics-are-curated"  # a demo topic
SIGN_IN_LIMIT = 6  # KB_SIGN_IN_RATE for this cluster: per address, per week
# (the real servers' clock runs: over a week, no window ends during the test's 12 sign-ins)

# Accounts, and a suggestion waiting for an editor; prints the suggestion's id.
SETUP = f"""
from tests.factories import make_editor, make_stakeholder
from topics.models import Topic
from topics.services import workflow
make_editor("cluster-editor")
author = make_stakeholder("cluster-stakeholder")
topic = Topic.objects.get(slug={TOPIC!r})
text = topic.current_revision.body + "\\n\\nPublished through one app server, read on another."
edit = workflow.suggest_edit(author=author, topic=topic, base=topic.current_revision,
    text=workflow.Text(topic.title, topic.summary, text), message="cluster test")
print("suggestion", edit.pk)
"""


def cluster_skip_reason() -> str:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return "the cluster tests run with the PostgreSQL suite (DATABASE_URL=postgres://...)"
    needed = {"nginx": "/usr/sbin/nginx", "redis-server": "/usr/bin/redis-server"}
    for name, path in needed.items():
        if not (shutil.which(name) or Path(path).exists()):
            return f"{name} is not installed (apt-get install {name})"
    if not list(Path("/usr/lib/postgresql").glob("*/bin/pg_basebackup")):
        return "the PostgreSQL server binaries are not installed (apt-get install postgresql)"
    return ""


def run_cluster(*args: str, env: dict[str, str] | None = None, timeout: float = 180) -> str:
    result = subprocess.run(
        ["bash", str(CLUSTER), *args],
        cwd=BASE_DIR,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"cluster.sh {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def cluster():
    """scripts/cluster.sh with the demo content, two app servers, on free ports."""
    reason = cluster_skip_reason()
    if reason:
        if os.environ.get("KB_REQUIRE_CLUSTER") == "1":
            pytest.fail(f"KB_REQUIRE_CLUSTER=1 but {reason}")
        pytest.skip(reason)
    # Not under pytest's own temporary folder: that one is private to its owner, and
    # PostgreSQL runs as the postgres user.
    folder = Path(tempfile.mkdtemp(prefix="kb-cluster-test-"))
    env = {
        "KB_CLUSTER_PORT": str(free_port()),
        "KB_CLUSTER_APP_PORT": str(two_free_ports()),  # app server 2 on the next one
        "KB_CLUSTER_APPS": "2",
        "KB_CLUSTER_PG_PORT": str(free_port()),
        "KB_CLUSTER_REPLICA_PORT": str(free_port()),
        "KB_CLUSTER_REDIS_PORT": str(free_port()),
        "KB_SIGN_IN_RATE": f"{SIGN_IN_LIMIT}/7d",
        "PYTHON": sys.executable,
    }
    try:
        run_cluster("start", str(folder), "--demo", env=env)
        output = run_cluster("manage", str(folder), "shell", "-c", SETUP)
        first_app = int(env["KB_CLUSTER_APP_PORT"])
        yield SimpleNamespace(
            folder=folder,
            env=env,
            balancer=int(env["KB_CLUSTER_PORT"]),
            apps=[first_app, first_app + 1],
            suggestion=int(re.search(r"suggestion (\d+)", output).group(1)),
        )
    finally:
        with contextlib.suppress(Exception):
            run_cluster("destroy", str(folder))
        shutil.rmtree(folder, ignore_errors=True)


def two_free_ports() -> int:
    """A free port whose next port is free too."""
    while True:
        port = free_port()
        with socket.socket() as sock, contextlib.suppress(OSError):
            sock.bind(("127.0.0.1", port + 1))
            return port


def sign_in(browser: Browser, username: str) -> None:
    answer = browser.submit("/accounts/login/", "password", username=username, password=PASSWORD)
    assert answer.status == 302, (answer.status, answer.body[:500])


def test_a_session_started_on_one_app_server_continues_on_the_other(cluster):
    browser = Browser(cluster.apps[0])
    sign_in(browser, "cluster-stakeholder")
    browser.port = cluster.apps[1]  # same cookies, the other app server
    marker = f"feedback-{uuid.uuid4().hex}"
    answer = browser.submit(f"/topics/{TOPIC}/feedback/", "body", body=f"Clear page. {marker}")
    assert answer.status == 302 and answer.location == f"/topics/{TOPIC}/", answer.body[:500]
    browser.port = cluster.apps[0]
    page = browser.get("/me/")
    assert page.status == 200 and "Sign out" in page.body
    assert marker in page.body  # the feedback given through server 2, listed by server 1


def failed_sign_in(port: int, source: str, username: str) -> int:
    answer = Browser(port, source=source).submit(
        "/accounts/login/", "password", username=username, password="wrong"
    )
    return answer.status


def test_sign_in_attempts_spread_over_both_app_servers_count_together(cluster):
    # From an address of its own, a new username each time (so no lock-out by axes):
    # each app server sees half the attempts, which alone would stay under the limit.
    statuses = [
        failed_sign_in(cluster.apps[n % 2], "127.0.0.3", f"nobody-{n}")
        for n in range(2 * SIGN_IN_LIMIT)
    ]
    assert statuses == [200] * SIGN_IN_LIMIT + [429] * SIGN_IN_LIMIT


def test_a_publish_through_one_app_server_is_served_fresh_by_the_other(cluster):
    topic = f"http://127.0.0.1:{cluster.apps[1]}/topics/{TOPIC}/"
    sentence = b"Published through one app server, read on another."
    for _ in range(3):  # app server 2 has the page in its process and the shared cache
        status, _, page = fetch(topic)
        assert status == 200 and sentence not in page
    editor = Browser(cluster.apps[0])
    sign_in(editor, "cluster-editor")
    answer = editor.submit(
        f"/review/revisions/{cluster.suggestion}/", "comment", action="publish", comment="ok"
    )
    assert answer.status == 302 and answer.location == f"/topics/{TOPIC}/", answer.body[:500]
    # Each process reads the content version at most once a second (VERSION_CHECK_SECONDS).
    started = time.monotonic()
    while sentence not in (page := fetch(topic)[2]) and time.monotonic() - started < 5:
        time.sleep(0.05)
    seen = time.monotonic()
    print(f"the publish showed on the other app server after {seen - started:.2f} s")
    assert sentence in page
    # A worker that read the version before then (from a replica still behind, say) keeps
    # that reading a second at most: after that, every worker shows it, whichever answers.
    time.sleep(max(0.0, seen + VERSION_CHECK_SECONDS + 0.1 - time.monotonic()))
    for _ in range(6):
        assert sentence in fetch(topic)[2]


def upstreams(port: int, count: int) -> list[str]:
    """The app server (X-Upstream's last address) that answered each of `count` GETs."""
    served = []
    for _ in range(count):
        status, headers, _ = fetch(f"http://127.0.0.1:{port}/topics/{TOPIC}/")
        assert status == 200, headers
        served.append(headers["X-Upstream"].split(",")[-1].strip())
    return served


def test_the_balancer_routes_around_a_dead_app_server_and_back(cluster):
    first, second = (f"127.0.0.1:{port}" for port in cluster.apps)
    assert set(upstreams(cluster.balancer, 6)) == {first, second}
    run_cluster("kill-app", "2", str(cluster.folder))
    assert set(upstreams(cluster.balancer, 20)) == {first}  # every request answered
    run_cluster("start-app", "2", str(cluster.folder), env=cluster.env)
    # The balancer tries it again once its fail_timeout (5 s) has passed.
    deadline = time.monotonic() + 20
    served: set[str] = set()
    while served != {first, second} and time.monotonic() < deadline:
        served |= set(upstreams(cluster.balancer, 2))
        time.sleep(0.2)
    assert served == {first, second}
