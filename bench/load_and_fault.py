"""Mixed traffic through the cluster's balancer while parts of it fail; no acknowledged write lost.

Starts scripts/cluster.sh in a folder of its own on free ports (the pypackaging-native
corpus when it is found, else the demo content), creates the accounts it needs and an
open voting round, then for DURATION seconds sends, through nginx, what people do:

- readers (anonymous): home, sections, topics, references, tags, search;
- stakeholders: give feedback and suggest edits (each with a unique marker);
- editors: publish the suggestions waiting in the review queue (merging or, when the
  merge has conflicts, rejecting those written against older text);
- voters: cast a ranked ballot in the open round and read their receipt.

Meanwhile, on a schedule proportional to the duration, it kills app server 1 and
starts it again, restarts the PostgreSQL primary and restarts Redis, recording each
outage window (from just before the fault until the part answers again, plus a
grace of GRACE_SECONDS). A 503 with Retry-After during a window is expected; any
500, and any other 5xx or connection error outside a window, is an error.

Every write acknowledged to a client (the redirect that says it was saved) is logged
with an identifier, and at the end looked up on the primary: the feedback's and
the suggestion's marker, the publish note's marker, and each ballot's voter,
ranking and receipt. The closing line reads

    requests N, errors outside outages E, acknowledged writes W, lost L

and the exit status is 0 only when E and L are 0. The cluster is stopped at the
end; its folder is deleted unless --keep (or a failure) says otherwise.

Usage: bench/load_and_fault.sh [DURATION_SECONDS]      (default 180)
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.bench_abuse import FormFields  # noqa: E402

CLUSTER = BASE_DIR / "scripts" / "cluster.sh"
CORPUS = Path(
    os.environ.get("KB_CORPUS") or BASE_DIR.parent / "shared" / "corpora" / "pypackaging-native"
)
PASSWORD = "load-and-fault-password-0123"  # noqa: S105 (throw-away accounts)
TIMEOUT = 40.0  # past gunicorn's 30 s worker timeout
GRACE_SECONDS = 2.0
IDLE_SECONDS = 10.0  # a keep-alive connection idle this long is not reused (nginx closes at 15)
RUN = uuid.uuid4().hex[:8]

SETUP = """
import json
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from topics.models import Profile, Round, Section, StakeholderGroup, Topic

spec = SPEC
User = get_user_model()
hashed = make_password(spec["password"])  # one hash for every account: set-up stays fast
groups = list(StakeholderGroup.objects.order_by("pk"))
stakeholders = Group.objects.get(name="Stakeholders")
editors = Group.objects.get(name="Editors")

def account(name, *, editor=False, verified=False, number=0):
    user, _ = User.objects.get_or_create(username=name, defaults={"email": name + "@example.org"})
    user.password = hashed
    user.is_staff = editor
    user.save()
    user.groups.add(editors if editor else stakeholders)
    Profile.objects.update_or_create(user=user, defaults={
        "display_name": name, "group": groups[number % len(groups)] if groups else None,
        "verified_at": timezone.now() if verified else None})
    return name

topics = list(Topic.objects.published().filter(current_revision__isnull=False)
              .order_by("pk")[:spec["topics"]])
now = timezone.now()
round_, _ = Round.objects.get_or_create(slug="load-and-fault", defaults={
    "title": "Load and fault", "opens_at": now - timedelta(hours=1),
    "closes_at": now + timedelta(days=1)})
round_.candidates.set(topics[:5])
out = {
    "stakeholders": [account(f"lf-stake-{n}", number=n) for n in range(spec["stakeholders"])],
    "editors": [account(f"lf-editor-{n}", editor=True) for n in range(spec["editors"])],
    "voters": [account(f"lf-voter-{n}", verified=True, number=n) for n in range(spec["voters"])],
    "topics": [{"read": t.get_absolute_url(),
                "feedback": reverse("topic_feedback", args=[t.slug]),
                "suggest": reverse("topic_suggest_edit", args=[t.slug])} for t in topics],
    "sections": [s.get_absolute_url() for s in Section.objects.order_by("pk")],
    "words": [w for t in topics for w in t.title.split() if len(w) > 4][:20] or ["topic"],
    "round": reverse("round_detail", args=[round_.slug]),
    "candidates": list(round_.candidates.values_list("pk", flat=True)),
    "login": reverse("login"),
    "me": reverse("account_contributions"),
    "queue": reverse("review_queue"),
    "review": reverse("review_revision", args=[12345]).replace("12345", "{}"),
    "merge": reverse("review_merge", args=[12345]).replace("12345", "{}"),
    "pages": [reverse("home"), reverse("reference_list"), reverse("tag_list")],
    "search": reverse("search"),
}
print("SETUP-JSON " + json.dumps(out))
"""

VERIFY = """
import hashlib, json
from django.contrib.auth import get_user_model
from topics.models import Ballot, Feedback, Revision, ReviewEvent, Round
from topics.services.voting import voter_key

