"""Import a MkDocs project (mkdocs.yml nav + docs/) and its commit history.

The nav gives sections (top-level groups), top-level pages, nested groups
(a group's index.md becomes the parent topic of the group's other pages),
titles and order. Bodies are stored as written, so relative links keep
working through the renderer's link resolution and an export gives the
files back. Re-running the import updates in place.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import Resolver404, resolve
from django.utils.text import slugify

from topics.importers.git_history import GitError, read_history
from topics.importers.mkdocs_source import (
    MkDocsConfigLoader,
    NavPage,
    NavSection,
    nav_from_files,
    parse_nav,
    slug_for,
    split_front_matter,
    split_title,
)
from topics.importers.site_identity import identity_from_mkdocs
from topics.links import MkDocsLinks, line_of, relative_links, split_relative
from topics.markdown import MarkdownError, render, render_budget
from topics.models import (
    IMPORTED_MEDIA_DIR,
    Image,
    Revision,
    Section,
    SiteIdentity,
    Topic,
    source_path_urls,
)
from topics.services.content import free_slug, save_topic
from topics.tagging import parse_tags, validate_tags

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg"}
SECTION_ORDER_STEP = 10
NUMBERED_SECTION_SLUGS = {"key-issues"}


class ImportFailed(Exception):
    """The project cannot be imported at all (for example: no mkdocs.yml)."""


@dataclass
class ImportReport:
    """What an import did, for the summary and for tests."""

    pages_created: int = 0
    pages_updated: int = 0
    pages_unchanged: int = 0
    sections: int = 0
    images: int = 0
    references: int = 0
    revisions_created: int = 0
    problems: list[str] = field(default_factory=list)
    collisions: list[str] = field(default_factory=list)
    # Imported, but slower to render than an edit or a preview may be on the site.
    slow_pages: list[str] = field(default_factory=list)
    # What maintainers decided on the site that a re-import leaves as it is.
    kept: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return self.pages_created + self.pages_updated + self.pages_unchanged


class MkDocsImporter:
    """Import one MkDocs project directory into the database."""

    def __init__(self, directory: Path, *, progress: Callable[[str], None] | None = None) -> None:
        self.directory = Path(directory)
        self.progress = progress or (lambda message: None)
        self.report = ImportReport()

    def run(self, *, history: Path | None = None, git_history: bool = False) -> ImportReport:
        """Import the project; its history from the `history` file, or else from git if asked."""
        with render_budget(settings.KB_IMPORT_RENDER_TIMEOUT):
            return self._run(history=history, git_history=git_history)

    def _run(self, *, history: Path | None, git_history: bool) -> ImportReport:
        render("")  # the render process is started before any page is timed
        config = self._load_config()
        self.docs = self.directory / str(config.get("docs_dir") or "docs")
        if not self.docs.is_dir():
            raise ImportFailed(f"{self.docs}: docs folder not found")
        nav_config = config.get("nav")
        if nav_config:
            nav = parse_nav(nav_config, self.report.problems)
        else:
            self.progress("mkdocs.yml has no nav: importing every page in docs/ in name order")
            nav = nav_from_files(self.docs)
        history_commits = self._load_history(history) if history else None
        if git_history and history is None:
            history_commits = self._read_git_history()

        with transaction.atomic():
            self._import_identity(config)
            self._import_images()
            topics = self._import_nav(nav)
            self._render(topics)
            if history_commits is not None:
                self._import_history(history_commits, topics)
            self._record_current_text(topics)
        self._check_collisions(topics)
        return self.report

    # --- reading ----------------------------------------------------------

    def _load_config(self) -> dict[str, Any]:
        path = self.directory / "mkdocs.yml"
        if not path.is_file():
            raise ImportFailed(f"{path}: mkdocs.yml not found (is this a MkDocs project?)")
        try:
            config = yaml.load(path.read_text(encoding="utf-8"), Loader=MkDocsConfigLoader)  # noqa: S506
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise ImportFailed(f"{path}: not valid YAML: {exc}") from exc
        if not isinstance(config, dict):
            raise ImportFailed(f"{path}: expected a mapping of settings")
        return config

    def _load_history(self, path: Path) -> list[dict[str, Any]]:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            commits = data["commits"] if isinstance(data, dict) else data
            if not isinstance(commits, list):
                raise TypeError("'commits' is not a list")
        except FileNotFoundError as exc:
            raise ImportFailed(f"{path}: history file not found") from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise ImportFailed(f"{path}: not a history file ({exc})") from exc
        return commits

    def _read_git_history(self) -> list[dict[str, Any]]:
        """The commits of the repository the project is in; pages that moved keep their topics."""
        docs_dir = self.docs.relative_to(self.directory).as_posix()
        prefix = f"{docs_dir}/"
        stored = Revision.objects.exclude(commit="").filter(topic__source_path__isnull=False)
        known = {
            (prefix + path, sha) for path, sha in stored.values_list("topic__source_path", "commit")
        }
        # mkdocs.yml is never stored: its change is old news once the commit's pages are.
        known |= {("mkdocs.yml", sha) for _, sha in known}
        try:
            found = read_history(self.directory, docs_dir=docs_dir, known=known)
        except GitError as exc:
            raise ImportFailed(f"{self.directory}: cannot read the git history: {exc}") from exc
        with transaction.atomic():
            for before, now in found.renamed.items():
                old, new = before.removeprefix(prefix), now.removeprefix(prefix)
                taken = Topic.objects.filter(source_path=new).exists()
                if not taken and Topic.objects.filter(source_path=old).update(source_path=new):
                    self.progress(f"moved in git: {old} -> {new}")
        pages = sum(
            any(c["path"] != "mkdocs.yml" for c in commit["changes"]) for commit in found.commits
        )
        self.progress(f"history from git: {pages} new commits changing pages")
        return found.commits

    def _read_page(self, source_path: str) -> str | None:
        file = self.docs / source_path
        try:
            return file.read_text(encoding="utf-8")
        except FileNotFoundError:
            self.report.problems.append(f"{file}: listed in the nav but the file is missing")
        except UnicodeDecodeError:
            self.report.problems.append(f"{file}: not UTF-8 text; skipped")
        return None

    def _tags(self, meta: dict[str, Any], source_path: str, *, report: bool = True) -> list[str]:
        """Front matter `tags:` (Material's tags plugin): a list, or one comma-separated string."""
        value = meta.get("tags") or []
        if isinstance(value, str):
            names = parse_tags(value)
        else:
            names = [str(v) for v in value if v] if isinstance(value, list) else []
        kept = []
        for name in names:
            try:
                kept += validate_tags([name])
            except ValidationError as exc:
                if report:
                    self.report.problems.append(
                        f"{self.docs / source_path}: tag {name!r} skipped: {exc.messages[0]}"
                    )
        return sorted(dict.fromkeys(kept))

    # --- writing ----------------------------------------------------------

    def _import_identity(self, config: dict[str, Any]) -> None:
        """What mkdocs.yml and the licence say replaces the stored identity; the rest stays."""
        values = identity_from_mkdocs(config, self.directory)
        identity = (
            SiteIdentity.objects.filter(pk=SiteIdentity.SINGLETON_ID).first() or SiteIdentity()
        )
        if identity.pk is None or any(getattr(identity, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(identity, key, value)
            identity.save()
        self.progress(f"site: {identity.name or '(no site_name)'}")

    def _import_images(self) -> None:
        for file in sorted(self.docs.rglob("*")):
            if file.suffix.lower() not in IMAGE_SUFFIXES or not file.is_file():
                continue
            source_path = file.relative_to(self.docs).as_posix()
            name = f"{IMPORTED_MEDIA_DIR}/{source_path}"
            content = file.read_bytes()
            if not (default_storage.exists(name) and _same_bytes(name, content)):
                if default_storage.exists(name):
                    default_storage.delete(name)
                default_storage.save(name, ContentFile(content))
            Image.objects.update_or_create(source_path=source_path, defaults={"file": name})
            self.report.images += 1
        self.progress(f"images: {self.report.images}")

    def _import_nav(self, nav: list[NavSection | NavPage]) -> list[Topic]:
        topics: list[Topic] = []
        for position, entry in enumerate(nav, start=1):
            order = position * SECTION_ORDER_STEP
            if isinstance(entry, NavSection):
                slug = slugify(entry.title)[:100] or f"section-{position}"
                section, _ = Section.objects.update_or_create(
                    slug=slug,
                    defaults={"title": entry.title, "order": order},
                    # Key issues are numbered on a new import; later a maintainer decides.
                    create_defaults={
                        "title": entry.title,
                        "order": order,
                        "numbered": slug in NUMBERED_SECTION_SLUGS,
                    },
                )
                self.report.sections += 1
                for page_order, page in enumerate(entry.pages, start=1):
                    topics += self._import_page(
                        page, section=section, parent=None, order=page_order
                    )
            else:
                topics += self._import_page(entry, section=None, parent=None, order=order)
        return topics

    def _import_page(
        self, page: NavPage, *, section: Section | None, parent: Topic | None, order: int
    ) -> list[Topic]:
        text = self._read_page(page.path)
        if text is None:
            return []
        meta, text = split_front_matter(text)
        h1, body = split_title(text)
        started = time.perf_counter()
        try:
            # Rendered once here without the site's links (they need every page's address),
            # to refuse what cannot be rendered, time it, and find its relative links.
            plain = render(body)
        except MarkdownError as exc:
            self.report.problems.append(f"{self.docs / page.path}: cannot be rendered: {exc}")
            return []
        took = time.perf_counter() - started
        if took > settings.KB_RENDER_TIMEOUT:
            self.report.slow_pages.append(
                f"{self.docs / page.path}: took {took:.1f} s to render, over the "
                f"{settings.KB_RENDER_TIMEOUT:g} s an edit or a preview may take on the site "
                "(KB_RENDER_TIMEOUT): readers see it, but changes to it will be refused "
                "until it is split or shortened"
            )
        title = str(meta.get("title") or h1 or page.title or _title_from_path(page.path))[:200]
        topic = Topic.objects.filter(source_path=page.path).first()
        created = topic is None
        if created:
            topic = Topic(source_path=page.path, slug=self._free_slug(slug_for(page.path)))
        values = {
            "title": title,
            "section": section,
            "parent": parent,
            "order": order,
            # Only a nav label that differs from the page's own title is worth keeping.
            "nav_title": next((t for t in (page.group_title, page.title) if t and t != title), "")[
                :200
            ],
            "body": body,
            "summary": str(meta.get("description") or "")[:1000],
            # The site's own choices stay: a topic a maintainer unpublished or archived,
            # and the home page, which a maintainer may have given to another topic.
            "is_home": (
                page.path == "index.md" and not Topic.objects.filter(is_home=True).exists()
                if created
                else topic.is_home
            ),
            "status": Topic.Status.PUBLISHED if created else topic.status,
        }
        if not created and topic.status != Topic.Status.PUBLISHED:
            self.report.kept.append(
                f"{page.path}: /topics/{topic.slug}/ stays {topic.get_status_display().lower()} "
                "as on the site; its text from the file is stored as a revision"
            )
        # A page without `tags:` keeps the tags maintainers gave it on the site.
        tags_before = [] if created else sorted(topic.tags.names())
        tags = self._tags(meta, page.path) if "tags" in meta else tags_before
        tags_changed = tags != tags_before
        changed = created or any(getattr(topic, key) != value for key, value in values.items())
        changed = changed or tags_changed
        for key, value in values.items():
            setattr(topic, key, value)
        topic._import_changed = changed
        topic._import_tags = ", ".join(tags)
        topic._import_links = list(dict.fromkeys(relative_links(plain.html)))
        if created:
            self.report.pages_created += 1
        elif changed:
            self.report.pages_updated += 1
        else:
            self.report.pages_unchanged += 1
        topic.save()
        if tags_changed:
            topic.tags.set(tags)
        self.progress(f"page: {page.path} -> /topics/{topic.slug}/")
        topics = [topic]
        for child_order, child in enumerate(page.children, start=1):
            topics += self._import_page(child, section=section, parent=topic, order=child_order)
        return topics

    def _free_slug(self, slug: str) -> str:
        candidate = free_slug(slug)
        if candidate != slug:
            self.report.problems.append(
                f"slug {slug!r} is taken by another topic; this page is at /topics/{candidate}/"
            )
        return candidate

    def _render(self, topics: list[Topic]) -> None:
        links = source_path_urls()
        for topic in topics:
            try:
                save_topic(topic=topic, links=links)
            except MarkdownError as exc:
                self.report.problems.append(f"{topic.source_path}: cannot be rendered: {exc}")
        self.report.references = (
            Topic.objects.filter(pk__in=[t.pk for t in topics])
            .values("references")
            .exclude(references=None)
            .distinct()
            .count()
        )
        self.progress(f"references: {self.report.references}")
        self._check_links(topics)

    def _check_links(self, topics: list[Topic]) -> None:
        """Report relative links that reach no page or file, as on the original site: file:line."""
        files = [p for p in self.docs.rglob("*") if p.is_file()]
        docs_files = {file.relative_to(self.docs).as_posix() for file in files}
        pages = {path: "" for path in docs_files if path.endswith(".md")}
        images = Image.objects.exclude(source_path=None)
        imported = set(images.values_list("source_path", flat=True))
        for topic in topics:
            resolver = MkDocsLinks.for_page(topic.source_path, pages=pages, files=docs_files)
            try:
                source = (self.docs / topic.source_path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue  # already reported
            for url in topic._import_links:
                path = split_relative(url)[0]
                target = resolver.locate(path)
                where = f"{self.docs / topic.source_path}:{line_of(source, url)}"
                if target is not None and target.kind == "missing":
                    self.report.problems.append(
                        f"{where}: link {url!r} is broken: no page or file at "
                        f"/{target.path} on the original site either"
                    )
                elif target is not None and target.kind == "file" and target.path not in imported:
                    self.report.problems.append(
                        f"{where}: link {url!r} leads to docs/{target.path}, which is not "
                        "imported (only images are)"
                    )

    def _import_history(self, commits: list[dict[str, Any]], topics: list[Topic]) -> None:
        prefix = self.docs.name + "/"
        by_path = {topic.source_path: topic for topic in topics}
        known = set(
            Revision.objects.filter(topic__in=topics)
            .exclude(commit="")
            .values_list("topic_id", "commit")
        )
        latest: dict[int, Revision | None] = {}
        for number, commit in enumerate(commits, start=1):
            try:
                sha, author = str(commit["commit"]), str(commit.get("author") or "")
                date = datetime.fromisoformat(commit["date"])
                message = str(commit.get("message") or "").strip()
                changes = commit.get("changes") or []
            except (KeyError, TypeError, ValueError) as exc:
                self.report.problems.append(f"history: commit #{number} is malformed ({exc})")
                continue
            for change in changes:
                path = str(change.get("path") or "")
                topic = by_path.get(path.removeprefix(prefix)) if path.startswith(prefix) else None
                content = change.get("content")
                if topic is None or content is None:
                    continue
                if (topic.pk, sha) in known:
                    latest[topic.pk] = None
                    continue
                meta, content = split_front_matter(content)
                h1, body = split_title(content)
                revision = Revision.objects.create(
                    topic=topic,
                    title=str(meta.get("title") or h1 or topic.title)[:200],
                    summary=str(meta.get("description") or "")[:1000],
                    body=body,
                    tags=", ".join(self._tags(meta, topic.source_path, report=False))[:1000],
                    author_name=author[:200],
                    created_at=date,
                    message=message.splitlines()[0][:500] if message else "",
                    commit=sha,
                    status=Revision.Status.PUBLISHED,
                    based_on=latest.get(topic.pk)
                    or topic.revisions.order_by("-created_at").first(),
                )
                known.add((topic.pk, sha))
                latest[topic.pk] = revision
                self.report.revisions_created += 1
        self._date_topics_from_revisions(topics)
        self.progress(f"revisions from history: {self.report.revisions_created}")

    def _date_topics_from_revisions(self, topics: list[Topic]) -> None:
        for topic in topics:
            dates = topic.revisions.exclude(commit="").order_by("created_at")
            first, last = dates.first(), dates.last()
            if first and (
                topic.created_at != first.created_at or topic.updated_at != last.created_at
            ):
                Topic.objects.filter(pk=topic.pk).update(
                    created_at=first.created_at, updated_at=last.created_at
                )

    def _record_current_text(self, topics: list[Topic]) -> None:
        """Store the imported text as a revision unless the latest one already has it."""
        for topic in topics:
            newest = (
                topic.revisions.filter(status=Revision.Status.PUBLISHED)
                .order_by("-created_at", "-id")
                .first()
            )
            latest = topic.current_revision or newest
            # A re-import's new commits are newer than the text published before it.
            if newest and latest and newest.created_at > latest.created_at:
                latest = newest
            tags = getattr(topic, "_import_tags", "")
            if (
                latest
                and (latest.title, latest.summary, latest.body)
                == (
                    topic.title,
                    topic.summary,
                    topic.body,
                )
                and sorted(parse_tags(latest.tags)) == sorted(parse_tags(tags))
            ):
                self._make_current(topic, latest)
                continue
            # The base is part of the key: the file's text, imported again over a
            # newer text written on the site, becomes a new revision on top of it.
            base = latest.pk if latest else ""
            text = f"{base}\n{topic.title}\n{topic.summary}\n{topic.body}"
            text += f"\ntags: {tags}" if tags else ""
            digest = hashlib.sha256(text.encode()).hexdigest()[:16]
            revision, created = Revision.objects.get_or_create(
                topic=topic,
                commit=f"import-{digest}",
                defaults={
                    "title": topic.title,
                    "summary": topic.summary,
                    "body": topic.body,
                    "tags": tags,
                    "author_name": "import",
                    "message": f"Imported from {self.directory.name}",
                    "status": Revision.Status.PUBLISHED,
                    "based_on": latest,
                },
            )
            self._make_current(topic, revision)
            if created:
                self.report.revisions_created += 1
                if getattr(topic, "_import_changed", False):
                    Topic.objects.filter(pk=topic.pk).update(updated_at=revision.created_at)

    def _make_current(self, topic: Topic, revision: Revision) -> None:
        """The imported text is what readers see: its revision is the published one."""
        if topic.current_revision_id != revision.pk:
            Topic.objects.filter(pk=topic.pk).update(current_revision=revision)
            topic.current_revision = revision

    def _check_collisions(self, topics: list[Topic]) -> None:
        for topic in topics:
            legacy = topic.legacy_path
            if not legacy:
                continue
            try:
                match = resolve(f"/{legacy}")
            except Resolver404:
                continue
            if match.url_name != "legacy_page":
                self.report.collisions.append(
                    f"/{legacy} ({topic.source_path}) is also the address of this site's "
                    f"{match.url_name.replace('_', ' ')} page, which keeps it; "
                    f"the imported page is at {topic.get_absolute_url()}"
                )


def _same_bytes(name: str, content: bytes) -> bool:
    with default_storage.open(name, "rb") as stored:
        return stored.read() == content


def _title_from_path(path: str) -> str:
    return slug_for(path).replace("-", " ").capitalize()


def guess_type(name: str) -> str:
    """Content type of a stored file from its name."""
    return mimetypes.guess_type(name)[0] or "application/octet-stream"
