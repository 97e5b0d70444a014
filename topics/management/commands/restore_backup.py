"""python manage.py restore_backup PATH [--replace]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from topics.services.backups import (
    RestoreFailed,
    RestoreRefused,
    describe_counts,
    restore_backup,
)


class Command(BaseCommand):
    help = (
        "Restore a backup written by `manage.py backup` into an empty database (DATABASE_URL) "
        "and MEDIA_ROOT, after checking its checksums; then compare the row counts."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the backup's folder")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="delete what the database holds (and overwrite media files) instead of refusing",
        )

    def handle(self, *args, path: Path, replace: bool, **options):
        try:
            report = restore_backup(path=path, replace=replace)
        except (RestoreRefused, RestoreFailed) as exc:
            raise CommandError(str(exc)) from exc
        manifest = report.manifest
        self.stdout.write(
            f"backup of {manifest['created_at']} (version {manifest['app']['version']}), "
            f"checksums of {len(manifest['files'])} files match"
        )
        if report.replaced:
            self.stdout.write(self.style.WARNING("the database's previous content was replaced"))
        self.stdout.write(
            f"media: {report.media_written} files written, {report.media_same} already there"
        )
        self.stdout.write(
            f"rows: {describe_counts(report.counts)}; all {len(manifest['counts'])} tables "
            "match the manifest"
        )
        if report.pending_migrations:
            self.stdout.write(
                self.style.WARNING(
                    f"This code has {len(report.pending_migrations)} migrations the backup "
                    "predates: run `manage.py migrate` before serving."
                )
            )
        self.stdout.write(self.style.SUCCESS(f"Restored {path} in {report.seconds:.2f} s."))
