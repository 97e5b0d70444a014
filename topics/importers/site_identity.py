"""A MkDocs project's identity: name, description, copyright, repository and licence.

Read from `mkdocs.yml` (`site_name`, `site_description`, `site_url`,
`copyright`, `repo_url`, `repo_name`, `edit_uri`, `extra.social`) and the
licence file beside it. Pure: values in, a dict of `SiteIdentity` fields out.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

LICENCE_FILES = (
    "LICENSE",
    "LICENSE.md",
    "LICENSE.txt",
    "LICENSE.rst",
    "LICENCE",
    "LICENCE.md",
    "LICENCE.txt",
    "COPYING",
    "COPYING.md",
    "COPYING.txt",
)
# (SPDX identifier, phrases that must all appear), most specific first.
LICENCE_SIGNS = [
    ("BSD-3-Clause", ["redistribution and use in source and binary forms", "neither the name"]),
    ("BSD-2-Clause", ["redistribution and use in source and binary forms"]),
    ("MIT", ["permission is hereby granted, free of charge"]),
    ("Apache-2.0", ["apache license", "version 2.0"]),
    ("MPL-2.0", ["mozilla public license", "2.0"]),
    ("GPL-3.0", ["gnu general public license", "version 3"]),
    ("GPL-2.0", ["gnu general public license", "version 2"]),
    ("CC-BY-SA-4.0", ["attribution-sharealike 4.0 international"]),
    ("CC-BY-4.0", ["attribution 4.0 international"]),
    ("CC0-1.0", ["cc0 1.0 universal"]),
    ("Unlicense", ["this is free and unencumbered software released into the public domain"]),
]
_MARKDOWN_LINK = re.compile(r"\[(?P<text>[^\]]+)\]\((?P<url>https?://[^)\s]+)\)")
_COPYRIGHT_LINE = re.compile(r"^\s*(?:copyright\b|©|\(c\))", re.I)
_REPO_HOSTS = {"github.com", "gitlab.com", "bitbucket.org"}


def identify_licence(text: str) -> str:
    """The SPDX identifier of a licence text ("MIT", "BSD-3-Clause"), or its first line."""
    plain = " ".join(text.lower().split())
    for spdx, phrases in LICENCE_SIGNS:
        if all(phrase in plain for phrase in phrases):
            return spdx
    first = next((line.strip(" #*") for line in text.splitlines() if line.strip(" #*")), "")
    return first[:100]


def copyright_from_licence(text: str) -> str:
    """The licence's copyright line, with a Markdown link made HTML (as mkdocs.yml writes it)."""
    for line in text.splitlines():
        if _COPYRIGHT_LINE.match(line):
            escaped = html.escape(line.strip(), quote=False)
            return _MARKDOWN_LINK.sub(
                lambda m: f'<a href="{html.escape(m["url"])}">{m["text"]}</a>', escaped
            )
    return ""


def find_licence(directory: Path) -> Path | None:
    """The licence file beside mkdocs.yml, if there is one."""
    return next((directory / n for n in LICENCE_FILES if (directory / n).is_file()), None)


def _licence_url(config: dict[str, Any], repo_url: str, licence_file: Path | None) -> str:
    """A link to the licence: from `extra.social`, else the file in the repository."""
    extra = config.get("extra") if isinstance(config.get("extra"), dict) else {}
    for entry in extra.get("social") or []:
        if not isinstance(entry, dict):
            continue
        link, icon = str(entry.get("link") or ""), str(entry.get("icon") or "")
        name = link.rstrip("/").rsplit("/", 1)[-1].upper()
        if link.startswith(("http://", "https://")) and (
            "licen" in icon.lower() or name.startswith(("LICENSE", "LICENCE", "COPYING"))
        ):
            return link
    if licence_file is None or urlsplit(repo_url).hostname not in _REPO_HOSTS:
        return ""
    # edit_uri names the branch: "edit/master/docs/" or "blob/main/docs/".
    parts = str(config.get("edit_uri") or "").strip("/").split("/")
    if len(parts) >= 2 and parts[0] in {"edit", "blob", "-/edit", "-/blob", "src"}:
        return f"{repo_url.rstrip('/')}/blob/{parts[1]}/{licence_file.name}"
    return ""


def identity_from_mkdocs(config: dict[str, Any], directory: Path) -> dict[str, str]:
    """The `SiteIdentity` fields a MkDocs project states; fields it does not state are left out."""

    def text(key: str) -> str:
        value = config.get(key)
        return str(value).strip() if isinstance(value, (str, int, float)) else ""

    repo_url = text("repo_url")
    values = {
        "name": text("site_name")[:200],
        "description": text("site_description"),
        "source_url": text("site_url") if text("site_url").startswith("http") else "",
        "copyright": text("copyright"),
        "repo_url": repo_url if repo_url.startswith(("http://", "https://")) else "",
        "repo_name": text("repo_name")[:200],
    }
    licence_file = find_licence(directory)
    if licence_file is not None:
        try:
            licence_text = licence_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            licence_text = ""
        if licence_text.strip():
            values["licence"] = identify_licence(licence_text)
            values["licence_text"] = licence_text.strip()
            values["licence_url"] = _licence_url(config, values["repo_url"], licence_file)
            # A licence such as BSD's asks that its copyright notice be kept with the text.
            values["copyright"] = values["copyright"] or copyright_from_licence(licence_text)
    return {key: value for key, value in values.items() if value}
