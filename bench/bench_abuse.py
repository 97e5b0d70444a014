"""Hostile inputs against a production-like server: each must be answered fast, none with a 500.

Starts scripts/start.sh as the image does (KB_ENV=production, nginx in front of
2 gunicorn workers) on a free port of 127.0.0.1, with a throw-away SQLite
database, or DATABASE_URL's database when it is set, and Redis when REDIS_URL
is set. Loads the demo content, a stakeholder and an editor, then sends each
input of issue 8 over HTTP as a browser would (sessions, CSRF tokens from the
forms) and prints a table: input, status, seconds. The closing line counts the
requests that took over a second and the server errors (5xx, or no answer);
the exit status is 1 when there is any.

Usage: python bench/bench_abuse.py     (about a minute when every input is handled;
each request gives up after 35 s, past gunicorn's 30 s worker timeout)
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import secrets
import select
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # the only address this script talks to
TIMEOUT = 35.0
PASSWORD = "bench-abuse-password-0123"  # noqa: S105 (a throw-away account)
TOPIC = "how-topics-are-curated"
BODY_LIMIT = 300_000  # KB_MAX_BODY_CHARS' default

SETUP = f"""
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from topics.models import Profile, StakeholderGroup
for name, staff, group in [("bench-stakeholder", False, "Stakeholders"),
                           ("bench-editor", True, "Editors")]:
    user, _ = get_user_model().objects.get_or_create(username=name)
    user.is_staff = staff
    user.set_password({PASSWORD!r})
    user.save()
    user.groups.add(Group.objects.get(name=group))
    Profile.objects.get_or_create(user=user, defaults={{
        "display_name": name, "group": StakeholderGroup.objects.first()}})
"""


# --- The server ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def production_server(folder: Path):
    """scripts/start.sh with the nginx front and 2 workers; yields its port and cache prefix."""
    port = free_port()
    env = {
        **os.environ,
        "KB_ENV": "production",
        "KB_FRONT": "nginx",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on 127.0.0.1, as behind a TLS proxy
        "DATA_DIR": str(folder),
        "MEDIA_ROOT": str(folder / "media"),
        "STATIC_ROOT": str(folder / "static"),
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'db.sqlite3'}",
        "CACHE_KEY_PREFIX": f"bench-abuse-{secrets.token_hex(4)}",  # counts start at zero
        "BIND": f"{HOST}:{port}",
        "WEB_CONCURRENCY": "2",
        "PYTHON": sys.executable,
        "LOG_LEVEL": "WARNING",
    }
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--noinput", "-v0"], ["load_demo"], ["shell", "-c", SETUP]):
        done = subprocess.run(
            manage + command, cwd=BASE_DIR, env=env, capture_output=True, text=True
        )
        if done.returncode:
            sys.exit(f"manage.py {command[0]} failed:\n{done.stderr}")
    log = (folder / "server.log").open("w")
    server = subprocess.Popen(
        ["sh", "scripts/start.sh"],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"the server did not start:\n{(folder / 'server.log').read_text()}")
            with contextlib.suppress(OSError):
                if Browser(port).get("/healthz").status == 200:
                    break
            time.sleep(0.3)
        yield port, env["CACHE_KEY_PREFIX"]
        if any(row.failed for row in ROWS):  # show why, while the log is still there
            lines = (folder / "server.log").read_text().splitlines()
            print("\n".join(line for line in lines if not line.startswith(HOST))[-8000:])
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            log.close()


# --- A small browser --------------------------------------------------------------------


@dataclass
class Answer:
    status: int | None  # None: no answer within TIMEOUT, or the connection broke
    seconds: float
    body: str = ""
    location: str = ""


class FormFields(HTMLParser):
    """The fields of the first POST form on a page that has a field named `marker`."""

    def __init__(self, marker: str):
        super().__init__()
        self.marker, self.forms, self.textarea = marker, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({})
        elif self.forms and tag == "input" and attrs.get("name"):
            if attrs.get("type") in {"checkbox", "radio"} and "checked" not in attrs:
                return
            if attrs.get("type") not in {"submit", "button", "file"}:
                self.forms[-1][attrs["name"]] = attrs.get("value") or ""
        elif self.forms and tag == "textarea" and attrs.get("name"):
            self.textarea = attrs["name"]
            self.forms[-1][self.textarea] = ""

    def handle_endtag(self, tag):
        if tag == "textarea":
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.forms[-1][self.textarea] += data.removeprefix("\n")

    def fields(self) -> dict[str, str]:
        return next((form for form in self.forms if self.marker in form), {})


class Browser:
    """One visitor: cookies kept between requests, forms read before they are posted.

    Production cookies are marked Secure; this visitor sends them over plain HTTP
    to 127.0.0.1, as a browser does behind the TLS-terminating proxy.
    """

    def __init__(self, port: int, source: str = HOST):
        self.port, self.source, self.cookies = port, source, {}

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict | None = None
    ) -> Answer:
        headers = {"User-Agent": "bench_abuse", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            headers.setdefault("Origin", f"http://{HOST}:{self.port}")
        connection = http.client.HTTPConnection(
            HOST, self.port, timeout=TIMEOUT, source_address=(self.source, 0)
        )
        started = time.monotonic()
        try:
            connection.request(method, path, body, headers)
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
        except OSError:
            return Answer(None, time.monotonic() - started)
        finally:
            connection.close()
        seconds = time.monotonic() - started
        for cookie in response.msg.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        return Answer(response.status, seconds, text, response.getheader("Location", ""))

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post(self, path: str, fields: dict[str, str]) -> Answer:
        body = urllib.parse.urlencode(fields).encode()
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.request("POST", path, body, form)

    def form(self, path: str, marker: str = "csrfmiddlewaretoken") -> dict[str, str]:
        """GET `path` and return its form's fields (with the CSRF token)."""
        parser = FormFields(marker)
        parser.feed(self.get(path).body)
        return parser.fields()

    def submit(self, path: str, marker: str, **changes: str) -> Answer:
        """Fill in the form at `path` that has the field `marker`, and post it."""
        return self.post(path, {**self.form(path, marker), **changes})

    def sign_in(self, username: str) -> None:
        answer = self.submit("/accounts/login/", "password", username=username, password=PASSWORD)
        if answer.status != 302:
            sys.exit(f"could not sign in as {username}: {answer.status}")


