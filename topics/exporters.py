"""Write the published knowledge base back out as a MkDocs project.

Imported pages go back to their original paths (so the relative links in
their bodies still resolve); topics written on the site get
`<section>/<slug>.md`, or `<section>/<slug>/index.md` when they have
sub-pages. Importing the result gives the same sections, order, nesting,
titles, summaries, bodies and images.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.conf import settings
from django.core.files.storage import default_storage

from topics.markdown import EXTENSION_CONFIGS, EXTENSIONS
from topics.models import IMPORTED_MEDIA_DIR, Image, Topic
from topics.navigation import NavEntry, NavNode, build_nav

# The renderer's own configuration, so the exported site renders as the pages did.
MARKDOWN_EXTENSIONS = [
    {name: EXTENSION_CONFIGS[name]} if name in EXTENSION_CONFIGS else name for name in EXTENSIONS
]


@dataclass
class ExportReport:
    pages: int = 0
    images: int = 0


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


def page_text(topic: Topic) -> str:
    """The page as MkDocs reads it: front matter for the summary, the title as its H1."""
    front = ""
    if topic.summary:
        front = (
            "---\n" + yaml.safe_dump({"description": topic.summary}, allow_unicode=True) + "---\n\n"
        )
    body = topic.body if topic.body.endswith("\n") or not topic.body else topic.body + "\n"
    title = "" if topic.is_home and topic.title == "Home" else f"# {topic.title}\n\n"
    return f"{front}{title}{body}"


class MkDocsExporter:
    def __init__(self, directory: Path, *, site_name: str | None = None) -> None:
        self.directory = Path(directory)
        self.docs = self.directory / "docs"
        self.site_name = site_name or settings.KB_SITE_NAME
        self.report = ExportReport()

    def run(self) -> ExportReport:
        self.docs.mkdir(parents=True, exist_ok=True)
        topics = list(Topic.objects.published().select_related("section"))
        nav = [self._nav_entry(entry) for entry in build_nav(topics)]
        config = {
            "site_name": self.site_name,
            "theme": {"name": "material"},
            "nav": nav,
            "markdown_extensions": MARKDOWN_EXTENSIONS,
        }
        (self.directory / "mkdocs.yml").write_text(
            yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
        self._export_images()
        return self.report

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
        file.write_text(page_text(topic), encoding="utf-8")
        self.report.pages += 1

    def _export_images(self) -> None:
        for image in Image.objects.all():
            name = image.file.name
            relative = image.source_path or name.removeprefix(f"{IMPORTED_MEDIA_DIR}/")
            target = self.docs / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            with default_storage.open(name, "rb") as source:
                target.write_bytes(source.read())
            self.report.images += 1
