"""python manage.py import_mkdocs DIR|GIT-URL [--history FILE] [--force]"""

import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from topics.demo.loading import demo_content
from topics.importers.git_history import (
    GitError,
    clone,
    is_bare_repository,
    is_work_tree,
    looks_like_url,
)
from topics.importers.mkdocs import ImportFailed, MkDocsImporter
from topics.models import Section


class Command(BaseCommand):
    help = (
        "Import a MkDocs project (mkdocs.yml nav + docs/): a folder, or a git repository "
        "(a folder in one, or an address git can clone), whose commits become revisions."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "source",
            metavar="DIR|URL",
            help="folder holding mkdocs.yml, or a git repository address to clone",
        )
        parser.add_argument(
            "--history",
            type=Path,
            help="JSON file of commits to store as revisions (instead of reading git)",
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
        self,
        *args,
        source: str,
        history: Path | None,
        topic_template: list[str],
        force: bool,
        verbosity: int,
        **options,
    ):
        self._check_demo(force=force)
        if not (looks_like_url(source) or is_bare_repository(Path(source))):
            self._import(Path(source), history, topic_template, verbosity)
            return
        with tempfile.TemporaryDirectory(prefix="kb-import-") as folder:
            # Named after the repository, so revisions say "Imported from <name>".
            name = source.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].removesuffix(".git")
            target = Path(folder) / (name or "site")
            self.stdout.write(f"Cloning {source} ...")
            try:
                clone(source, target)
            except GitError as exc:
                raise CommandError(f"{source}: {exc}") from exc
            self._import(target, history, topic_template, verbosity)

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

    def _import(
        self, directory: Path, history: Path | None, topic_template: list[str], verbosity: int
    ) -> None:
        started = time.perf_counter()
        show = self.stdout.write if verbosity >= 1 else (lambda message: None)
        importer = MkDocsImporter(directory, progress=lambda message: show(f"  {message}"))
        from_git = history is None and is_work_tree(directory)
        try:
            report = importer.run(history=history, git_history=from_git)
        except ImportFailed as exc:
            raise CommandError(str(exc)) from exc
        for spec in topic_template:
            self._set_template(directory, spec)
        for problem in report.problems:
            self.stderr.write(self.style.WARNING(f"problem: {problem}"))
        for collision in report.collisions:
            self.stderr.write(self.style.WARNING(f"URL collision: {collision}"))
        for slow in report.slow_pages:
            self.stderr.write(self.style.WARNING(f"slow to render: {slow}"))
        for kept in report.kept:
            self.stdout.write(f"kept: {kept}")
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
        self.stdout.write(f"  topic template of section {slug}: {path}")
