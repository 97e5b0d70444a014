"""python manage.py migrate_locked [--wait-for-database SECONDS] [migrate's own arguments]"""

import time

from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import OperationalError, connections

# pg_advisory_lock's key for "migrations of this project" (the bytes of "kb-migr"): every
# process that migrates the same database takes the same lock.
MIGRATION_LOCK_KEY = 0x6B622D6D696772


class Command(MigrateCommand):
    help = (
        "Django's migrate, run by one process at a time: on PostgreSQL it holds an advisory "
        "lock, so app servers starting together on a fresh database migrate it once (the "
        "others wait, then find nothing to apply). On other databases it is plain migrate."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--wait-for-database",
            type=float,
            default=0,
            metavar="SECONDS",
            help="retry connecting for up to this long (a database server still starting)",
        )

    def handle(self, *args, **options):
        alias = options["database"]
        self.wait_for_database(alias, options["wait_for_database"])
        if connections[alias].vendor != "postgresql":
            return super().handle(*args, **options)
        # A connection of its own: migrate opens, commits and may close the usual one,
        # while a session lock lives exactly as long as its connection (a killed
        # process releases it too).
        lock = connections.create_connection(alias)
        try:
            with lock.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [MIGRATION_LOCK_KEY])
                if not cursor.fetchone()[0]:
                    self.stdout.write("Another process is migrating this database: waiting.")
                    cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK_KEY])
            try:
                return super().handle(*args, **options)
            finally:
                with lock.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK_KEY])
        finally:
            lock.close()

    def wait_for_database(self, alias: str, seconds: float) -> None:
        """Connect to `alias`, retrying once a second for up to `seconds`."""
        connection = connections[alias]
        deadline = time.monotonic() + seconds
        while True:
            try:
                connection.ensure_connection()
                return
            except OperationalError as error:
                connection.close()
                if time.monotonic() >= deadline:
                    raise
                first_line = str(error).strip().splitlines()[0] if str(error).strip() else error
                self.stderr.write(f"The database is not ready ({first_line}): retrying.")
                time.sleep(1)
