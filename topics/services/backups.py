"""Backups of the whole site (database and media) and restoring one into an empty database.

A backup is a folder: ``manifest.json`` (when, which version and migrations,
which engine, every table's row count, every file's size and SHA-256), the
database (``database.dump``, pg_dump's custom format, or ``database.sqlite3``)
and ``media/`` (a copy of ``MEDIA_ROOT``).

Consistency. The database is one snapshot: on PostgreSQL a read-only
REPEATABLE READ transaction exports its snapshot, pg_dump dumps exactly that
snapshot (``--snapshot``), and the manifest's counts are read in it too; on
SQLite the online backup API copies the file as of one moment while the site
keeps running, and the counts are read from the copy. Media are copied after
the dump. Uploads are written once under new random names before the row
that names them commits, and nothing deletes a file, so the copy holds every
file the dump names (a superset). The one change in place is a re-import of a
MkDocs site whose image changed (same name, new bytes): a referenced file
modified after the snapshot is listed in the manifest's ``warnings``, and the
command says to run the backup again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.db.migrations.loader import MigrationLoader

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA_DIR = "media"
DUMP_FILES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
ENGINE_NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
# A database whose tables hold rows in any of these holds data: restoring over it needs
# --replace. (A freshly migrated database holds only seeded groups and permissions.)
DATA_TABLES = (
    "auth_user",
    "topics_section",
    "topics_topic",
    "topics_revision",
    "topics_reference",
    "topics_image",
    "topics_round",
    "topics_ballot",
    "topics_feedback",
    "topics_referencesuggestion",
    "topics_siteidentity",
)
# What the command reports, in words.
MAIN_TABLES = {
    "topics_topic": "topics",
    "topics_revision": "revisions",
    "topics_reference": "references",
    "topics_round": "rounds",
    "topics_ballot": "ballots",
    "topics_feedback": "feedback",
    "topics_referencesuggestion": "suggested references",
    "auth_user": "users",
    "topics_image": "images",
}
CHUNK = 1024 * 1024
REQUIRED_KEYS = {"app", "engine", "database_file", "migrations", "counts", "files"}


class BackupError(Exception):
    """A backup could not be written; nothing was left at its path."""


class RestoreRefused(Exception):
    """A restore was refused before anything changed (unsound backup or a non-empty target)."""


class RestoreFailed(Exception):
    """A restore ran but its result does not match the backup's manifest."""


@dataclass
class BackupReport:
    path: Path
    manifest: dict
    seconds: float

    @property
    def database_bytes(self) -> int:
        return self.manifest["files"][self.manifest["database_file"]]["bytes"]

    @property
    def media_files(self) -> int:
        return sum(1 for name in self.manifest["files"] if name.startswith(f"{MEDIA_DIR}/"))

    @property
    def media_bytes(self) -> int:
        files = self.manifest["files"]
        return sum(v["bytes"] for k, v in files.items() if k.startswith(f"{MEDIA_DIR}/"))


@dataclass
class RestoreReport:
    path: Path
    manifest: dict
    seconds: float
    counts: dict[str, int]
    media_written: int = 0
    media_same: int = 0
    replaced: bool = False
    pending_migrations: list[str] = field(default_factory=list)


# --- Writing a backup -------------------------------------------------------------------


def write_backup(*, path: Path, using: str = "default", media_root: Path | None = None):
    """Write the database (one snapshot) and then the media into the new folder `path`."""
    path = Path(path)
    media_root = Path(media_root or settings.MEDIA_ROOT)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise BackupError(f"{path} already exists and is not an empty folder; choose a new one.")
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = connections[using]
    engine = _engine(connection)
    started = time.monotonic()
    created_at = datetime.now(UTC)
    work = Path(tempfile.mkdtemp(prefix=f".{path.name}.partial-", dir=path.parent))
    try:
        dump = work / DUMP_FILES[engine]
        if engine == "postgresql":
            snapshot = _dump_postgresql(connection, dump)
        else:
            snapshot = _dump_sqlite(connection, dump)
        files = {dump.name: _file_facts(dump)}
        files.update(_copy_media(media_root, work / MEDIA_DIR))
        manifest = {
            "format": FORMAT,
            "created_at": created_at.isoformat(),
            "seconds": 0.0,
            "app": {"name": "kb", "version": _app_version()},
            "engine": engine,
            "server_version": snapshot["server_version"],
            "dump_tool": snapshot["dump_tool"],
            "database_file": dump.name,
            "migrations": snapshot["migrations"],
            "counts": snapshot["counts"],
            "files": files,
            "warnings": _media_warnings(media_root, snapshot, created_at),
        }
        manifest["seconds"] = round(time.monotonic() - started, 3)
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        if path.exists():
            path.rmdir()
        work.rename(path)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return BackupReport(path=path, manifest=manifest, seconds=time.monotonic() - started)


