"""python manage.py backup PATH"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from topics.services.backups import ENGINE_NAMES, BackupError, describe_counts, write_backup


class Command(BaseCommand):
    help = (
        "Write a consistent backup of the database and the media (MEDIA_ROOT) into a new "
        "folder, with a manifest of counts and checksums."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="folder to create (must not hold anything)")

    def handle(self, *args, path: Path, **options):
        try:
            report = write_backup(path=path)
        except (BackupError, OSError) as exc:
            raise CommandError(f"No backup written: {exc}") from exc
        manifest = report.manifest
        self.stdout.write(
            f"database: {ENGINE_NAMES[manifest['engine']]} {manifest['server_version']}, "
            f"{manifest['database_file']} ({_size(report.database_bytes)}), "
            f"migrations up to {_latest(manifest['migrations'])}"
        )
        self.stdout.write(f"rows: {describe_counts(manifest['counts'])}")
        self.stdout.write(f"media: {report.media_files} files ({_size(report.media_bytes)})")
        for warning in manifest["warnings"]:
            self.stderr.write(self.style.WARNING(f"warning: {warning}"))
        self.stdout.write(self.style.SUCCESS(f"Backed up to {path} in {report.seconds:.2f} s."))


def _size(count: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    return str(count)


def _latest(migrations: list[str]) -> str:
    own = [name for name in migrations if name.startswith("topics.")]
    return max(own) if own else "(none)"
