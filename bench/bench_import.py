"""Time the import of the pypackaging-native corpus with its history into a fresh database.

Usage: python bench/bench_import.py [CORPUS_DIR]   (prints one line per run, then the best)
Uses a throw-away SQLite database unless DATABASE_URL is set.
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
CORPUS = (
    Path(sys.argv[1])
    if len(sys.argv) > 1
    else BASE_DIR.parent / "shared/corpora/pypackaging-native"
)
RUNS = 3


def main() -> None:
    timings = []
    for run in range(1, RUNS + 1):
        with tempfile.TemporaryDirectory() as folder:
            env = {**os.environ, "DATA_DIR": folder, "MEDIA_ROOT": f"{folder}/media"}
            if "DATABASE_URL" not in os.environ:
                env["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
            manage = [sys.executable, str(BASE_DIR / "manage.py")]
            subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
            started = time.perf_counter()
            subprocess.run(
                [
                    *manage,
                    "import_mkdocs",
                    str(CORPUS),
                    "--history",
                    str(CORPUS / "history.json"),
                    "-v0",
                ],
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            elapsed = time.perf_counter() - started
            timings.append(elapsed)
            print(f"import run {run}: {elapsed:.2f} s (including interpreter start-up)")
    print(f"import of the corpus with history: {min(timings):.2f} s (best of {RUNS})")


if __name__ == "__main__":
    main()
