"""The README names every setting the project reads, every command and every module.

A newcomer configures the site from the README's Configuration table and finds
code through its Layout section; these drift silently when code is added. Each
test lists exactly what is missing.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()

# Where each kind of file reads a variable from the environment.
PYTHON_READS = (
    r'\benv(?:_\w+)?\(\s*"([A-Z][A-Z0-9_]+)"',
    r'environ\.get\(\s*"([A-Z][A-Z0-9_]+)"',
    r'environ\["([A-Z][A-Z0-9_]+)"\]',
    r'getenv\(\s*"([A-Z][A-Z0-9_]+)"',
)
SHELL_READS = (r"\$\{([A-Z][A-Z0-9_]+):[-=]",)
READERS = {
    ("kb/*.py", "topics/**/*.py", "tests/*.py", "bench/*.py"): PYTHON_READS,
    ("scripts/*.sh", "deploy/*.sh", "bench/*.sh", ".ci/*", "Dockerfile"): SHELL_READS,
    ("docker-compose.yml",): (r"\$\{([A-Z][A-Z0-9_]+)",),
    ("Makefile",): (r"^([A-Z][A-Z0-9_]+) \?=",),
}
# Read from a WSGI request's environ, or set by the project for its own child processes.
NOT_SETTINGS = {
    "HTTP_ACCEPT_ENCODING",
    "HTTP_AUTHORIZATION",
    "HTTP_CACHE_CONTROL",
    "HTTP_COOKIE",
    "HTTP_HOST",
    "HTTP_IF_NONE_MATCH",
    "HTTP_PRAGMA",
    "PATH_INFO",
    "QUERY_STRING",
    "REQUEST_METHOD",
    "SCRIPT_NAME",
    "SERVER_NAME",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # tests/browser.py, beside Playwright
    "PYTEST_XDIST_WORKER",  # set by pytest-xdist
    "USER",  # the login name, not ours to document
    "PURGE",  # scripts/start.sh's own, from KB_HTTP_CACHE_PURGE
    "BENCH_PAGE",  # bench/bench_front_door.py to its servers
    "BENCH_DJANGO",
    "STATIC_SITE_ROOT",
}


def section(title: str) -> str:
    """The README's text under `## title`, up to the next `## ` heading."""
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def variables_read() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for globs, patterns in READERS.items():
        for pattern in globs:
            for file in ROOT.glob(pattern):
                if not file.is_file():
                    continue
                text = file.read_text()
                for regex in patterns:
                    for match in re.finditer(regex, text, re.MULTILINE):
                        found.setdefault(match.group(1), set()).add(
                            file.relative_to(ROOT).as_posix()
                        )
    return {name: files for name, files in found.items() if name not in NOT_SETTINGS}


def test_every_environment_variable_the_project_reads_is_in_the_readme():
    read = variables_read()
    assert {"SECRET_KEY", "DATABASE_URL", "KB_RENDER_TIMEOUT", "KB_FRONT", "TEST_WORKERS"} <= set(
        read
    ), "the scan no longer finds the settings it should"
    configuration, benchmarks = section("Configuration"), section("Benchmarks")
    missing = {
        name: sorted(files)
        for name, files in read.items()
        if f"`{name}`" not in configuration
        and not (all(f.startswith("bench/") for f in files) and f"`{name}`" in benchmarks)
    }
    assert not missing, f"read but not in the README's Configuration table: {missing}"


def test_every_management_command_is_in_the_readme():
    commands = [p.stem for p in (ROOT / "topics/management/commands").glob("*.py")]
    assert len(commands) >= 9
    layout = section("Layout")
    missing = [c for c in commands if not c.startswith("_") and c not in layout]
    assert not missing, f"not in the README's Layout section: {missing}"


def test_every_module_of_the_app_is_in_the_layout_section():
    layout = section("Layout")
    modules = [
        p.name for p in (ROOT / "topics").glob("*.py") if p.name not in {"__init__.py", "apps.py"}
    ] + [
        p.name + "/" for p in (ROOT / "topics").iterdir() if p.is_dir() and p.name != "__pycache__"
    ]
    missing = [name for name in modules if name not in layout]
    assert not missing, f"not in the README's Layout section: {missing}"
