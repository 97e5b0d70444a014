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

from tests.database import flushes_the_database, private_database_folder, restore_migrated_rows
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
    """The real sites must be there; under pytest-xdist each worker gets a Redis database
    of its own.

    Without the corpora, a clone elsewhere failed 31 tests, each with a bare
    FileNotFoundError: one clear stop says where to put them instead.

    Tests clear the cache (FLUSHDB, whatever the key prefix), which must not
    empty another worker's in the middle of its test. The cache handler reads
    CACHES on first use, which comes after this.
    """
    missing = [
        str(path) for path in (CORPUS, STARLETTE_CORPUS) if not (path / "mkdocs.yml").is_file()
    ]
    if missing:
        raise pytest.UsageError(
            f"the test corpora are not at {' and '.join(missing)}: the suite imports the real "
            "sites. Put shared/corpora/ beside this clone, or set KB_CORPUS=/path/to/"
            "pypackaging-native and KB_STARLETTE_CORPUS=/path/to/starlette."
        )
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
# The longest groups start first, and the short ones fill in around them
# (longest-processing-time-first). Summed test time in a run here: the browser group
# 122 s, test_deploy 56 s, the page sweeps 44 s; no other module reaches 20 s.
LONGEST_FIRST = ("browser", "tests.test_deploy", "browser-pages")


def xdist_group(item: pytest.Item) -> str:
    """The group `item` runs in: its module, or one of the two browser groups."""
    if "browser" in item.keywords:
        return "browser-pages" if item.module.__name__ in PAGE_SWEEPS else "browser"
    return item.module.__name__


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests are skipped on SQLite; browser tests without Chromium.

    With pytest-xdist (`make test` runs `-n auto --dist loadgroup
    --no-loadscope-reorder`), each group runs whole on one worker, so its module
    fixtures are built once: a group is a module, except the browser tests,
    which run in two groups (the page sweeps, PAGE_SWEEPS, and the others), so
    at most two Chromiums run at once. The groups are marked before xdist reads
    the marks, and ordered after every other plugin has sorted the tests (longest
    first, LONGEST_FIRST): xdist hands them out in that order.
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
        item.add_marker(pytest.mark.xdist_group(xdist_group(item)))
    result = yield
    rank = {group: position for position, group in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(xdist_group(item), len(rank)))
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test, the database is as migrations left it again.

    Django flushes every table after such a test, taking the groups, the site
    identity and the other rows the data migrations wrote. Django and
    pytest-django run those tests last for that reason; this suite runs its
    tests group by group (a worker runs one module whole, then the next), so a
    plain test can follow a flush. Reloading the rows serialized after
    migrating (the ones `serialized_rollback` restores) makes every test start
    from the same database, whatever ran before it.
    """
    result = yield
    # After the last test (no next one) the session's end has already dropped the
    # test databases: there is nothing to put back.
    if nextitem is not None and flushes_the_database(item):
        restore_migrated_rows(item.config)
    return result


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """On SQLite, the test database is a file (in memory-backed /dev/shm where there is one).

    Django's default, one in-memory database in shared-cache mode, locks whole
    tables between connections and fails at once instead of waiting ("database
    table is locked"). Each live-server request opens its own connection, and
    so does test code run while Playwright's loop runs, so a browser test
    failed now and then when a page's request and the test wrote to the same
    table together. A file behaves as the site's own database does: the same
    WAL mode, and a writer waits for the lock (kb/settings.py).
    """
    from django.conf import settings

    default = settings.DATABASES["default"]
    if default["ENGINE"] != "django.db.backends.sqlite3":
        yield
        return
    folder = private_database_folder()
    default.setdefault("TEST", {})["NAME"] = str(folder / "test_kb.sqlite3")
    yield
    shutil.rmtree(folder, ignore_errors=True)


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
def one_minute(monkeypatch):
    """Pages and the navigation are keyed by the minute (topics/page_cache.py); a test
    that counts renders, builds or compressions must not straddle two (one did, in CI,
    when a minute ended between its requests). The minute stands still unless a test
    turns it."""
    from topics.page_cache import current_minute

    minute = current_minute()
    monkeypatch.setattr("topics.page_cache.current_minute", lambda: minute)


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
