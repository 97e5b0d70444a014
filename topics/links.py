"""Relative links in imported MkDocs pages, resolved the way MkDocs would.

MkDocs (1.6, with directory URLs) first reads a relative link as a path
from the page's *file*: if a file of the site is there (``../abi.md``,
``../assets/x.png``) the link is rewritten to that file's URL. Anything
else is left as written, and the browser then resolves it from the page's
*URL* (``key-issues/gpus.md`` is served at ``/key-issues/gpus/``), so that
``../native-dependencies`` and ``../../other_issues/#x`` work on the
original site. Both steps are done here, and the result is mapped to this
site's URL for the page (``/topics/native-dependencies/``) or stored file
(``/media/kb/assets/x.png``), with the fragment kept. A link that reaches
no page goes to the original site's address on this site, which the
legacy-page view redirects when it can, as the original site would.

The resolver is a plain, picklable value (no Django, no queries): renders
run in a separate process (topics/render_worker.py) and take it along.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal
from urllib.parse import quote, unquote, urlsplit

# Suffixes that name a page, not a file, in a link ("foo.html", "foo/index.html").
PAGE_SUFFIXES = (".md", ".html", ".htm")


@dataclass(frozen=True)
class Target:
    """Where a relative link leads: a page or file of the site (by docs/ path), or nowhere.

    For ``missing``, `path` is the original site's URL path the link reaches
    (``key-issues/gone/``), which has no page.
    """

    kind: Literal["page", "file", "missing"]
    path: str


def page_url_path(source_path: str) -> str:
    """MkDocs' directory URL path for a docs/ file: "a/b.md" -> "a/b/", "a/index.md" -> "a/"."""
    stem = source_path.removesuffix(".md")
    if stem == "index" or stem.endswith("/index"):
        stem = stem.removesuffix("index").rstrip("/")
    return f"{stem}/" if stem else ""


def split_relative(url: str) -> tuple[str, str] | None:
    """(path, fragment) of a relative link to resolve; None for absolute, external or #-only."""
    if not url or url.startswith(("/", "\\", "#", "?")):
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path:
        return None
    return unquote(parts.path), parts.fragment


def _page_stem(url_path: str) -> str:
    """A URL path without its page suffix: "a/index.html", "a.html" and "a/" are all "a"."""
    stem = url_path.rstrip("/")
    name = posixpath.basename(stem)
    if name in ("index.html", "index.htm"):
        return posixpath.dirname(stem)
    if name.endswith((".html", ".htm")):
        return stem.rsplit(".", 1)[0]
    return stem


@dataclass(frozen=True)
class MkDocsLinks:
    """Map a link written in a page to this site's URL, or None to leave it alone.

    `pages` maps each imported file path (``key-issues/abi.md``) to its
    topic's URL. `page` is the docs/ path of the page the link is written
    in; without it (a topic written on this site) only links to ``.md``
    files and to stored files are resolved, from the folder `base`.
    `files` lists the files of the site (docs/ paths, stored under `media_prefix`); without it,
    any path with a file suffix other than a page's is taken for one.
    """

    base: str = ""
    pages: Mapping[str, str] = field(default_factory=dict)
    media_prefix: str = "/media/kb/"
    page: str | None = None
    files: Collection[str] | None = None

    @classmethod
    def for_page(cls, page: str | None, **kwargs) -> MkDocsLinks:
        """The resolver for links written in the docs/ file `page` (None: not imported)."""
        return cls(base=posixpath.dirname(page or ""), page=page or None, **kwargs)

    def __call__(self, url: str) -> str | None:
        parts = split_relative(url)
        if parts is None:
            return None
        path, fragment = parts
        target = self.locate(path)
        if target is None:
            return None
        suffix = f"#{fragment}" if fragment else ""
        if target.kind == "file":
            return f"{self.media_prefix}{quote(target.path)}{suffix}"
        if target.kind == "page":
            # The site's own index.md is the introduction of the home page.
            found = "/" if target.path == "index.md" else self.pages.get(target.path)
            return f"{found}{suffix}" if found else None
        return f"/{quote(target.path)}{suffix}"

    def locate(self, path: str) -> Target | None:
        """Find what `path` (a link's unquoted path) points at, as MkDocs and a browser would."""
        folder = posixpath.dirname(self.page) if self.page is not None else self.base
        from_file = posixpath.normpath(posixpath.join(folder, path))
        inside = not from_file.startswith("../") and from_file != ".."
        if inside and from_file in self.pages:
            return Target("page", from_file)
        if inside and self._is_file(from_file):
            return Target("file", from_file)
        if inside and from_file.endswith(".md"):
            # A page that does not exist: its original address, which answers 404 there too.
            return Target("missing", page_url_path(from_file))
        if self.page is None:
            return None
        # Left as written by MkDocs: the browser resolves it from the page's URL.
        url_path = posixpath.normpath(posixpath.join("/", page_url_path(self.page), path))
        url_path = url_path.lstrip("/")
        stem = _page_stem(url_path)
        if stem in self._url_paths:
            return Target("page", self._url_paths[stem])
        if self._is_file(url_path):
            return Target("file", url_path)
        trailing = "/" if path.endswith("/") and url_path else ""
        return Target("missing", url_path + trailing)

    @cached_property
    def _url_paths(self) -> dict[str, str]:
        """Each page's URL path without slashes ("key-issues/abi") -> its docs/ path."""
        return {page_url_path(source).rstrip("/"): source for source in self.pages}

    def _is_file(self, path: str) -> bool:
        if self.files is not None:
            return path in self.files
        suffix = posixpath.splitext(path)[1].lower()
        return bool(suffix) and suffix not in PAGE_SUFFIXES and not path.startswith("../")


_LINK_ATTRIBUTE = re.compile(r'\s(?:href|src)="([^"]*)"')


def relative_links(fragment: str) -> list[str]:
    """The relative links and image paths in an HTML fragment, in order, as written."""
    found = (html.unescape(url) for url in _LINK_ATTRIBUTE.findall(fragment))
    return [url for url in found if split_relative(url) is not None]


def line_of(text: str, url: str) -> int:
    """The number of the first line of `text` that holds `url` (1 when none does)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if url in line:
            return number
    return 1