def _engine(connection) -> str:
    if connection.vendor not in DUMP_FILES:
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {connection.vendor}.")
    return connection.vendor


def _dump_postgresql(connection, dump: Path) -> dict:
    """pg_dump one exported snapshot, and read the counts and migrations in that snapshot."""
    tool = _pg_tool("pg_dump", connection)
    snap = connections.create_connection(connection.alias)
    try:
        snap.connect()
        snap.set_autocommit(False)
        with snap.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot_id = cursor.fetchone()[0]
        facts = _snapshot_facts(snap)
        _run(
            [
                tool.path,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot_id}",
                f"--file={dump}",
            ],
            connection,
            "pg_dump",
        )
        snap.rollback()
    finally:
        snap.close()
    facts["server_version"] = tool.server_version
    facts["dump_tool"] = tool.version
    return facts


def _dump_sqlite(connection, dump: Path) -> dict:
    """Copy the live database with SQLite's online backup API, then read the copy."""
    connection.ensure_connection()
    target = sqlite3.connect(dump)
    try:
        connection.connection.backup(target)
        # One self-contained file, whatever the live database's journal mode.
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
    copy = connections.create_connection(connection.alias)
    copy.settings_dict = {**copy.settings_dict, "NAME": str(dump), "OPTIONS": {}}
    try:
        facts = _snapshot_facts(copy)
    finally:
        copy.close()
    facts["server_version"] = sqlite3.sqlite_version
    facts["dump_tool"] = f"sqlite3 online backup API (SQLite {sqlite3.sqlite_version})"
    return facts


def _snapshot_facts(connection) -> dict:
    """Row counts of every table, applied migrations and stored image names."""
    counts = table_counts(connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        migrations = [f"{app}.{name}" for app, name in cursor.fetchall()]
        images = []
        if "topics_image" in counts:
            cursor.execute("SELECT file FROM topics_image")
            images = [row[0] for row in cursor.fetchall()]
    return {"counts": counts, "migrations": migrations, "images": images}


def table_counts(connection) -> dict[str, int]:
    """The number of rows in every table of the database behind `connection`."""
    names = sorted(connection.introspection.table_names())
    counts = {}
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(name)}")  # noqa: S608
            counts[name] = cursor.fetchone()[0]
    return counts


def _copy_media(media_root: Path, target: Path) -> dict[str, dict]:
    """Copy every file under `media_root`, hashing it on the way."""
    files: dict[str, dict] = {}
    if not media_root.is_dir():
        return files
    for source in sorted(media_root.rglob("*")):
        if not source.is_file() or source.is_symlink():
            continue
        relative = source.relative_to(media_root).as_posix()
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            files[f"{MEDIA_DIR}/{relative}"] = _copy_hashing(source, destination)
        except FileNotFoundError:
            continue  # replaced between listing and copying; the warnings check catches it
        shutil.copystat(source, destination)
    return files


def _media_warnings(media_root: Path, snapshot: dict, since: datetime) -> list[str]:
    """Images the snapshot names that are missing, or were replaced while the backup ran."""
    warnings = []
    for name in snapshot["images"]:
        file = media_root / name
        try:
            modified = datetime.fromtimestamp(file.stat().st_mtime, UTC)
        except FileNotFoundError:
            warnings.append(f"media/{name}: named in the database but not in MEDIA_ROOT")
            continue
        if modified >= since:
            warnings.append(
                f"media/{name}: replaced while the backup ran (an import?), so it may be newer "
                "than the database; run the backup again"
            )
    return warnings


# --- Checking a backup ------------------------------------------------------------------


