"""python manage.py import_mkdocs DIR [--history FILE] [--force]"""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from topics.demo.loading import demo_content
from topics.importers.mkdocs import ImportFailed, MkDocsImporter
from topics.models import Section
from topics.page_cache import bump_version


class Command(BaseCommand):
    help = "Import a MkDocs project (mkdocs.yml nav + docs/) and optionally its commit history."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, help="folder holding mkdocs.yml")
        parser.add_argument(
            "--history", type=Path, help="JSON file of commits to store as revisions"
        )
        parser.add_argument(
            "--topic-template",
            action="append",
            default=[],
            metavar="SECTION=FILE",
            help="Markdown file (relative to DIR) that new topics proposed in SECTION start from",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="import even though the database holds demo content (it stays apart)",
        )

    def handle(
        self, *args, directory: Path, history: Path | None, topic_template: list[str], force: bool,
        verbosity: int, **options,
    ):  # fmt: skip
        self._check_demo(force=force)
        started = time.perf_counter()
        show = self.stdout.write if verbosity >= 1 else (lambda message: None)
        importer = MkDocsImporter(directory, progress=lambda message: show(f"  {message}"))
        try:
            report = importer.run(history=history)
        except ImportFailed as exc:
            raise CommandError(str(exc)) from exc
        for spec in topic_template:
            self._set_template(directory, spec)
        for problem in report.problems:
            self.stderr.write(self.style.WARNING(f"problem: {problem}"))
        for collision in report.collisions:
            self.stderr.write(self.style.WARNING(f"URL collision: {collision}"))
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {report.pages} pages ({report.pages_created} new, "
                f"{report.pages_updated} updated, {report.pages_unchanged} unchanged) "
                f"in {report.sections} sections, {report.images} images, "
                f"{report.references} references, {report.revisions_created} new revisions, "
                f"{len(report.problems)} problems, {len(report.collisions)} URL collisions "
                f"in {time.perf_counter() - started:.1f} s."
            )
        )

    def _check_demo(self, *, force: bool) -> None:
        demo = demo_content()
        if not demo:
            return
        message = (
            f"This database holds demo content ({demo}). Remove it first with "
            f"`python manage.py remove_demo`"
        )
        if not force:
            raise CommandError(f"{message}, or pass --force to import beside it.")
        self.stderr.write(
            self.style.WARNING(
                f"warning: {message}. Importing beside it (--force): demo sections and rounds "
                "stay marked as demo and never order the imported sections."
            )
        )

    def _set_template(self, directory: Path, spec: str) -> None:
        slug, separator, file = spec.partition("=")
        if not separator:
            raise CommandError(f"--topic-template {spec!r}: expected SECTION=FILE")
        path = directory / file
        try:
            template = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path}: cannot read the topic template ({exc})") from exc
        if not Section.objects.filter(slug=slug).update(topic_template=template):
            raise CommandError(f"--topic-template: no section with the slug {slug!r}")
        bump_version()
        self.stdout.write(f"  topic template of section {slug}: {path}")
