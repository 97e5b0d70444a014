"""The test suite's own machinery: groups on workers, the test database, a clean one after
a flush, and the ORM beside a browser."""

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command
from django.db import connections

from tests.database import (
    FOLDER_PREFIX,
    is_test_database,
    private_database_folder,
    restore_migrated_rows,
)
from tests.factories import make_user
from topics.models import StakeholderGroup
from topics.roles import EDITORS, STAKEHOLDERS


def test_under_make_test_this_module_runs_whole_on_one_worker(request):
    """pytest 9.2 silently undid xdist's groups (each module's fixtures were built on
    both workers and a whole run took longer); this fails if that ever comes back."""
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("runs under make test (-n ... --dist loadgroup)")
    assert request.node.nodeid.endswith("@tests.test_suite")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_after_a_flush_the_rows_the_migrations_wrote_come_back(request):
    roles = {EDITORS, STAKEHOLDERS, "Maintainers"}
    groups = StakeholderGroup.objects.count()
    editors_may = Group.objects.get(name=EDITORS).permissions.count()
    assert roles <= set(Group.objects.values_list("name", flat=True)) and groups and editors_may
    # What Django does after every transactional test.
    call_command("flush", verbosity=0, interactive=False)
    assert not Group.objects.exists() and not StakeholderGroup.objects.exists()
    assert Permission.objects.exists()  # post_migrate made new ones, under new ids

    restore_migrated_rows(request.config)

    assert roles <= set(Group.objects.values_list("name", flat=True))
    assert StakeholderGroup.objects.count() == groups
    assert Group.objects.get(name=EDITORS).permissions.count() == editors_may


@pytest.mark.parametrize(
    ("name", "is_test"),
    [
        ("test_kb", True),
        ("test_kb_gw1", True),
        ("/somewhere/kb-test-db-x1y2/test_kb.sqlite3", True),
        ("file:memorydb_default?mode=memory&cache=shared", True),
        ("kb", False),  # PostgreSQL's own, named again once the session drops test_kb
        ("/srv/kb/var/db.sqlite3", False),
    ],
)
def test_the_restore_only_ever_touches_a_test_database(name, is_test):
    assert is_test_database(SimpleNamespace(settings_dict={"NAME": name})) is is_test


@pytest.mark.django_db(transaction=True)
def test_a_test_writes_to_a_table_another_connection_is_reading():
    """As a live-server request reads while a browser test writes. SQLite's shared-memory
    test database refused such a write at once ("database table is locked: auth_user"),
    and browser tests failed now and then; the file the suite uses lets it through."""
    make_user(username="ada")
    make_user(username="grace")
    reading, finished = threading.Event(), threading.Event()

    def request():
        try:
            with connections["default"].cursor() as cursor:  # this thread's own connection
                cursor.execute("SELECT username FROM auth_user")
                cursor.fetchone()  # one row of two: the statement is still open
                reading.set()
                finished.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=request)
    thread.start()
    try:
        assert reading.wait(10)
        make_user(username="mary")
    finally:
        finished.set()
        thread.join()
    assert User.objects.filter(username="mary").exists()


@pytest.mark.browser
def test_code_run_beside_playwright_queries_on_the_tests_own_connection():
    """With Playwright's loop running, Django would open a second connection in this
    thread: the test's writes would then race its own reads on another connection."""
    from tests.browser import chromium_browser

    outside = connections["default"]
    with chromium_browser():
        assert connections["default"] is outside


def test_a_killed_runs_database_folder_is_removed_and_a_running_ones_kept():
    """A run killed before its end leaves its database in memory-backed /dev/shm."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])  # noqa: S603 (our own interpreter)
    gone.wait()
    mine = private_database_folder()  # where this machine puts them
    killed = mine.parent / f"{FOLDER_PREFIX}{gone.pid}-abc"
    running = mine.parent / f"{FOLDER_PREFIX}{os.getpid()}-def"
    made = [mine, killed, running]
    for folder in (killed, running):
        folder.mkdir()
        (folder / "test_kb.sqlite3").write_bytes(b"rows")
    try:
        made.append(private_database_folder())
        assert not killed.exists() and running.exists()
        assert made[-1].name.startswith(f"{FOLDER_PREFIX}{os.getpid()}-")
    finally:
        for folder in made:
            shutil.rmtree(folder, ignore_errors=True)


def test_without_the_corpora_the_suite_stops_at_once_and_says_where_to_put_them(tmp_path):
    env = {**os.environ, "KB_CORPUS": str(tmp_path / "nowhere"), "KB_STARLETTE_CORPUS": ""}
    env.pop("PYTEST_XDIST_WORKER", None)
    run = subprocess.run(  # noqa: S603 (our own interpreter)
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "--collect-only", "-q"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 4, run.stdout[-2000:] + run.stderr[-2000:]
    assert "the test corpora are not at" in run.stderr and "KB_CORPUS=" in run.stderr
