"""Shared fixtures: a temporary media folder, collected static files, factories, the corpus."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.management import call_command
from django.test import override_settings

from tests.factories import make_user
from topics.navigation import forget_nav

BASE_DIR = Path(__file__).resolve().parent.parent
# CI lays shared/ beside the clone; KB_CORPUS points elsewhere when it is not.
CORPUS = Path(
    os.environ.get("KB_CORPUS") or BASE_DIR.parent / "shared" / "corpora" / "pypackaging-native"
)
CORPUS_HISTORY = CORPUS / "history.json"
# A second real MkDocs Material site (Starlette's documentation), beside the first.
STARLETTE_CORPUS = Path(os.environ.get("KB_STARLETTE_CORPUS") or CORPUS.parent / "starlette")


def pytest_configure(config):
    """Under pytest-xdist each worker gets a Redis database of its own.

    Tests clear the cache (FLUSHDB, whatever the key prefix), which must not
    empty another worker's in the middle of its test. The cache handler reads
    CACHES on first use, which comes after this.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    location = django_settings.CACHES["default"].get("LOCATION")
    if not worker.startswith("gw") or not str(location).startswith("redis://"):
        return
    parts = urlsplit(location)
    number = (int(parts.path.strip("/") or 0) - int(worker.removeprefix("gw"))) % 16
    location = urlunsplit(parts._replace(path=f"/{number}"))
    django_settings.CACHES["default"]["LOCATION"] = location
    os.environ["REDIS_URL"] = location  # for the servers tests start
    os.environ.pop("CACHE_URL", None)


# The browser tests that sweep every main page: about as long as all the other browser
# tests together, so they run on a second worker beside them.
PAGE_SWEEPS = {"tests.test_browser_accessibility", "tests.test_browser_screenshots"}


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests are skipped on SQLite; browser tests without Chromium.

    With pytest-xdist (`make test` runs `-n auto --dist loadgroup`), each module
    runs whole on one worker, so its module fixtures are built once. The browser
    tests run in two groups: the page sweeps (PAGE_SWEEPS) on one worker, the
    others on another, so at most two Chromiums run at once (one group for all
    took 5 min 12 s for the suite on two cores, two groups 4 min 31 s).
    """
    vendor = django_settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    chromium = shutil.which("chromium") or os.path.exists("/usr/bin/chromium")
    require_browser = os.environ.get("KB_REQUIRE_BROWSER") == "1"
    skip_browser = pytest.mark.skip(reason="Chromium is not installed (apt-get install chromium)")
    for item in items:
        if "postgres" in item.keywords and vendor != "postgresql":
            item.add_marker(skip_pg)
        if "browser" in item.keywords and not chromium and not require_browser:
            item.add_marker(skip_browser)
        group = item.module.__name__
        if "browser" in item.keywords:
            group = "browser-pages" if item.module.__name__ in PAGE_SWEEPS else "browser"
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session", autouse=True)
def fast_password_hasher():
    """Hashing with PBKDF2 dominates user-heavy tests; what they test is not the hash."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="session", autouse=True)
def media_root():
    """Every test run stores uploads and imported images in a throw-away folder."""
    folder = Path(tempfile.mkdtemp(prefix="kb-test-media-"))
    with override_settings(MEDIA_ROOT=folder):
        yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def collected_static():
    """Pages use hashed static names (as in production): collect them when out of date."""
    manifest = Path(django_settings.STATIC_ROOT) / "staticfiles.json"
    sources = [p for folder in django_settings.STATICFILES_DIRS for p in Path(folder).rglob("*")]
    newest = max((p.stat().st_mtime for p in sources if p.is_file()), default=0)
    if not manifest.exists() or manifest.stat().st_mtime < newest:
        call_command("collectstatic", "--noinput", verbosity=0)


@pytest.fixture(autouse=True)
def clear_cache():
    """Rate limits, cached pages and navigation never leak from one test into another."""
    cache.clear()
    forget_nav()
    yield
    cache.clear()
    forget_nav()


@pytest.fixture
def one_rate_window(monkeypatch):
    """Rate limits count in fixed windows; a test that fills one must not straddle two.

    django-ratelimit starts a new window every period (shifted per key), so 120
    posts against a per-minute limit were let through whenever a minute ended
    during the loop, and the 121st was not refused. Its clock stands still here;
    everything else keeps the real time.
    """
    from django_ratelimit import core

    now = time.time()
    monkeypatch.setattr(core, "time", SimpleNamespace(time=lambda: now))


@pytest.fixture
def user(db):
    return make_user(username="reader")


@pytest.fixture
def staff(db):
    return make_user(username="maintainer", is_staff=True, is_superuser=True)


@pytest.fixture(scope="class")
def corpus(django_db_setup, django_db_blocker, media_root):
    """The real pypackaging-native site, imported once for a test class."""
    from tests.factories import wipe_content
    from topics.importers.mkdocs import MkDocsImporter

    if not CORPUS.is_dir():
        pytest.fail(f"corpus not found at {CORPUS}")
    with django_db_blocker.unblock():
        wipe_content()
        report = MkDocsImporter(CORPUS).run(history=CORPUS_HISTORY)
        yield report
        wipe_content()


@pytest.fixture(scope="class")
def starlette_corpus(django_db_setup, django_db_blocker, media_root):
    """Starlette's documentation (no history file), imported once for a test class."""
    from tests.factories import wipe_content
    from topics.importers.mkdocs import MkDocsImporter

    if not STARLETTE_CORPUS.is_dir():
        pytest.fail(f"Starlette corpus not found at {STARLETTE_CORPUS}")
    with django_db_blocker.unblock():
        wipe_content()
        yield MkDocsImporter(STARLETTE_CORPUS).run()
        wipe_content()


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, with static files served as in production.

    Its default handler looks static files up in the source folders, where the
    hashed names the pages ask for do not exist; WhiteNoise (in the middleware)
    serves the collected files instead.
    """
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer("localhost", start=False)
    server.thread.static_handler = lambda application: application
    server.start()
    request.addfinalizer(server.stop)
    return server