def read_manifest(path: Path) -> dict:
    """The backup's manifest, after checking every file against its size and SHA-256."""
    path = Path(path)
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except FileNotFoundError as exc:
        raise RestoreRefused(f"{path} is not a backup: it has no {MANIFEST}.") from exc
    except (OSError, ValueError) as exc:
        raise RestoreRefused(f"{path / MANIFEST} cannot be read: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise RestoreRefused(
            f"{path / MANIFEST} is not a backup manifest this version reads "
            f"(format {manifest.get('format') if isinstance(manifest, dict) else '?'}, "
            f"expected {FORMAT})."
        )
    missing = sorted(REQUIRED_KEYS - manifest.keys())
    if missing or not isinstance(manifest["files"], dict):
        raise RestoreRefused(
            f"{path / MANIFEST} is incomplete (no {', '.join(missing) or 'list of files'})."
        )
    problems = []
    expected = manifest["files"]
    if manifest["database_file"] not in expected:
        problems.append("the manifest names no database file")
    for name, facts in sorted(expected.items()):
        file = path / name
        if Path(name).is_absolute() or ".." in Path(name).parts:
            problems.append(f"{name} is outside the backup's folder")
            continue
        if not file.is_file():
            problems.append(f"{name} is missing")
            continue
        found = _file_facts(file)
        if found != facts:
            problems.append(
                f"{name} does not match its checksum (SHA-256 {found['sha256'][:12]}…, "
                f"{found['bytes']} bytes; the manifest says {facts.get('sha256', '?')[:12]}…, "
                f"{facts.get('bytes')} bytes)"
            )
    if problems:
        raise RestoreRefused(
            f"{path} is damaged; nothing was restored:\n  " + "\n  ".join(problems)
        )
    return manifest


# --- Restoring --------------------------------------------------------------------------


def restore_backup(
    *, path: Path, using: str = "default", media_root: Path | None = None, replace: bool = False
) -> RestoreReport:
    """Restore the backup at `path` into the (empty) database `using` and into MEDIA_ROOT.

    Everything is checked before anything changes: the files against the
    manifest, the engine, the migrations, that the database holds no data and
    that no media file would be overwritten with other bytes (unless
    `replace`). Then the media are written and the database loaded in one
    transaction, and its row counts compared with the manifest.
    """
    path = Path(path)
    media_root = Path(media_root or settings.MEDIA_ROOT)
    started = time.monotonic()
    manifest = read_manifest(path)
    connection = connections[using]
    engine = _engine(connection)
    if manifest["engine"] != engine:
        raise RestoreRefused(
            f"This backup is of a {ENGINE_NAMES.get(manifest['engine'], manifest['engine'])} "
            f"database; restore it into {ENGINE_NAMES.get(manifest['engine'], 'the same engine')} "
            f"(DATABASE_URL), not {ENGINE_NAMES[engine]}."
        )
    pending = _check_migrations(manifest)
    held = holds_data(connection)
    if held and not replace:
        described = ", ".join(f"{n} rows in {t}" for t, n in held.items())
        raise RestoreRefused(
            f"The database {connection.settings_dict['NAME']} already holds data ({described}); "
            "nothing was changed. Restore into an empty database, or pass --replace to "
            "delete what it holds and put the backup in its place."
        )
    media = _media_plan(path, manifest, media_root)
    if media["different"] and not replace:
        shown = ", ".join(media["different"][:3])
        raise RestoreRefused(
            f"MEDIA_ROOT ({media_root}) holds {len(media['different'])} files with other bytes "
            f"under the backup's names ({shown}…); nothing was changed. Restore into an empty "
            "MEDIA_ROOT, or pass --replace to overwrite them."
        )
    if engine == "postgresql":
        try:
            tools = [_pg_tool(name, connection) for name in ("pg_restore", "psql")]
        except BackupError as exc:
            raise RestoreRefused(f"{exc} Nothing was changed.") from exc
        _check_pg_restore(tools[0], manifest)
    written = _restore_media(path, media["write"], media_root)
    database = path / manifest["database_file"]
    if engine == "postgresql":
        _load_postgresql(connection, database)
    else:
        _load_sqlite(connection, database)
    counts = table_counts(connection)
    mismatched = {
        table: (expected, counts.get(table))
        for table, expected in manifest["counts"].items()
        if counts.get(table) != expected
    }
    if mismatched:
        described = ", ".join(
            f"{t}: {got} rows, {want} expected" for t, (want, got) in mismatched.items()
        )
        raise RestoreFailed(
            f"The database was restored but does not match the backup's manifest: {described}."
        )
    return RestoreReport(
        path=path,
        manifest=manifest,
        seconds=time.monotonic() - started,
        counts=counts,
        media_written=written,
        media_same=len(media["same"]),
        replaced=bool(held),
        pending_migrations=pending,
    )


