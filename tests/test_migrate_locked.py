"""Migrations run once when several app servers start together (manage.py migrate_locked)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parent.parent


def manage(*args: str, database_url: str, data_dir: Path) -> subprocess.Popen:
    """Start `manage.py ARGS` against `database_url`, as start.sh would."""
    env = {**os.environ, "DATABASE_URL": database_url, "DATA_DIR": str(data_dir)}
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(process: subprocess.Popen) -> tuple[int, str]:
    output, _ = process.communicate(timeout=300)
    return process.returncode, output


@pytest.fixture
def empty_postgres_database():
    """A fresh, empty database on the suite's PostgreSQL server; its URL, dropped after."""
    db = settings.DATABASES["default"]
    server = {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
    }
    name = f"kb_b_migrate_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    credentials = quote(server["user"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    yield f"postgres://{credentials}@{server['host']}:{server['port']}/{name}"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_two_servers_starting_together_migrate_a_fresh_database_once(
    empty_postgres_database, tmp_path
):
    url = empty_postgres_database
    first, second = (
        manage("migrate_locked", "--noinput", database_url=url, data_dir=tmp_path) for _ in range(2)
    )
    results = [finish(first), finish(second)]
    for code, output in results:
        print(output)
        assert code == 0, output
    # One applied the migrations; the other waited for it and found nothing left to do.
    applied = ["Applying " in output for _, output in results]
    assert sorted(applied) == [False, True]
    assert any("No migrations to apply." in output for _, output in results)
    check = manage("migrate", "--check", database_url=url, data_dir=tmp_path)
    assert finish(check)[0] == 0  # every migration is recorded as applied
    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as connection:
        rows, distinct = connection.execute(
            "SELECT count(*), count(DISTINCT (app, name)) FROM django_migrations"
        ).fetchone()
    assert rows == distinct > 0


def test_on_sqlite_it_is_plain_migrate(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    migrating = manage("migrate_locked", "--noinput", database_url=url, data_dir=tmp_path)
    code, output = finish(migrating)
    assert code == 0, output
    assert "Applying topics." in output
    assert finish(manage("migrate", "--check", database_url=url, data_dir=tmp_path))[0] == 0
