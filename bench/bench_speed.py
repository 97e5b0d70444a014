"""Reading speed: our pages against the same HTML bytes served as static files, in one run.

    python bench/bench_speed.py          (make bench-speed; about 6 minutes)

It starts what it needs on 127.0.0.1 only (and talks to nothing else):
PostgreSQL (a throw-away database `kb_bench_speed` on BENCH_POSTGRES, the
cluster started with pg_ctlcluster if it is down), Redis (BENCH_REDIS's
database, flushed; a private redis-server when none answers), then imports
the corpus (KB_CORPUS, default ../shared/corpora/pypackaging-native) with its
history. It saves the anonymous HTML of the home page, a section and a topic
page as files and measures, with wrk (2 threads, 16 connections, DURATION
seconds each, plain HTTP/1.1 without compression as wrk sends it), one
configuration after another so that they do not compete:

  gunicorn, process cache   scripts/start.sh with KB_FRONT=none: 2 sync workers
  gunicorn, static files    the same gunicorn serving the saved files (WhiteNoise)
  nginx → gunicorn          scripts/start.sh as shipped
  nginx → varnish → gunicorn  scripts/start.sh with KB_HTTP_CACHE=varnish
  nginx, static files       nginx (one worker, as start.sh's) serving the saved files

and prints requests per second, p50 and p99 for each page and configuration,
the ratios of each page server to the static server in the same position,
and each gunicorn worker's peak memory (VmHWM), with its memory after serving
every page of the site again and again (it must not grow). Last, it grows a
second database to 500 topics and 5,000 references and prints every reader
page's uncached render time (bench/bench_renders.py).

Every loop is bounded in count and time; every process it starts is stopped.
Figures depend on the machine: on a shared one, run it when it is quiet.
"""

from __future__ import annotations

import contextlib
import datetime
import gzip
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PYTHON = sys.executable
POSTGRES = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/14")
CORPUS = Path(
    os.environ.get("KB_CORPUS") or BASE_DIR.parent / "shared" / "corpora" / "pypackaging-native"
)
DURATION = int(os.environ.get("DURATION", "6"))
THREADS, CONNECTIONS = 2, 16
PAGES = [("home", "/"), ("section", "/sections/key-issues/"), ("topic", "/topics/simd-support/")]
SECRET = "bench-only-secret-key-not-for-production-use-0123456789"  # noqa: S105
SWEEPS = 3  # times every page of the site is asked for, with new query strings, for memory