def holds_data(connection) -> dict[str, int]:
    """The tables of users and content that hold rows (empty: the database holds no data)."""
    tables = set(connection.introspection.table_names())
    held = {}
    with connection.cursor() as cursor:
        for name in DATA_TABLES:
            if name in tables:
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(name)}")  # noqa: S608
                count = cursor.fetchone()[0]
                if count:
                    held[name] = count
    return held


def _check_migrations(manifest: dict) -> list[str]:
    """Refuse a backup from a newer version; return this code's migrations it lacks."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = {f"{app}.{name}" for app, name in loader.disk_migrations}
    applied = set(manifest["migrations"])
    unknown = sorted(applied - known)
    if unknown:
        raise RestoreRefused(
            f"This backup was made by a newer version of the site (version "
            f"{manifest['app'].get('version')}): it has migrations this code does not know "
            f"({', '.join(unknown[:3])}); install that version first. Nothing was changed."
        )
    return sorted(known - applied)


def _media_plan(path: Path, manifest: dict, media_root: Path) -> dict[str, list[str]]:
    """Which media files to write, which are already there, which would be overwritten."""
    plan: dict[str, list[str]] = {"write": [], "same": [], "different": []}
    prefix = f"{MEDIA_DIR}/"
    for name, facts in sorted(manifest["files"].items()):
        if not name.startswith(prefix):
            continue
        relative = name[len(prefix) :]
        existing = media_root / relative
        if not existing.exists():
            plan["write"].append(relative)
        elif existing.is_file() and _file_facts(existing) == facts:
            plan["same"].append(relative)
        else:
            plan["different"].append(relative)
            plan["write"].append(relative)
    return plan


def _restore_media(path: Path, names: list[str], media_root: Path) -> int:
    """Write each file under a temporary name, then move it into place."""
    for relative in names:
        destination = media_root / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        temporary = destination.with_name(f".{destination.name}.restoring")
        shutil.copy2(path / MEDIA_DIR / relative, temporary)
        os.replace(temporary, destination)
    return len(names)


def _load_sqlite(connection, database: Path) -> None:
    """Replace the whole database with the backup's, through SQLite's backup API."""
    connection.close()
    connection.ensure_connection()
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        source.backup(connection.connection)
    except sqlite3.Error as exc:
        raise RestoreFailed(f"Loading the database failed; it was left as it was: {exc}") from exc
    finally:
        source.close()
    connection.close()


def _load_postgresql(connection, dump: Path) -> None:
    """Empty the schema and load the dump in one transaction: all of it, or nothing.

    pg_restore writes the dump as SQL (tables, then their data, then indexes,
    constraints and triggers: the closed-round triggers are created after the
    ballots are loaded, so they never see the load), and psql runs it after
    dropping whatever the schema holds, with --single-transaction.
    """
    drops = _drop_statements(connection)
    connection.close()
    pg_restore = _pg_tool("pg_restore", connection).path
    psql = _pg_tool("psql", connection).path
    env = _pg_env(connection)
    restore = subprocess.Popen(
        [pg_restore, "--no-owner", "--no-privileges", "--file=-", str(dump)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    command = [psql, "--no-psqlrc", "--quiet", "--single-transaction", "-v", "ON_ERROR_STOP=1"]
    for statement in drops:
        command += ["-c", statement]
    command += ["-f", "-"]
    load = subprocess.run(
        command, stdin=restore.stdout, capture_output=True, text=True, env=env, check=False
    )
    restore.stdout.close()
    restore_errors = restore.stderr.read().decode(errors="replace")
    restore.wait()
    if restore.returncode or load.returncode:
        raise RestoreFailed(
            "Loading the dump failed; the database was left as it was:\n"
            + (restore_errors + load.stderr).strip()[-3000:]
        )


def _drop_statements(connection) -> list[str]:
    """DROP statements for every table, sequence, view and function in the current schema."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT format('DROP TABLE IF EXISTS %I.%I CASCADE', schemaname, tablename)
              FROM pg_tables WHERE schemaname = current_schema()
            UNION ALL
            SELECT format('DROP VIEW IF EXISTS %I.%I CASCADE', schemaname, viewname)
              FROM pg_views WHERE schemaname = current_schema()
            UNION ALL
            SELECT format('DROP SEQUENCE IF EXISTS %I.%I CASCADE', sequence_schema, sequence_name)
              FROM information_schema.sequences WHERE sequence_schema = current_schema()
            UNION ALL
            SELECT format('DROP FUNCTION IF EXISTS %s CASCADE', p.oid::regprocedure)
              FROM pg_proc p
             WHERE p.pronamespace = current_schema()::regnamespace
               AND NOT EXISTS (
                   SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
            """
        )
        return [row[0] for row in cursor.fetchall()]


# --- PostgreSQL client programs -----------------------------------------------------------


@dataclass(frozen=True)
class PgTool:
    path: str
    version: str
    major: int
    server_version: str
    server_major: int


def _pg_tool(name: str, connection) -> PgTool:
    """A PostgreSQL client program that can talk to this server (same major version or newer).

    KB_PG_BIN names the folder holding them; otherwise PATH, then Debian's
    /usr/lib/postgresql/<server major>/bin.
    """
    connection.ensure_connection()
    server_major, server_version = _server_version(connection)
    folder = os.environ.get("KB_PG_BIN", "").strip()
    candidates = [str(Path(folder) / name)] if folder else []
    candidates += [shutil.which(name) or "", f"/usr/lib/postgresql/{server_major}/bin/{name}"]
    found = None
    for candidate in filter(None, candidates):
        if not os.access(candidate, os.X_OK):
            continue
        version = subprocess.run(
            [candidate, "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
        match = re.search(r"(\d+)(?:\.\d+)*", version)
        major = int(match.group(1)) if match else 0
        found = found or (candidate, version, major)
        if major >= server_major:
            return PgTool(candidate, version, major, server_version, server_major)
    if found is None:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client, version {server_major} or "
            f"newer (Debian: apt-get install postgresql-client-{server_major}), or set KB_PG_BIN."
        )
    raise BackupError(
        f"{found[0]} is {found[1] or 'of an unknown version'}, older than the server "
        f"(PostgreSQL {server_version}); install postgresql-client-{server_major} or set "
        "KB_PG_BIN to its folder."
    )


def _server_version(connection) -> tuple[int, str]:
    number = connection.pg_version  # e.g. 150020
    major = number // 10000
    return major, f"{major}.{number % 10000}"


def _check_pg_restore(tool: PgTool, manifest: dict) -> None:
    match = re.search(r"(\d+)", manifest.get("dump_tool", ""))
    dumped_with = int(match.group(1)) if match else 0
    if tool.major < dumped_with:
        raise RestoreRefused(
            f"This backup was written by {manifest['dump_tool']}; {tool.path} is {tool.version} "
            f"and cannot read it. Install postgresql-client-{dumped_with} or newer. "
            "Nothing was changed."
        )


def _pg_env(connection) -> dict[str, str]:
    """The environment libpq reads to reach the database behind `connection`."""
    settings_dict = connection.settings_dict
    env = dict(os.environ)
    values = {
        "PGDATABASE": settings_dict.get("NAME"),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": str(settings_dict.get("PORT") or ""),
        "PGSSLMODE": (settings_dict.get("OPTIONS") or {}).get("sslmode"),
    }
    env.update({key: value for key, value in values.items() if value})
    return env


def _run(command: list[str], connection, what: str) -> None:
    done = subprocess.run(
        command, capture_output=True, text=True, env=_pg_env(connection), check=False
    )
    if done.returncode:
        raise BackupError(f"{what} failed: {done.stderr.strip()[-3000:]}")


# --- Files ------------------------------------------------------------------------------


def _file_facts(file: Path) -> dict:
    digest = hashlib.sha256()
    size = 0
    with file.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return {"bytes": size, "sha256": digest.hexdigest()}


def _copy_hashing(source: Path, destination: Path) -> dict:
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as reader, destination.open("wb") as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            writer.write(chunk)
            size += len(chunk)
    return {"bytes": size, "sha256": digest.hexdigest()}


def _app_version() -> str:
    try:
        return metadata.version("kb")
    except metadata.PackageNotFoundError:
        return "unknown"


def describe_counts(counts: dict[str, int]) -> str:
    """'21 topics, 180 revisions, …' for the main tables present."""
    return ", ".join(
        f"{counts[table]} {words}" for table, words in MAIN_TABLES.items() if table in counts
    )
