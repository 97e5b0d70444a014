"""Back up the imported corpus and restore it into an empty database: size, times, counts.

Imports the pypackaging-native corpus with its history (KB_CORPUS, default
../shared/corpora/pypackaging-native) into a throw-away PostgreSQL database
(kb_d_bench_source on BENCH_POSTGRES, default postgres://postgres@127.0.0.1:5432),
then RUNS times: `manage.py backup` into a new folder, and `manage.py
restore_backup` of it into a new empty database (kb_d_bench_restored) and an
empty MEDIA_ROOT. Prints the backup's size, the backup and restore times (the
command's own figure, and the whole command with interpreter and Django
start-up), and the row counts of the main tables in the source, the manifest
and the restored database. Then the same on SQLite, for comparison. With
SCALE_TOPICS set (e.g. 500), the source is first grown by bench_renders.py
to that many topics and SCALE_REFERENCES references, as a bigger site.

Usage: .venv/bin/python bench/bench_backup.py     (about a minute; databases dropped at the end)
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
POSTGRES = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
CORPUS = Path(os.environ.get("KB_CORPUS") or BASE_DIR.parent / "shared/corpora/pypackaging-native")
RUNS = int(os.environ.get("RUNS", "3"))
SOURCE, RESTORED = "kb_d_bench_source", "kb_d_bench_restored"
MAIN = [
    ("auth_user", "users"),
    ("topics_section", "sections"),
    ("topics_topic", "topics"),
    ("topics_revision", "revisions"),
    ("topics_reference", "references"),
    ("topics_citation", "citations"),
    ("topics_image", "images"),
    ("topics_contentchange", "content changes"),
]
COUNTS = (
    "import json; from django.db import connection; "
    "from topics.services.backups import table_counts; "
    "print(json.dumps(table_counts(connection)))"
)


def manage(env: dict[str, str], *args: str) -> tuple[str, float]:
    """Run manage.py; return its output and how long the whole command took."""
    started = time.perf_counter()
    done = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"manage.py {args[0]} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    return done.stdout, seconds


def counts_of(env: dict[str, str]) -> dict[str, int]:
    """Every table's row count in the database `env` names (the last line shell prints)."""
    return json.loads(manage(env, "shell", "-v0", "-c", COUNTS)[0].strip().splitlines()[-1])


def fresh_database(name: str) -> str:
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{POSTGRES}/{name}"


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def reported_seconds(output: str) -> float:
    return float(re.search(r" in ([0-9.]+) s\.", output).group(1))


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def bench(engine: str, folder: Path) -> dict:
    """Import, then RUNS backups and restores; return the figures."""
    base = {
        **os.environ,
        "SILENCED_SYSTEM_CHECKS": "topics.W001",
        "LOG_LEVEL": "WARNING",
        "DATA_DIR": str(folder / "data"),
    }
    if engine == "postgresql":
        source = {**base, "DATABASE_URL": fresh_database(SOURCE)}
    else:
        source = {**base, "DATABASE_URL": f"sqlite:///{folder}/source.sqlite3"}
    source["MEDIA_ROOT"] = str(folder / "media")
    manage(source, "migrate", "-v0")
    _, imported = manage(
        source, "import_mkdocs", str(CORPUS), "--history", str(CORPUS / "history.json"), "-v0"
    )
    if os.environ.get("SCALE_TOPICS"):
        subprocess.run(
            [PYTHON, "-c", "import django; django.setup(); import bench_renders as b; b.grow()"],
            cwd=BASE_DIR / "bench",
            env={**source, "PYTHONPATH": str(BASE_DIR), "DJANGO_SETTINGS_MODULE": "kb.settings"},
            check=True,
        )
    source_counts = counts_of(source)
    figures: dict = {"engine": engine, "import": imported, "backups": [], "restores": []}
    for run in range(RUNS):
        backup = folder / f"backup-{run}"
        output, whole = manage(source, "backup", str(backup))
        figures["backups"].append((reported_seconds(output), whole))
        figures["size"] = folder_bytes(backup)
        manifest = json.loads((backup / "manifest.json").read_text())
        figures["database_bytes"] = manifest["files"][manifest["database_file"]]["bytes"]
        figures["media"] = sum(1 for name in manifest["files"] if name.startswith("media/"))
        if engine == "postgresql":
            target = {**base, "DATABASE_URL": fresh_database(RESTORED)}
        else:
            target = {**base, "DATABASE_URL": f"sqlite:///{folder}/restored-{run}.sqlite3"}
        target["MEDIA_ROOT"] = str(folder / f"media-restored-{run}")
        output, whole = manage(target, "restore_backup", str(backup))
        figures["restores"].append((reported_seconds(output), whole))
        restored_counts = counts_of(target)
        print(
            f"{engine} run {run + 1}: backup {figures['backups'][-1][0]:.2f} s, "
            f"restore {figures['restores'][-1][0]:.2f} s",
            flush=True,
        )
    figures["counts"] = (source_counts, manifest["counts"], restored_counts)
    if engine == "postgresql":
        drop_database(SOURCE)
        drop_database(RESTORED)
    return figures


def report(figures: dict) -> None:
    backups, restores = figures["backups"], figures["restores"]
    source, manifest, restored = figures["counts"]
    what = "the corpus"
    if os.environ.get("SCALE_TOPICS"):
        what += f", grown to {source.get('topics_topic')} topics"
    print(f"\n## {figures['engine']}: {what} ({figures['media']} media files)\n")
    print("| what | figure |\n| --- | ---: |")
    print(f"| backup size (whole folder) | {figures['size'] / 1024:.0f} KiB |")
    print(f"| of which the database file | {figures['database_bytes'] / 1024:.0f} KiB |")
    for name, runs in (("backup", backups), ("restore", restores)):
        own = statistics.median(r[0] for r in runs)
        whole = statistics.median(r[1] for r in runs)
        print(f"| {name} time, median of {len(runs)} (the command's own) | {own:.2f} s |")
        print(f"| {name} time, whole command with start-up | {whole:.2f} s |")
    print("\n| table | source | manifest | restored |\n| --- | ---: | ---: | ---: |")
    for table, words in MAIN:
        print(f"| {words} | {source.get(table)} | {manifest.get(table)} | {restored.get(table)} |")
    same = source == manifest == restored
    print(f"\nall {len(source)} tables: {'equal' if same else 'DIFFERENT'}")
    if not same:
        sys.exit(1)


def main() -> None:
    if not CORPUS.is_dir():
        sys.exit(f"corpus not found at {CORPUS} (set KB_CORPUS)")
    if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"], check=False).returncode:
        sys.exit("PostgreSQL does not answer on 127.0.0.1:5432")
    results = []
    with tempfile.TemporaryDirectory(prefix="kb-bench-backup-") as folder:
        for engine in ("postgresql", "sqlite"):
            (Path(folder) / engine).mkdir()
            results.append(bench(engine, Path(folder) / engine))
    for figures in results:
        report(figures)


if __name__ == "__main__":
    main()
