"""python manage.py export_mkdocs DIR"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from topics.importers.mkdocs_export import MkDocsExporter


class Command(BaseCommand):
    help = "Write the published knowledge base as a MkDocs project (mkdocs.yml + docs/)."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, help="folder to write (created if missing)")
        parser.add_argument("--site-name", default=None)

    def handle(self, *args, directory: Path, site_name: str | None, **options):
        if (directory / "mkdocs.yml").exists() or (directory / "docs").exists():
            raise CommandError(
                f"{directory} already holds a MkDocs project; choose an empty folder."
            )
        report = MkDocsExporter(directory, site_name=site_name).run()
        for left_out in report.left_out:
            self.stderr.write(self.style.WARNING(f"left out: {left_out}"))
        self.stdout.write(
            self.style.SUCCESS(
                f"Exported {report.pages} pages and {report.images} images to {directory}."
            )
        )