acked = ACKED
lost = {}
lost["feedback"] = [m for m in acked["feedback"] if not Feedback.objects.filter(body__contains=m).exists()]
lost["suggestion"] = [m for m in acked["suggestion"] if not Revision.objects.filter(body__contains=m).exists()]
lost["publish"] = [m for m in acked["publish"]
                   if not ReviewEvent.objects.filter(action="published", comment__contains=m).exists()]
round_ = Round.objects.get(slug="load-and-fault")
users = {u.username: u for u in get_user_model().objects.filter(username__startswith="lf-voter-")}
lost["ballot"] = []
for vote in acked["ballot"]:
    ballot = Ballot.objects.filter(round=round_, voter_key=voter_key(users[vote["voter"]], round_)).first()
    receipt = vote["receipt"]
    if (ballot is None or ballot.ranking != vote["ranking"]
            or (receipt and ballot.receipt_hash != hashlib.sha256(receipt.encode()).hexdigest())):
        lost["ballot"].append(vote["voter"])
print("VERIFY-JSON " + json.dumps(lost))
"""


# --- The cluster ------------------------------------------------------------------------


def free_port(consecutive: int = 1) -> int:
    """A free port of 127.0.0.1 (with the `consecutive` - 1 next ones free too)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        others = []
        try:
            for offset in range(1, consecutive):
                other = socket.socket()
                others.append(other)
                other.bind(("127.0.0.1", port + offset))
            return port
        except OSError:
            continue
        finally:
            for other in others:
                other.close()