# --- The table ------------------------------------------------------------------------------


@dataclass
class Row:
    input: str
    status: str
    seconds: float
    failed: bool


ROWS: list[Row] = []


def record(label: str, answer: Answer | None = None, *, status: str = "", seconds: float = 0):
    """Add a row; a server error or no answer at all fails it."""
    failed = False
    if answer is not None:
        status = str(answer.status) if answer.status else "no answer"
        seconds = answer.seconds
        failed = answer.status is None or answer.status >= 500
    ROWS.append(Row(label, status, seconds, failed))
    print(f"  {label}: {status} in {seconds:.2f} s", flush=True)


def at_once(*calls):
    """Run the calls in parallel threads and return their results in order."""
    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
        return [future.result() for future in futures]


# --- Inputs -------------------------------------------------------------------------


def hostile_texts() -> dict[str, str]:
    """Markdown known to make Python-Markdown slow, each within the body limit."""
    table = "\n".join(
        ["|" + "|".join(f"c{n}" for n in range(300)) + "|", "|" + "---|" * 300]
        + ["|" + "x|" * 300] * 50
    )
    depth_emphasis = (BODY_LIMIT - 1) // 4
    depth_div = (BODY_LIMIT - 1) // 11
    return {
        '"[^1]\\n\\n" * 12000 + "[^1]: x"': "[^1]\n\n" * 12000 + "[^1]: x",
        '"[^1]" * 4500': "[^1]" * 4500,
        '"*_" * 149500': "*_" * 149500,
        '"`a` " * 75000': "`a` " * 75000,
        f"emphasis nested {depth_emphasis} deep": "*_" * depth_emphasis
        + "a"
        + "_*" * depth_emphasis,
        f"<div> nested {depth_div} deep": "<div>" * depth_div + "x" + "</div>" * depth_div,
        "table of 300 columns, 50 rows": table,
        '"# a\\n\\n" * 60000': "# a\n\n" * 60000,
        '"x `" + ">" * 8000 + "` " + "<a " * 8000': "x `" + ">" * 8000 + "` " + "<a " * 8000,
        '"[" * 8192': "[" * 8192,
    }


def revision_ids(browser: Browser) -> dict[str, int]:
    """The topic's revisions the visitor can see, by their message (newest wins)."""
    page = browser.get(f"/topics/{TOPIC}/history/").body
    ids = {}
    for row in re.findall(r'<tr id="rev-(\d+)">(.*?)</tr>', page, re.S):
        for message in re.findall(r"<td>([^<]*)</td>", row[1]):
            ids.setdefault(message.strip(), int(row[0]))
    return ids


def suggest(browser: Browser, body: str, message: str) -> Answer:
    return browser.submit(f"/topics/{TOPIC}/suggest/", "body", body=body, message=message)


