"""Relative links in imported MkDocs pages, resolved the way MkDocs would.

The resolver is a plain, picklable value (no Django, no queries): renders
run in a separate process (topics/render_worker.py) and take it along.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field


@dataclass(frozen=True)
class MkDocsLinks:
    """Map a link written in `base`'s page to this site's URL, or None to leave it alone.

    `pages` maps each imported file path (``key-issues/abi.md``) to its
    topic's URL; other relative paths are files copied to `media_prefix`.
    """

    base: str
    pages: dict[str, str] = field(default_factory=dict)
    media_prefix: str = "/media/kb/"

    def __call__(self, url: str) -> str | None:
        path, _, fragment = url.partition("#")
        path = path.partition("?")[0]
        if not path:
            return None
        target = posixpath.normpath(posixpath.join(self.base, path))
        if target.startswith("../"):
            return None
        suffix = f"#{fragment}" if fragment else ""
        if target.endswith(".md"):
            found = self.pages.get(target)
            return f"{found}{suffix}" if found else None
        return f"{self.media_prefix}{target}{suffix}"
