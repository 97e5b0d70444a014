"""PostgreSQL or Redis restarting is a 503 with Retry-After or a slower page, never a 500.

Against a real primary and replica (scripts/postgres_pair.sh), a private Redis and
gunicorn: the same server answers again once each is back, without a restart.
"""

from __future__ import annotations

import itertools
import socket
import time

import pytest

from tests.postgres_pair import running_site

TOPIC = "/topics/how-topics-are-curated/"


@pytest.fixture(scope="module")
def site():
    with running_site() as site:
        yield site


def test_while_the_primary_is_down_signed_in_pages_answer_503_and_readers_the_replica(site):
    cookies = site.sign_in("pair-reader")
    assert site.get("/me/", cookies=cookies).status == 200
    site.pair("stop-primary")
    try:
        for path in ("/me/", TOPIC, "/"):
            page = site.get(path, cookies=cookies)
            assert page.status == 503, (path, page.status)
            assert page.headers["Retry-After"] == "5"
            assert "Back in a moment" in page.body
        # Anonymous readers still read the replica.
        assert site.get(TOPIC, Cache_Control="no-cache").status == 200
        ready = site.get("/readyz")
        assert ready.status == 503 and '"database": "unavailable"' in ready.body
    finally:
        site.start_pair()
    page = site.get("/me/", cookies=cookies)
    assert page.status == 200 and "Sign out" in page.body
    assert site.get("/readyz").status == 200
    assert "Internal Server Error" not in site.output()


def test_after_a_primary_restart_the_same_server_answers_at_once(site):
    cookies = site.sign_in("pair-reader")
    for _ in range(3):  # every worker holds a connection to the primary
        assert site.get("/me/", cookies=cookies).status == 200
    site.pair("restart-primary")
    for _ in range(6):
        page = site.get("/me/", cookies=cookies)
        assert page.status == 200, page.body[:300]
    assert site.get("/readyz").status == 200


def test_a_post_while_the_primary_is_down_is_a_503_not_a_500(site):
    form = site.get("/accounts/login/")
    token = form.body.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    site.pair("stop-primary")
    try:
        answer = site.request(
            "POST",
            "/accounts/login/",
            cookies=form.cookies,
            body={"csrfmiddlewaretoken": token, "username": "pair-reader", "password": "x"},
        )
        assert answer.status == 503 and answer.headers["Retry-After"] == "5"
    finally:
        site.start_pair()


def test_with_redis_down_pages_answer_and_sign_in_works(site):
    site.stop_redis()
    try:
        for path in (TOPIC, "/", "/references/", "/search/?q=topic"):
            assert site.get(path).status == 200, path
            assert site.get(path, Cache_Control="no-cache").status == 200, path
        cookies = site.sign_in("pair-reader")
        assert cookies["status"] == "302"
        assert site.get("/me/", cookies=cookies).status == 200
        ready = site.get("/readyz")
        assert ready.status == 503 and '"cache": "unavailable"' in ready.body
    finally:
        site.start_redis()
    deadline = time.monotonic() + 10
    while site.get("/readyz").status != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert site.get("/readyz").status == 200
    assert site.get(TOPIC).status == 200
    assert "Redis cache unreachable" in site.output()
    # A worker says so when it next uses Redis (tried again at most once a second): ask each
    # of the two workers for a page it has not served yet (one it has is answered from its
    # memory, before Django and the cache), until one says so.
    deadline = time.monotonic() + 15
    for number in itertools.count(1):
        if "Redis cache reachable again" in site.output():
            break
        assert time.monotonic() < deadline, f"no worker said Redis was back:\n{site.output()}"
        ask_each_worker(site, f"/references/?page={number}")
        time.sleep(0.3)
    log = site.output()
    assert "Redis cache reachable again" in log
    assert "Internal Server Error" not in log


def ask_each_worker(site, path: str) -> None:
    """One request answered by each of the site's two sync workers, whichever the kernel wakes.

    A request sent in halves holds the worker that took it, reading, so the next request
    goes to the other one; then the first is finished.
    """
    with socket.create_connection(("127.0.0.1", site.port), timeout=20) as held:
        held.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode())
        time.sleep(0.2)  # a worker has taken it and waits for the rest
        assert site.get(path, Cache_Control="no-cache").status == 200
        held.sendall(b"Cache-Control: no-cache\r\nConnection: close\r\n\r\n")
        status_line = held.makefile("rb").readline()
        assert status_line.startswith(b"HTTP/1.1 200"), status_line