def cluster(*args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        ["bash", str(CLUSTER), *args],
        cwd=BASE_DIR,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode:
        raise RuntimeError(f"cluster.sh {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def django_shell(folder: Path, code: str, *, primary_only: bool = False) -> str:
    """Run `code` in manage.py shell with the app servers' settings (DIR/app.env)."""
    env = dict(os.environ)
    for line in (folder / "app.env").read_text().splitlines():
        name, _, value = line.partition("=")
        env[name] = value
    if primary_only:
        env.pop("DATABASE_REPLICA_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py shell failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def shell_json(output: str, prefix: str):
    line = next(line for line in output.splitlines() if line.startswith(prefix + " "))
    return json.loads(line.split(" ", 1)[1])


# --- Requests, windows, acknowledged writes ---------------------------------------------------


@dataclass
class Sample:
    kind: str
    started: float
    ended: float
    status: int | None  # None: no answer (refused, reset, timed out)
    retry_after: bool = False
    path: str = ""


@dataclass
class Log:
    samples: list[Sample] = field(default_factory=list)
    windows: list[tuple[str, float, float]] = field(default_factory=list)
    acked: dict[str, list] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)

    def ack(self, kind: str, identifier) -> None:
        with self.lock:
            self.acked[kind].append(identifier)

    def in_window(self, sample: Sample) -> bool:
        return any(
            sample.started <= end + GRACE_SECONDS and sample.ended >= start - 0.5
            for _, start, end in self.windows
        )


@dataclass
class Answer:
    status: int | None
    body: str = ""
    location: str = ""


class Visitor:
    """One person: a keep-alive connection to the balancer from an address of their own, cookies."""

    def __init__(self, port: int, log: Log, source: str = "127.0.0.1"):
        self.port, self.log, self.source = port, log, source
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None
        self.last_used = -float("inf")

    def request(self, kind: str, method: str, path: str, fields: dict | None = None) -> Answer:
        headers = {"User-Agent": "load_and_fault", "Host": f"127.0.0.1:{self.port}"}
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"http://127.0.0.1:{self.port}"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.monotonic()
        if started - self.last_used > IDLE_SECONDS:
            self.close()  # as a browser does, before the balancer closes it (keepalive_timeout)
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=TIMEOUT, source_address=(self.source, 0)
                )
            self.connection.request(method, path, body, headers)
            response = self.connection.getresponse()
            text = response.read().decode(errors="replace")
        except (OSError, http.client.HTTPException):
            self.close()
            self.log.add(Sample(kind, started, time.monotonic(), None, path=f"{method} {path}"))
            return Answer(None)
        self.last_used = time.monotonic()
        retry_after = bool(response.getheader("Retry-After"))
        self.log.add(
            Sample(
                kind, started, time.monotonic(), response.status, retry_after, f"{method} {path}"
            )
        )
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        for cookie in response.msg.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        return Answer(response.status, text, response.getheader("Location", ""))

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def form(self, kind: str, path: str, marker: str) -> dict[str, str] | None:
        answer = self.request(kind, "GET", path)
        if answer.status != 200:
            return None
        parser = FormFields(marker)
        parser.feed(answer.body)
        return parser.fields() or None

    def submit(self, kind: str, path: str, marker: str, **changes: str) -> Answer:
        fields = self.form("form", path, marker)
        if fields is None:
            return Answer(None)
        return self.request(kind, "POST", path, {**fields, **changes})


def source_address(number: int) -> str:
    """Each account signs in from an address of its own (rate limits count per address)."""
    return f"127.1.{number // 250}.{number % 250 + 1}"


class Account:
    def __init__(self, name: str, number: int, port: int, log: Log, site: dict):
        self.name, self.site = name, site
        self.visitor = Visitor(port, log, source_address(number))
        self.signed_in = False

    def sign_in(self) -> bool:
        if not self.signed_in:
            answer = self.visitor.submit(
                "sign-in", self.site["login"], "password", username=self.name, password=PASSWORD
            )
            self.signed_in = answer.status == 302
        return self.signed_in


# --- What people do ----------------------------------------------------------------------


def reader(port: int, log: Log, site: dict, stop: threading.Event, number: int) -> None:
    visitor = Visitor(port, log, f"127.2.0.{number + 1}")
    pages = site["pages"] + site["sections"] + [t["read"] for t in site["topics"]]
    while not stop.is_set():
        if random.random() < 0.1:
            word = random.choice(site["words"])
            visitor.request("read", "GET", f"{site['search']}?q={urllib.parse.quote(word)}")
        else:
            visitor.request("read", "GET", random.choice(pages))
        stop.wait(random.uniform(0.02, 0.1))


def stakeholder(accounts: list[Account], log: Log, site: dict, stop: threading.Event) -> None:
    writes = defaultdict(int)  # (account, kind): each view allows 30 writes an hour per user
    while not stop.is_set():
        account = random.choice(accounts)
        topic = random.choice(site["topics"])
        kind = random.choice(["feedback", "suggestion"])
        if writes[account.name, kind] >= 25 or not account.sign_in():
            stop.wait(0.5)
            continue
        writes[account.name, kind] += 1
        marker = f"lf-{RUN}-{kind}-{uuid.uuid4().hex[:12]}"
        if kind == "feedback":
            answer = account.visitor.submit(
                "feedback", topic["feedback"], "body", body=f"Load test feedback {marker}."
            )
            if answer.status == 302 and answer.location == topic["read"]:
                log.ack("feedback", marker)
        else:
            fields = account.visitor.form("form", topic["suggest"], "body")
            if fields is not None:
                fields["body"] = fields["body"].rstrip() + f"\n\nLoad test sentence {marker}.\n"
                fields["message"] = f"Load test {marker}"
                answer = account.visitor.request("suggestion", "POST", topic["suggest"], fields)
                if answer.status == 302 and answer.location == site["me"]:
                    log.ack("suggestion", marker)
        stop.wait(random.uniform(0.3, 1.0))


def editor(account: Account, log: Log, site: dict, stop: threading.Event, share: tuple) -> None:
    mine, of = share
    while not stop.is_set():
        stop.wait(random.uniform(0.5, 1.5))
        if not account.sign_in():
            continue
        queue = account.visitor.request("form", "GET", site["queue"])
        pending = sorted(
            {int(pk) for pk in re.findall(site["review"].format(r"(\d+)"), queue.body or "")}
        )
        pending = [pk for pk in pending if pk % of == mine][:1]
        for pk in pending:
            marker = f"lf-{RUN}-publish-{uuid.uuid4().hex[:12]}"
            answer = account.visitor.submit(
                "publish", site["review"].format(pk), "comment", action="publish", comment=marker
            )
            if answer.status == 302 and answer.location == site["merge"].format(pk):
                # Written against older text: merge it, or reject it when the merge conflicts.
                answer = account.visitor.submit(
                    "publish", site["merge"].format(pk), "note", note=marker
                )
                if answer.status == 200:
                    account.visitor.submit(
                        "reject",
                        site["review"].format(pk),
                        "comment",
                        action="reject",
                        comment="Conflicts with the newer text: please suggest it again.",
                    )
                    continue
            if answer.status == 302 and answer.location in {t["read"] for t in site["topics"]}:
                log.ack("publish", marker)


def voter(accounts: list[Account], log: Log, site: dict, stop: threading.Event) -> None:
    for account in accounts:  # one ballot each: the last acknowledged one must be counted
        if stop.is_set():
            return
        stop.wait(random.uniform(0.3, 1.0))
        if not account.sign_in():
            continue
        candidates = list(site["candidates"])
        random.shuffle(candidates)
        ranks = {pk: rank for rank, pk in enumerate(candidates, start=1)}
        fields = account.visitor.form("form", site["round"], "csrfmiddlewaretoken")
        if fields is None:
            continue
        fields.update({f"rank-{pk}": str(rank) for pk, rank in ranks.items()})
        answer = account.visitor.request("ballot", "POST", site["round"], fields)
        if answer.status == 302 and answer.location == site["round"]:
            page = account.visitor.request("form", "GET", site["round"])
            found = re.search(r'class="receipt-code"><code>([A-Z0-9-]+)</code>', page.body)
            log.ack(
                "ballot",
                {
                    "voter": account.name,
                    "ranking": [[pk] for pk in candidates],
                    "receipt": found.group(1) if found else "",
                },
            )


# --- Faults -----------------------------------------------------------------------------


def faults(folder: Path, env: dict, duration: float, log: Log, stop: threading.Event) -> None:
    """Kill and restart app server 1, restart PostgreSQL, restart Redis, at set fractions."""
    started = time.monotonic()
    # Starting app server 1 again is no outage: until it answers, the balancer sends its
    # requests to the other one, so nothing may fail then.
    schedule = [
        (0.15, "kill app server 1", ["kill-app", "1"], True),
        (0.30, "start app server 1", ["start-app", "1"], False),
        (0.50, "restart PostgreSQL", ["restart-postgres"], True),
        (0.70, "restart Redis", ["restart-redis"], True),
    ]
    for fraction, name, args, outage in schedule:
        if stop.wait(max(0.0, started + fraction * duration - time.monotonic())):
            return
        begin = time.monotonic()
        try:
            cluster(*args, str(folder), env=env)
            outcome = "done"
        except RuntimeError as error:
            outcome = f"FAILED: {error}"
        end = time.monotonic()
        window = (
            f"outage window {end - begin + GRACE_SECONDS + 0.5:.1f} s" if outage else "no outage"
        )
        if outage:
            with log.lock:
                log.windows.append((name, begin, end))
        print(
            f"  {begin - started:6.1f} s  {name}: {outcome} ({window}, took {end - begin:.1f} s)",
            flush=True,
        )


# --- The run --------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def report(log: Log, lost: dict[str, list]) -> tuple[int, int, int, int]:
    rows = defaultdict(lambda: {"n": 0, "ok": 0, "outage": 0, "refused": 0, "err": 0, "t": []})
    errors = []
    for sample in log.samples:
        row = rows[sample.kind]
        row["n"] += 1
        row["t"].append(sample.ended - sample.started)
        inside = log.in_window(sample)
        status = sample.status
        if status is not None and status < 400:
            row["ok"] += 1
        elif status == 429:
            row["refused"] += 1
        elif status == 500 or (not inside and (status is None or status >= 500)):
            row["err"] += 1
            errors.append(sample)
        elif status is None or status >= 500:
            row["outage"] += 1  # 503 (with Retry-After), 502/504, no answer: inside a window
        else:
            row["refused"] += 1  # another 4xx (a form error): answered, not saved
    print(
        f"\n{'kind':<11}{'requests':>9}{'ok':>8}{'in outage':>10}{'4xx':>6}{'errors':>7}"
        f"{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'max ms':>9}"
    )
    for kind in sorted(rows):
        row = rows[kind]
        t = row["t"]
        print(
            f"{kind:<11}{row['n']:>9}{row['ok']:>8}{row['outage']:>10}{row['refused']:>6}"
            f"{row['err']:>7}{percentile(t, 0.5) * 1000:>8.0f}{percentile(t, 0.95) * 1000:>8.0f}"
            f"{percentile(t, 0.99) * 1000:>8.0f}{max(t) * 1000:>9.0f}"
        )
    origin = min((s.started for s in log.samples), default=0.0)
    for sample in errors[:20]:
        print(
            f"error at {sample.started - origin:6.1f} s: {sample.status or 'no answer'}"
            f" after {sample.ended - sample.started:.2f} s, {sample.kind}: {sample.path}"
        )
    for name, start, end in log.windows:
        tolerated = Counter(
            sample.status or 0
            for sample in log.samples
            if (sample.status is None or sample.status >= 500)
            and sample.started <= end + GRACE_SECONDS
            and sample.ended >= start - 0.5
        )
        answers = ", ".join(
            f"{count} × {status or 'no answer'}" for status, count in sorted(tolerated.items())
        )
        print(
            f"outage window {start - origin - 0.5:6.1f} s to {end - origin + GRACE_SECONDS:6.1f} s,"
            f" {name}: {answers or 'every request answered'}"
        )
    unretryable = [s for s in log.samples if s.status == 503 and not s.retry_after]
    if unretryable:
        print(f"{len(unretryable)} answers of 503 came without Retry-After")
    print("\nacknowledged writes (found / acknowledged):")
    acknowledged = sum(len(items) for items in log.acked.values())
    total_lost = sum(len(items) for items in lost.values())
    for kind in ("feedback", "suggestion", "publish", "ballot"):
        count = len(log.acked.get(kind, []))
        print(f"  {kind:<11}{count - len(lost.get(kind, [])):>6} / {count}")
        for item in lost.get(kind, [])[:5]:
            print(f"    lost: {item}")
    return len(log.samples), len(errors), acknowledged, total_lost


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("duration", nargs="?", type=float, default=180.0)
    parser.add_argument("--keep", action="store_true", help="keep the cluster's folder")
    parser.add_argument("--demo", action="store_true", help="demo content, not the corpus")
    args = parser.parse_args()
    duration = args.duration

    folder = Path(tempfile.mkdtemp(prefix="kb-load-and-fault-"))
    env = {
        "KB_CLUSTER_PORT": str(free_port()),
        "KB_CLUSTER_APP_PORT": str(free_port(int(os.environ.get("KB_CLUSTER_APPS", "2")))),
        "KB_CLUSTER_PG_PORT": str(free_port()),
        "KB_CLUSTER_REPLICA_PORT": str(free_port()),
        "KB_CLUSTER_REDIS_PORT": str(free_port()),
        "PYTHON": sys.executable,
    }
    content = ["--demo"] if args.demo or not CORPUS.is_dir() else ["--import", str(CORPUS)]
    port = int(env["KB_CLUSTER_PORT"])
    print(f"starting the cluster in {folder} ({' '.join(content)})", flush=True)
    failed = True
    try:
        started = time.monotonic()
        print(cluster("start", str(folder), *content, env=env), end="", flush=True)
        print(f"started in {time.monotonic() - started:.0f} s", flush=True)
        spec = {
            "password": PASSWORD,
            "stakeholders": 40,
            "editors": 2,
            "voters": max(60, int(duration)),
            "topics": 30,
        }
        site = shell_json(django_shell(folder, f"SPEC = {spec!r}\n" + SETUP), "SETUP-JSON")
        log = Log()
        stop = threading.Event()
        number = iter(range(10_000))

        def accounts(names: list[str]) -> list[Account]:
            return [Account(name, next(number), port, log, site) for name in names]

        stakeholders = accounts(site["stakeholders"])
        editors = accounts(site["editors"])
        voters = accounts(site["voters"])
        threads = [
            threading.Thread(target=reader, args=(port, log, site, stop, n)) for n in range(4)
        ]
        threads += [
            threading.Thread(target=stakeholder, args=(stakeholders[n::3], log, site, stop))
            for n in range(3)
        ]
        threads += [
            threading.Thread(target=editor, args=(account, log, site, stop, (n, len(editors))))
            for n, account in enumerate(editors)
        ]
        threads.append(threading.Thread(target=voter, args=(voters, log, site, stop)))
        threads.append(threading.Thread(target=faults, args=(folder, env, duration, log, stop)))
        print(f"traffic for {duration:.0f} s: 4 readers, 3 stakeholders, 2 editors, 1 voter")
        for thread in threads:
            thread.start()
        stop.wait(duration)
        stop.set()
        for thread in threads:
            thread.join(TIMEOUT + 60)
        # Everything the cluster acknowledged, looked up on the primary.
        acked = {kind: list(items) for kind, items in log.acked.items()}
        for kind in ("feedback", "suggestion", "publish", "ballot"):
            acked.setdefault(kind, [])
        lost = shell_json(
            django_shell(folder, f"ACKED = {acked!r}\n" + VERIFY, primary_only=True),
            "VERIFY-JSON",
        )
        requests, errors, acknowledged, total_lost = report(log, lost)
        print(
            f"\nrequests {requests}, errors outside outages {errors}, "
            f"acknowledged writes {acknowledged}, lost {total_lost}"
        )
        failed = bool(errors or total_lost)
        return 1 if failed else 0
    finally:
        with contextlib.suppress(Exception):
            cluster("stop", str(folder))
        if args.keep or failed:
            print(f"(the cluster's folder, logs in logs/: {folder})", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
