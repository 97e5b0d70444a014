"""Write the published knowledge base back out as a MkDocs project.

Imported pages go back to their original paths (so the relative links in
their bodies still resolve); topics written on the site get
`<section>/<slug>.md`, or `<section>/<slug>/index.md` when they have
sub-pages. Importing the result gives the same sections, order, nesting,
titles, summaries, bodies, tags, images and site identity. Links to images
uploaded through the editor (`/media/uploads/x.png`) become relative links
to their exported copies (`../uploads/x.png`), as MkDocs expects.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.conf import settings
from django.core.files.storage import default_storage

from topics.markdown import EXTENSION_CONFIGS, EXTENSIONS
from topics.models import IMPORTED_MEDIA_DIR, Image, SiteIdentity, Topic
from topics.navigation import NavEntry, NavNode, build_nav

# The renderer's own configuration, so the exported site renders as the pages did.
MARKDOWN_EXTENSIONS = [
    {name: EXTENSION_CONFIGS[name]} if name in EXTENSION_CONFIGS else name for name in EXTENSIONS
]


@dataclass
class ExportReport:
    pages: int = 0
    images: int = 0
    # Published topics with no place in the navigation (under a parent that is not
    # published), so not in the project: a re-import would not bring them back.
    left_out: list[str] = field(default_factory=list)


def page_path(topic: Topic, parent_path: str | None, has_children: bool) -> str:
    """Where a topic's Markdown file goes inside docs/."""
    if topic.source_path:
        return topic.source_path
    if topic.is_home:
        return "index.md"
    folder = (
        posixpath.dirname(parent_path)
        if parent_path
        else (topic.section.slug if topic.section else "")
    )
    stem = posixpath.join(folder, topic.slug)
    return f"{stem}/index.md" if has_children else f"{stem}.md"


# A Markdown link or image target (`](url` or a reference definition `[id]: url`) on a
# stored file: the path, and what follows it (`#only-light`).
_MEDIA_LINK = re.compile(
    r"(?P<lead>\]\(\s*<?|^[ ]{0,3}\[[^\]\n]+\]:[ \t]*<?)"
    + re.escape(settings.MEDIA_URL)
    + r"(?P<name>[^\s()<>\"'#?]+)",
    re.M,
)


def relative_media_links(body: str, page: str, exported: Mapping[str, str]) -> str:
    """Links to stored files that were exported, made relative to the page (`docs/` paths).

    `exported` maps a storage name (`uploads/x.png`) to its path in docs/
    (`uploads/x.png`); other links are left as written.
    """
    folder = posixpath.dirname(page) or "."

    def relative(match: re.Match) -> str:
        target = exported.get(match["name"])
        if target is None:
            return match[0]
        return match["lead"] + posixpath.relpath(target, folder)

    return _MEDIA_LINK.sub(relative, body)


def page_text(topic: Topic, body: str | None = None) -> str:
    """The page as MkDocs reads it: front matter for summary and tags, the title as its H1."""
    meta = {"description": topic.summary} if topic.summary else {}
    tags = sorted(tag.name for tag in topic.tags.all())
    if tags:
        meta["tags"] = tags
    front = f"---\n{yaml.safe_dump(meta, allow_unicode=True)}---\n\n" if meta else ""
    body = topic.body if body is None else body
    body = body if body.endswith("\n") or not body else body + "\n"
    title = "" if topic.is_home and topic.title == "Home" else f"# {topic.title}\n\n"
    return f"{front}{title}{body}"


class MkDocsExporter:
    def __init__(self, directory: Path, *, site_name: str | None = None) -> None:
        self.directory = Path(directory)
        self.docs = self.directory / "docs"
        self.identity = SiteIdentity.objects.first() or SiteIdentity()
        self.site_name = site_name or self.identity.display_name
        self.report = ExportReport()

    def run(self) -> ExportReport:
        self.docs.mkdir(parents=True, exist_ok=True)
        images = list(Image.objects.all())
        self.image_paths = {image.file.name: self._image_path(image) for image in images}
        topics = list(Topic.objects.published().select_related("section").prefetch_related("tags"))
        self.written: set[int] = set()
        nav = [self._nav_entry(entry) for entry in build_nav(topics)]
        for topic in topics:
            if topic.pk not in self.written:
                parent = Topic.objects.filter(pk=topic.parent_id).first()
                why = (
                    f"its parent /topics/{parent.slug}/ is {parent.get_status_display().lower()}"
                    if parent
                    else "it has no place in the navigation"
                )
                self.report.left_out.append(f"/topics/{topic.slug}/ is published, but {why}")
        config = {"site_name": self.site_name, **self._identity_config()}
        config |= {
            "theme": {"name": "material"},
            "nav": nav,
            "markdown_extensions": MARKDOWN_EXTENSIONS,
        }
        if any(topic.tags.all() for topic in topics):
            config["plugins"] = ["search", "tags"]  # Material's, which reads `tags:`
        (self.directory / "mkdocs.yml").write_text(
            yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
        self._export_licence()
        self._export_images(images)
        return self.report

    def _identity_config(self) -> dict:
        """The site identity in mkdocs.yml's own words (read back by the import)."""
        identity = self.identity
        config = {
            "site_description": identity.description,
            "site_url": identity.source_url,
            "copyright": identity.copyright,
            "repo_url": identity.repo_url,
            "repo_name": identity.repo_name,
        }
        if identity.licence_url:
            social = [{"icon": "material/license", "link": identity.licence_url}]
            config["extra"] = {"social": social}
        return {key: value for key, value in config.items() if value}

    def _export_licence(self) -> None:
        if not self.identity.licence_text:
            return
        name = self.identity.licence_url.rstrip("/").rsplit("/", 1)[-1]
        name = name if name.upper().startswith(("LICEN", "COPYING")) else "LICENSE"
        (self.directory / name).write_text(self.identity.licence_text + "\n", encoding="utf-8")

    def _nav_entry(self, entry: NavEntry):
        if entry.section is None:
            return self._nav_node(entry.nodes[0], None)
        return {entry.section.title: [self._nav_node(node, None) for node in entry.nodes]}

    def _nav_node(self, node: NavNode, parent_path: str | None):
        path = page_path(node.topic, parent_path, bool(node.children))
        self._write(path, node.topic)
        if not node.children:
            return {node.topic.nav_title: path} if node.topic.nav_title else path
        group = node.topic.nav_title or node.topic.title
        return {group: [path] + [self._nav_node(child, path) for child in node.children]}

    def _write(self, path: str, topic: Topic) -> None:
        file = self.docs / path
        file.parent.mkdir(parents=True, exist_ok=True)
        body = relative_media_links(topic.body, path, self.image_paths)
        file.write_text(page_text(topic, body), encoding="utf-8")
        self.report.pages += 1
        self.written.add(topic.pk)

    @staticmethod
    def _image_path(image: Image) -> str:
        """Where an image goes in docs/: its imported path, or its storage name (`uploads/…`)."""
        return image.source_path or image.file.name.removeprefix(f"{IMPORTED_MEDIA_DIR}/")

    def _export_images(self, images: list[Image]) -> None:
        for image in images:
            name = image.file.name
            target = self.docs / self._image_path(image)
            target.parent.mkdir(parents=True, exist_ok=True)
            with default_storage.open(name, "rb") as source:
                target.write_bytes(source.read())
            self.report.images += 1