def log(message: str) -> None:
    print(message, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def get(url: str, timeout: float = 10, headers: dict | None = None) -> tuple[int, bytes]:
    try:
        request = urllib.request.Request(url, headers=headers or {})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_for(url: str, process: subprocess.Popen | None = None, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            sys.exit(f"{process.args} exited with {process.returncode}")
        with contextlib.suppress(OSError):
            if get(url, timeout=2)[0] == 200:
                return
        time.sleep(0.3)
    sys.exit(f"{url} did not answer within {seconds:.0f} s")


@dataclass
class Service:
    """A process group this script started (stopped with it)."""

    name: str
    process: subprocess.Popen
    log_path: Path

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def gunicorn_workers(self) -> list[int]:
        """The gunicorn workers in this group: processes whose parent is a gunicorn master."""
        group = os.getpgid(self.process.pid)
        gunicorns = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                cmdline = (stat.parent / "cmdline").read_bytes()
                if b"gunicorn" in cmdline and int(fields[2]) == group:
                    gunicorns[int(stat.parent.name)] = int(fields[1])
        return sorted(pid for pid, parent in gunicorns.items() if parent in gunicorns)


def start(name: str, command: list[str], env: dict[str, str], folder: Path) -> Service:
    log_path = folder / f"{name}.log"
    with log_path.open("w") as out:
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Service(name, process, log_path)


def memory_kb(pid: int) -> dict[str, int]:
    status = Path(f"/proc/{pid}/status").read_text()
    return {k: int(v.split()[0]) for k, v in re.findall(r"(VmHWM|VmRSS):\s+(\d+ kB)", status)}


# --- PostgreSQL, Redis, the corpus --------------------------------------------------------


def ensure_postgres() -> None:
    if subprocess.run(["pg_isready", "-h", HOST, "-q"], check=False).returncode == 0:
        return
    clusters = sorted(Path("/etc/postgresql").glob("*"))
    if not clusters or not shutil.which("pg_ctlcluster"):
        sys.exit("PostgreSQL is not running on 127.0.0.1:5432 and no cluster to start was found")
    subprocess.run(["pg_ctlcluster", clusters[0].name, "main", "start"], check=False)
    for _ in range(30):
        if subprocess.run(["pg_isready", "-h", HOST, "-q"], check=False).returncode == 0:
            return
        time.sleep(1)
    sys.exit("PostgreSQL did not start")


def fresh_database(name: str) -> str:
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{POSTGRES}/{name}"


def ensure_redis(folder: Path, services: list[Service]) -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_timeout=2).flushdb()
        return REDIS
    except redis.RedisError:
        pass
    if not shutil.which("redis-server"):
        sys.exit(f"Redis does not answer at {REDIS} and redis-server is not installed")
    port = free_port()
    command = ["redis-server", "--bind", HOST, "--port", str(port), "--save", ""]
    services.append(start("redis", command, dict(os.environ), folder))
    url = f"redis://{HOST}:{port}/0"
    for _ in range(50):
        with contextlib.suppress(redis.RedisError):
            redis.Redis.from_url(url, socket_timeout=1).ping()
            return url
        time.sleep(0.2)
    sys.exit("redis-server did not start")


def site_env(database: str, redis_url: str, folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "KB_ENV": "production",
        "SECRET_KEY": SECRET,
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": database,
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": "kb-bench",
        "DATA_DIR": str(folder),
        "MEDIA_ROOT": str(folder / "media"),
        "STATIC_ROOT": str(folder / "static"),
        "LOG_LEVEL": "WARNING",
        "WEB_CONCURRENCY": "2",
        "PYTHON": PYTHON,
    }


def manage(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(f"manage.py {args[0]} failed:\n{done.stderr[-3000:]}")


# --- Measuring -------------------------------------------------------------------------


def to_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


@dataclass
class Figure:
    rps: float
    p50: float
    p99: float


ENCODINGS = {"gzip": {"Accept-Encoding": "gzip"}, "identity": {}}


def wrk(url: str, encoding: str) -> Figure:
    headers = ENCODINGS[encoding]
    for _ in range(20):  # warm: compiled templates, every cache layer filled
        get(url, headers=headers)
    options = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
    done = subprocess.run(
        ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--latency", *options, url],
        capture_output=True,
        text=True,
        timeout=DURATION + 30,
        check=True,
    )
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", done.stdout).group(1))
    p50 = to_ms(re.search(r"\n\s+50%\s+(\S+)", done.stdout).group(1))
    p99 = to_ms(re.search(r"\n\s+99%\s+(\S+)", done.stdout).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    if errors:
        sys.exit(f"{url}: {errors.group(1)} answers were not 2xx or 3xx")
    return Figure(rps, p50, p99)


def measure(name: str, base: str, results: dict) -> None:
    for encoding in ENCODINGS:
        for page, path in PAGES:
            figure = wrk(f"{base}{path}", encoding)
            results[(name, page, encoding)] = figure
            log(
                f"  {name:<28} {page:<8} {encoding:<8} {figure.rps:>9,.0f} req/s"
                f"  p50 {figure.p50:6.2f} ms  p99 {figure.p99:6.2f} ms"
            )


def site_paths(base: str) -> list[str]:
    """Every reader page the home page and the sitemap lead to."""
    _, sitemap = get(f"{base}/sitemap.xml")
    paths = {
        re.sub(r"^https?://[^/]+", "", url)
        for url in re.findall(rb"<loc>([^<]+)</loc>", sitemap)
        for url in [url.decode()]
    }
    return sorted(paths | {"/", "/references/", "/tags/", "/changes/"})


def worker_memory(service: Service, base: str) -> list[str]:
    """Each worker's peak, then its size after every page of the site, SWEEPS times over."""
    workers = service.gunicorn_workers()
    lines = [f"{pid}: peak {memory_kb(pid)['VmHWM'] / 1024:.0f} MB" for pid in workers]
    paths = site_paths(base)
    sizes = {pid: [memory_kb(pid)["VmRSS"]] for pid in workers}
    for sweep in range(SWEEPS):
        for path in paths:
            for n in range(10):
                get(f"{base}{path}?utm={sweep}-{n}")
        for pid in workers:
            sizes[pid].append(memory_kb(pid)["VmRSS"])
    for pid in workers:
        after = " → ".join(f"{kb / 1024:.0f}" for kb in sizes[pid])
        lines.append(
            f"{pid}: resident MB after 0..{SWEEPS} sweeps of {len(paths)} pages × 10: {after}"
        )
    return lines


# --- The run ---------------------------------------------------------------------------


def main() -> None:
    for tool in ("wrk", "nginx", "varnishd"):
        if not shutil.which(tool) and not Path(f"/usr/sbin/{tool}").exists():
            sys.exit(f"{tool} is not installed (apt-get install {tool.rstrip('d')})")
    if not (CORPUS / "mkdocs.yml").exists():
        sys.exit(f"no corpus at {CORPUS} (set KB_CORPUS)")
    services: list[Service] = []
    results: dict[tuple[str, str], Figure] = {}
    memory: dict[str, list[str]] = {}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kb-bench-speed-") as tmp:
        folder = Path(tmp)
        folder.chmod(0o755)  # nginx's workers (nobody, when started as root) read the pages
        try:
            ensure_postgres()
            redis_url = ensure_redis(folder, services)
            env = site_env(fresh_database("kb_bench_speed"), redis_url, folder)
            log(f"importing {CORPUS.name} into PostgreSQL")
            manage(env, "migrate", "--noinput")
            manage(env, "import_mkdocs", str(CORPUS), "--history", str(CORPUS / "history.json"))
            manage(env, "collectstatic", "--noinput", "-v0")
            run(folder, env, services, results, memory)
        finally:
            for service in reversed(services):
                service.stop()
        render_phase(folder, redis_url)
    report(results, memory, time.monotonic() - started)


def run(folder, env, services, results, memory) -> None:
    # 1. The site, gunicorn alone (KB_FRONT=none), and the HTML it serves, saved as files.
    port = free_port()
    site = start(
        "gunicorn",
        ["sh", "scripts/start.sh"],
        {**env, "KB_FRONT": "none", "BIND": f"{HOST}:{port}"},
        folder,
    )
    services.append(site)
    base = f"http://{HOST}:{port}"
    wait_for(f"{base}/healthz", site.process)
    pages = folder / "pages"
    for _, path in PAGES:  # the bytes as sent: plain, and the stored gzip copy
        status, body = get(f"{base}{path}")
        assert status == 200, (path, status)
        target = pages / path.lstrip("/") / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
        status, zipped = get(f"{base}{path}", headers=ENCODINGS["gzip"])
        assert status == 200 and gzip.decompress(zipped) == body, path
        target.with_name("index.html.gz").write_bytes(zipped)
    log(f"saved {len(PAGES)} pages as files; measuring ({DURATION} s each)")
    measure("gunicorn, process cache", base, results)
    memory["gunicorn, process cache"] = worker_memory(site, base)
    site.stop()
    services.remove(site)

    # 2. The same bytes as static files under the same gunicorn.
    port = free_port()
    static = start(
        "gunicorn-static",
        [
            PYTHON,
            "-m",
            "gunicorn",
            "bench.static_site:application",
            "--workers",
            "2",
            "--bind",
            f"{HOST}:{port}",
            "--access-logfile",
            "-",
        ],
        {**env, "STATIC_SITE_ROOT": str(pages)},
        folder,
    )
    services.append(static)
    base = f"http://{HOST}:{port}"
    wait_for(f"{base}/", static.process)
    same_bytes(base, pages)
    measure("gunicorn, static files", base, results)
    memory["gunicorn, static files"] = [
        f"{pid}: peak {memory_kb(pid)['VmHWM'] / 1024:.0f} MB" for pid in static.gunicorn_workers()
    ]
    static.stop()
    services.remove(static)

    # 3. start.sh as shipped, then with Varnish between nginx and gunicorn.
    for name, extra in (
        ("nginx → gunicorn", {}),
        (
            "nginx → varnish → gunicorn",
            {"KB_HTTP_CACHE": "varnish", "KB_VARNISH_PORT": str(free_port())},
        ),
    ):
        port = free_port()
        front = start(
            "front", ["sh", "scripts/start.sh"], {**env, **extra, "BIND": f"{HOST}:{port}"}, folder
        )
        services.append(front)
        base = f"http://{HOST}:{port}"
        wait_for(f"{base}/healthz", front.process)
        measure(name, base, results)
        if "KB_VARNISH_PORT" in extra:  # and Varnish alone, on its own port
            measure("varnish → gunicorn", f"http://{HOST}:{extra['KB_VARNISH_PORT']}", results)
        memory[name] = [
            f"{pid}: peak {memory_kb(pid)['VmHWM'] / 1024:.0f} MB"
            for pid in front.gunicorn_workers()
        ]
        front.stop()
        services.remove(front)

    # 4. nginx serving the files, configured as start.sh's nginx (one worker).
    port = free_port()
    run_dir = folder / "nginx-static"
    run_dir.mkdir()
    (run_dir / "nginx.conf").write_text(
        (BASE_DIR / "bench" / "nginx_static.conf")
        .read_text()
        .replace("@RUN_DIR@", str(run_dir))
        .replace("@LISTEN@", f"{HOST}:{port}")
        .replace("@ROOT@", str(pages))
    )
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    server = start(
        "nginx-static",
        [nginx, "-p", str(run_dir), "-c", str(run_dir / "nginx.conf"), "-e", "stderr"],
        dict(os.environ),
        folder,
    )
    services.append(server)
    base = f"http://{HOST}:{port}"
    wait_for(f"{base}/", server.process)
    same_bytes(base, pages)
    measure("nginx, static files", base, results)


def same_bytes(base: str, pages: Path) -> None:
    for _, path in PAGES:
        for name, encoding in (("index.html", "identity"), ("index.html.gz", "gzip")):
            status, body = get(f"{base}{path}", headers=ENCODINGS[encoding])
            if status != 200 or body != (pages / path.lstrip("/") / name).read_bytes():
                sys.exit(f"{base}{path} does not serve the saved {encoding} bytes ({status})")


def render_phase(folder: Path, redis_url: str) -> None:
    log("\ngrowing a second database to 500 topics and 5,000 references for uncached renders")
    env = site_env(fresh_database("kb_bench_scale"), redis_url, folder)
    import redis

    # A fresh database counts its content versions from the start again: pages cached
    # under the same version numbers (by an earlier phase or run) must not answer.
    redis.Redis.from_url(redis_url, socket_timeout=2).flushdb()
    manage(env, "migrate", "--noinput")
    manage(env, "import_mkdocs", str(CORPUS), "--history", str(CORPUS / "history.json"))
    done = subprocess.run(
        [PYTHON, "bench/bench_renders.py"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    print("\n".join(line for line in done.stdout.splitlines()), flush=True)
    if done.returncode:
        sys.exit(done.stderr[-3000:])


def report(results: dict, memory: dict, seconds: float) -> None:
    load = os.getloadavg()
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    ram = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    print(
        f"\n{datetime.date.today()}, {os.cpu_count()} cores ({cpu}), {ram / 1024 / 1024:.0f} GiB,"
        f" load average {load[0]:.1f} at the end; wrk {THREADS} threads × {CONNECTIONS}"
        f" connections, {DURATION} s a page; {seconds / 60:.1f} minutes in all"
    )
    pairs = {
        "gunicorn, process cache": "gunicorn, static files",
        "nginx → gunicorn": "nginx, static files",
        "varnish → gunicorn": "nginx, static files",
        "nginx → varnish → gunicorn": "nginx, static files",
    }
    names = [
        "gunicorn, process cache",
        "gunicorn, static files",
        "nginx → gunicorn",
        "varnish → gunicorn",
        "nginx → varnish → gunicorn",
        "nginx, static files",
    ]
    for encoding in ENCODINGS:
        print(f"\n{encoding}:\n")
        print("| page | configuration | requests/s | p50 ms | p99 ms | against static |")
        print("| --- | --- | ---: | ---: | ---: | ---: |")
        for page, _ in PAGES:
            for name in names:
                figure = results.get((name, page, encoding))
                if figure is None:
                    continue
                static = results.get((pairs.get(name), page, encoding))
                ratio = f"{figure.rps / static.rps:.2f}×" if static else ""
                print(
                    f"| {page} | {name} | {figure.rps:,.0f} | {figure.p50:.2f} |"
                    f" {figure.p99:.2f} | {ratio} |"
                )
    print("\ngunicorn workers' memory:")
    for name, lines in memory.items():
        for line in lines:
            print(f"  {name}: {line}")


if __name__ == "__main__":
    main()
