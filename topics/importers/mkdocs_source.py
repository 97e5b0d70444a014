"""Reading a MkDocs project's files: front matter, titles, slugs and the nav (pure).

No database here: the importer (topics/importers/mkdocs.py) turns what these
functions read into sections, topics and revisions, and the exporter
(topics/importers/mkdocs_export.py) writes the same format back.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.utils.text import slugify

HOME_SLUG = "home"
_ATX_H1 = re.compile(r"^#\s+(?P<title>.+?)\s*#*\s*$")
_SETEXT_H1 = re.compile(r"^=+\s*$")


@dataclass
class NavPage:
    path: str
    title: str | None = None
    group_title: str | None = None
    children: list[NavPage] = field(default_factory=list)


@dataclass
class NavSection:
    title: str
    pages: list[NavPage] = field(default_factory=list)


class MkDocsConfigLoader(yaml.SafeLoader):
    """mkdocs.yml may hold `!ENV` or `!!python/name:` tags; they do not matter here."""


MkDocsConfigLoader.add_multi_constructor("", lambda loader, suffix, node: None)


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<meta>.*?\n)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)


def split_front_matter(markdown_text: str) -> tuple[dict[str, Any], str]:
    """Take MkDocs' YAML front matter (``---`` ... ``---``) off a page: (meta, rest)."""
    match = _FRONT_MATTER.match(markdown_text)
    if not match:
        return {}, markdown_text
    try:
        meta = yaml.safe_load(match.group("meta"))
    except yaml.YAMLError:
        return {}, markdown_text
    if not isinstance(meta, dict):
        return {}, markdown_text
    return meta, markdown_text[match.end() :].lstrip("\n")


def split_title(markdown_text: str) -> tuple[str | None, str]:
    """Take a leading level-1 heading off a page: (title or None, rest of the body)."""
    lines = markdown_text.splitlines()
    index = 0
    while index < len(lines) and not lines[index].strip():
        index += 1
    if index >= len(lines):
        return None, markdown_text
    title: str | None = None
    if match := _ATX_H1.match(lines[index]):
        title, rest = match.group("title"), lines[index + 1 :]
    elif index + 1 < len(lines) and lines[index].strip() and _SETEXT_H1.match(lines[index + 1]):
        title, rest = lines[index].strip(), lines[index + 2 :]
    if title is None:
        return None, markdown_text
    while rest and not rest[0].strip():
        rest = rest[1:]
    body = "\n".join(rest)
    if markdown_text.endswith("\n") and body:
        body += "\n"
    return title, body


def slug_for(source_path: str) -> str:
    """`key-issues/simd_support.md` -> `simd-support`; an index.md takes its folder's name."""
    folder, name = posixpath.split(source_path.removesuffix(".md"))
    if name == "index":
        name = posixpath.basename(folder) or HOME_SLUG
    return slugify(name.replace("_", "-")) or "page"


def parse_nav(nav: Any, problems: list[str]) -> list[NavSection | NavPage]:
    """Turn mkdocs.yml's nav into sections and top-level pages, in order."""
    entries: list[NavSection | NavPage] = []
    for item in nav or []:
        title, value = _nav_item(item)
        if isinstance(value, list):
            entries.append(
                NavSection(title=title or "Untitled", pages=_parse_pages(value, problems))
            )
        elif isinstance(value, str) and value.endswith(".md"):
            entries.append(NavPage(path=value, title=title))
        else:
            problems.append(f"nav: skipped entry {item!r} (not a Markdown page or a group)")
    return entries


def _nav_item(item: Any) -> tuple[str | None, Any]:
    if isinstance(item, dict) and len(item) == 1:
        ((title, value),) = item.items()
        return str(title), value
    return None, item


def _parse_pages(items: list[Any], problems: list[str]) -> list[NavPage]:
    pages: list[NavPage] = []
    for item in items:
        title, value = _nav_item(item)
        if isinstance(value, list):
            children = _parse_pages(value, problems)
            if children and children[0].path.endswith("index.md") and not children[0].children:
                group = children[0]
                group.group_title, group.children = title, children[1:]
                pages.append(group)
            else:
                problems.append(
                    f"nav: group {title!r} has no index.md first; its pages are listed directly"
                )
                pages.extend(children)
        elif isinstance(value, str) and value.endswith(".md"):
            pages.append(NavPage(path=value, title=title))
        else:
            problems.append(f"nav: skipped entry {item!r} (not a Markdown page)")
    return pages


def nav_from_files(docs: Path) -> list[NavSection | NavPage]:
    """Without a nav, MkDocs lists files alphabetically with folders as groups."""
    entries: list[NavSection | NavPage] = []
    files = sorted(p.relative_to(docs).as_posix() for p in docs.rglob("*.md"))
    sections: dict[str, NavSection] = {}
    for path in files:
        top = path.split("/", 1)[0] if "/" in path else None
        if top is None:
            entries.append(NavPage(path=path))
            continue
        if top not in sections:
            sections[top] = NavSection(title=top.replace("-", " ").replace("_", " ").capitalize())
            entries.append(sections[top])
        sections[top].pages.append(NavPage(path=path))
    return entries