def word_diff(port: int, stakeholder: Browser, editor: Browser) -> None:
    print("word diff and review pages", flush=True)
    older = "a " * 20000
    newer = "a " * 10000 + "b " + "a " * 9999
    for body, message in [(older, "bench 40 KB one"), (newer, "bench 40 KB two")]:
        answer = suggest(stakeholder, body, message)
        record(f"suggest a 40 KB edit ({message[-3:]})", answer)
    ids = revision_ids(stakeholder)
    compare = f"/topics/{TOPIC}/compare/?a={ids['bench 40 KB one']}&b={ids['bench 40 KB two']}"
    reader = Browser(port)

    def read_later():
        time.sleep(0.3)  # both comparisons have reached the workers
        return reader.get(f"/topics/{TOPIC}/")

    first, second, read = at_once(
        lambda: stakeholder.get(compare),
        lambda: stakeholder.get(compare),
        read_later,
    )
    record("compare two 40 KB suggestions (1 of 2 at once)", first)
    record("compare two 40 KB suggestions (2 of 2 at once)", second)
    record("anonymous topic page during both comparisons", read)

    paragraph = "This paragraph says something about packaging native code. " * 8 + "\n\n"
    for label, size in [("5 KB", 5_000), ("300 KB", BODY_LIMIT - 1_000)]:
        body = (paragraph * (size // len(paragraph) + 1))[:size]
        record(f"suggest a {label} edit", suggest(stakeholder, body, f"bench {label}"))
        revision = revision_ids(stakeholder).get(f"bench {label}")
        if revision is None:
            record(f"editor's review page, {label} suggestion", status="not stored", seconds=0)
        else:
            record(
                f"editor's review page, {label} suggestion",
                editor.get(f"/review/revisions/{revision}/"),
            )


def previews_and_suggestions(stakeholder: Browser) -> None:
    print("live preview and suggested edits", flush=True)
    token = stakeholder.form(f"/topics/{TOPIC}/suggest/")["csrfmiddlewaretoken"]
    texts = hostile_texts()
    for label, text in texts.items():
        answer = stakeholder.post(
            "/markdownx/markdownify/", {"csrfmiddlewaretoken": token, "content": text}
        )
        record(f"preview {label}", answer)
    for label, text in texts.items():
        record(f"suggest {label}", suggest(stakeholder, text, "bench hostile"))


def slow_sockets(port: int) -> None:
    print("slow clients", flush=True)
    sockets, stop = [], threading.Event()

    def trickle():
        deadline = time.monotonic() + 30
        while not stop.wait(0.5) and time.monotonic() < deadline:
            for sock in sockets:
                with contextlib.suppress(OSError):
                    sock.send(b"ab")

    try:
        for _ in range(50):
            sock = socket.create_connection((HOST, port), timeout=5)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            sockets.append(sock)
        threading.Thread(target=trickle, daemon=True).start()
        time.sleep(1)
        record("/healthz with 50 slow clients connected", Browser(port).get("/healthz"))
        record("topic page with 50 slow clients connected", Browser(port).get(f"/topics/{TOPIC}/"))
    finally:
        stop.set()
        for sock in sockets:
            sock.close()


def huge_upload(port: int) -> None:
    """Declare 200 MB, stream until the server answers (at most 8 MB), time the refusal."""
    print("huge upload", flush=True)
    head = (
        "POST /markdownx/upload/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 200000000\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\n\r\n"
        "--x\r\nContent-Disposition: form-data; name=image; filename=a.png\r\n\r\n"
    )
    started = time.monotonic()
    status, sent = None, 0
    with socket.create_connection((HOST, port), timeout=TIMEOUT) as sock:
        with contextlib.suppress(OSError):
            sock.sendall(head.encode())
            while sent < 8 * 2**20 and not select.select([sock], [], [], 0)[0]:
                sock.sendall(b"\0" * 2**20)
                sent += 2**20
        with contextlib.suppress(OSError, ValueError, IndexError):
            status = int(sock.recv(4096).split(b" ", 2)[1])
    answer = Answer(status, time.monotonic() - started)
    record(f"anonymous 200 MB upload (refused after {sent >> 20} MB sent)", answer)


def sign_in_spraying(port: int) -> None:
    """4 threads posting random usernames for 5 s, while a reader fetches a cached page."""
    print("sign-in spraying", flush=True)
    stop = time.monotonic() + 5
    statuses: list[int | None] = []

    def spray():
        browser = Browser(port)
        fields = browser.form("/accounts/login/", "password")
        for _ in range(300):
            if time.monotonic() > stop:
                break
            name = f"nobody-{secrets.token_hex(4)}"
            attempt = {**fields, "username": name, "password": "Winter2026!"}
            statuses.append(browser.post("/accounts/login/", attempt).status)

    def read():
        reader, latencies = Browser(port), []
        while time.monotonic() < stop and len(latencies) < 1000:
            latencies.append(reader.get(f"/topics/{TOPIC}/").seconds)
        return latencies

    *_, latencies = at_once(spray, spray, spray, spray, read)
    refused = sum(status in {403, 429} for status in statuses)
    errors = sum(status is None or status >= 500 for status in statuses)
    median = statistics.median(latencies)
    ROWS.append(
        Row(
            f"sign-in spraying, 4 threads for 5 s: {len(statuses)} attempts, {refused} refused;"
            f" cached page median of {len(latencies)}",
            f"{errors} errors",
            median,
            errors > 0,
        )
    )
    print(f"  {ROWS[-1].input}: {median:.3f} s", flush=True)


def cache_keys(prefix: str) -> int | None:
    """Cache entries under `prefix`, when the cache is a Redis we can count in."""
    url = os.environ.get("CACHE_URL") or os.environ.get("REDIS_URL")
    if not url:
        return None
    import redis

    connection = redis.Redis.from_url(url)
    return sum(1 for _ in connection.scan_iter(f"{prefix}:*", count=1000))


def utm_flood(port: int, prefix: str) -> None:
    print("?utm= flood", flush=True)
    before = cache_keys(prefix)
    reader = Browser(port)
    answers = [reader.get(f"/topics/{TOPIC}/?utm={secrets.token_hex(8)}") for _ in range(200)]
    after = cache_keys(prefix)
    growth = "not measurable (local memory)" if before is None else f"{after - before} new"
    statuses = ",".join(sorted({str(a.status) for a in answers}))
    slowest = max(answers, key=lambda a: a.seconds)
    ROWS.append(
        Row(
            f"200 topic pages with ?utm=<random>: cache entries {growth}; slowest",
            statuses,
            slowest.seconds,
            any(a.status is None or a.status >= 500 for a in answers),
        )
    )
    print(f"  {ROWS[-1].input}: {statuses} {slowest.seconds:.3f} s", flush=True)


def queries(port: int) -> None:
    print("feed, search, page numbers, NUL bytes", flush=True)
    reader = Browser(port)
    tag = re.search(r'href="/tags/([^/"]+)/"', reader.get("/tags/").body)
    quote, quote_plus = urllib.parse.quote, urllib.parse.quote_plus
    junk = '" OR - "" -- !! (( )) :* & | <-> \\ \' " OR OR -'
    paths = {
        "/feed/": "/feed/",
        "search, q of 10 KB": "/search/?q=" + "a" * 10_240,
        "search, q of 400 words": "/search/?q=" + quote_plus("package " * 400),
        "search, websearch junk": "/search/?q=" + quote(junk),
        "search, 100 quoted ORs and negations": "/search/?q=" + quote_plus('"a" OR -b ' * 100),
        "search, page 10^30": "/search/?q=package&page=" + "9" * 30,
        "history, page 10^30": f"/topics/{TOPIC}/history/?page=" + "9" * 30,
        "history, page -1": f"/topics/{TOPIC}/history/?page=-1",
        "search, NUL in q": "/search/?q=a%00b",
        "topic page, NUL in a parameter name": f"/topics/{TOPIC}/?%00=1",
        "compare, NUL in a revision id": f"/topics/{TOPIC}/compare/?a=1%00&b=2",
        "feed, NUL in the query string": "/feed/?q=%00",
    }
    if tag:
        paths["tag page, page 10^30"] = f"/tags/{tag.group(1)}/?page=" + "9" * 30
    for label, path in paths.items():
        record(label, reader.get(path))


def main() -> int:
    with (
        tempfile.TemporaryDirectory(prefix="kb-bench-abuse-") as folder,
        production_server(Path(folder)) as (port, prefix),
    ):
        print(f"server: scripts/start.sh, nginx + 2 gunicorn workers on {HOST}:{port}")
        stakeholder, editor = Browser(port), Browser(port)
        stakeholder.sign_in("bench-stakeholder")
        editor.sign_in("bench-editor")
        word_diff(port, stakeholder, editor)
        previews_and_suggestions(stakeholder)
        slow_sockets(port)
        huge_upload(port)
        queries(port)
        utm_flood(port, prefix)
        sign_in_spraying(port)  # last: it spends this address's sign-in allowance
    database = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    cache = (
        "Redis" if (os.environ.get("CACHE_URL") or os.environ.get("REDIS_URL")) else "local memory"
    )
    print(f"\n{database}, {cache} cache\n")
    print("| input | status | seconds |\n| --- | --- | --- |")
    for row in ROWS:
        print(f"| {row.input} | {row.status} | {row.seconds:.2f} |")
    slow = sum(row.seconds > 1 for row in ROWS)
    errors = sum(row.failed for row in ROWS)
    print(f"\n{len(ROWS)} rows: {slow} took over one second, {errors} server errors or no answer")
    return 1 if slow or errors else 0


if __name__ == "__main__":
    sys.exit(main())
