"""Where a cache hit is cheapest: before Django (kb.wsgi's ReaderCache) or in a first middleware.

    python bench/bench_front_door.py      (about a minute)

Imports the corpus into a throw-away SQLite database, saves the topic page's
HTML, and measures under the same gunicorn (2 sync workers, production
settings, wrk 2 threads × 16 connections, DURATION seconds, on 127.0.0.1):

  bare WSGI           a WSGI callable returning the saved bytes (the floor)
  ReaderCache         kb.wsgi:application, as start.sh runs it (a process-layer hit)
  first middleware    the least a first middleware can do: return the saved bytes
  Django, shared hit  Django's whole request handling, the page from the shared cache
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_speed import (  # noqa: E402
    BASE_DIR,
    CONNECTIONS,
    CORPUS,
    DURATION,
    HOST,
    PYTHON,
    THREADS,
    free_port,
    get,
    log,
    manage,
    site_env,
    start,
    wait_for,
    wrk,
)

PATH = "/topics/simd-support/"
DURATION_NOTE = f"wrk {THREADS} threads × {CONNECTIONS} connections, {DURATION} s each"


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="kb-bench-door-") as tmp:
        folder = Path(tmp)
        env = site_env(f"sqlite:///{folder / 'db.sqlite3'}", "", folder)
        env.pop("REDIS_URL")
        env["SILENCED_SYSTEM_CHECKS"] = "topics.W001"
        manage(env, "migrate", "--noinput")
        manage(env, "import_mkdocs", str(CORPUS), "--history", str(CORPUS / "history.json"))
        manage(env, "collectstatic", "--noinput", "-v0")
        saved = folder / "page.html"
        env["BENCH_PAGE"] = str(saved)
        env["PYTHONPATH"] = str(BASE_DIR)
        apps = [  # the site first: it gives the page the others answer with
            ("ReaderCache", "kb.wsgi:application", {}),
            ("bare WSGI", "bench.front_door:bare", {}),
            ("first middleware", "bench.front_door:with_first_middleware", {"BENCH_DJANGO": "1"}),
            ("Django, shared hit", "kb.wsgi:django_application", {}),
        ]
        figures = {}
        for name, app, extra in apps:
            port = free_port()
            command = [PYTHON, "-m", "gunicorn", app, "--workers", "2", "--bind", f"{HOST}:{port}"]
            server = start("door", command, {**env, **extra}, folder)
            try:
                wait_for(f"http://{HOST}:{port}{PATH}", server.process)
                if not saved.exists():
                    saved.write_bytes(get(f"http://{HOST}:{port}{PATH}")[1])
                figures[name] = wrk(f"http://{HOST}:{port}{PATH}", "identity")
                log(
                    f"  {name:<20} {figures[name].rps:>9,.0f} req/s  p50 {figures[name].p50:.2f} ms"
                    f"  p99 {figures[name].p99:.2f} ms"
                )
            finally:
                server.stop()
        floor = figures["bare WSGI"].rps
        print(f"\nthe page: {saved.stat().st_size:,} bytes, {DURATION_NOTE}")
        print("\n| answered by | requests/s | p50 ms | p99 ms | against bare WSGI |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for name, figure in figures.items():
            print(
                f"| {name} | {figure.rps:,.0f} | {figure.p50:.2f} | {figure.p99:.2f} |"
                f" {figure.rps / floor:.2f}× |"
            )


if __name__ == "__main__":
    os.chdir(BASE_DIR)
    main()
