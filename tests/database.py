"""The test database between tests: which tests flush it, and putting back what they took."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from django.core.management import call_command


def flushes_the_database(item: pytest.Item) -> bool:
    """Whether `item` runs outside a rolled-back transaction (its database is flushed after)."""
    marker = item.get_closest_marker("django_db")
    flagged = marker is not None and bool(
        marker.kwargs.get("transaction")
        or marker.kwargs.get("reset_sequences")
        or (marker.args and marker.args[0])
    )
    return flagged or bool({"transactional_db", "live_server"} & set(item.fixturenames))


def restore_migrated_rows(config: pytest.Config) -> None:
    """Put every test database back to the rows serialized right after migrating."""
    from django.db import connections
    from pytest_django.plugin import blocking_manager_key

    with config.stash[blocking_manager_key].unblock():
        for connection in connections.all(initialized_only=True):
            rows = getattr(connection, "_test_serialized_contents", None)
            # Only ever a test database: once the session's end has dropped it, the
            # connection names the real one again, which this must never flush.
            if rows is None or not is_test_database(connection):
                continue
            # Flushed without post_migrate first: it would recreate content types
            # and permissions under new ids, which the serialized rows then clash with.
            call_command(
                "flush",
                verbosity=0,
                interactive=False,
                database=connection.alias,
                inhibit_post_migrate=True,
            )
            connection.creation.deserialize_db_from_string(rows)


def is_test_database(connection) -> bool:
    """Whether `connection` points at a database Django created for tests.

    Django names them `test_<name>` (pytest-xdist adds `_gw0`…), and SQLite's
    live in memory; the project sets no other test name.
    """
    name = str(connection.settings_dict["NAME"])
    return Path(name).name.startswith("test_") or name == ":memory:" or "mode=memory" in name


# A folder per test process, named for it: kb-test-db-<pid>-<random>.
FOLDER_PREFIX = "kb-test-db-"
SHM = Path("/dev/shm")  # noqa: S108 (a private folder is made there, see below)
# /dev/shm may be small (64 MB in a default container) and Chromium uses it too.
SHM_FREE_BYTES = 512 * 1024 * 1024


def private_database_folder() -> Path:
    """A new private folder for this process's SQLite test database.

    In memory-backed /dev/shm when it has room, else the temporary folder.
    Folders left by runs that were killed (their process is gone) are removed.
    """
    usable = SHM.is_dir() and os.access(SHM, os.W_OK)
    if usable:
        stats = os.statvfs(SHM)
        usable = stats.f_bavail * stats.f_frsize >= SHM_FREE_BYTES
    parent = SHM if usable else Path(tempfile.gettempdir())
    for left in parent.glob(f"{FOLDER_PREFIX}*"):
        pid = re.match(rf"{FOLDER_PREFIX}(\d+)-", left.name)
        if pid and not _alive(int(pid.group(1))):
            shutil.rmtree(left, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-", dir=parent))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True
