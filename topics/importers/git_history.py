"""Read a MkDocs project's history straight from its git repository.

`read_history` gives the same structure as a `history.json` file (see the
pypackaging-native corpus's SOURCE.md), which `MkDocsImporter` turns into
revisions: one dict per commit that touched a Markdown page under the docs
folder or `mkdocs.yml`, oldest first, with the commit id, author, date
(ISO 8601, with its offset), message, and each changed file's full text at
that commit (`None` when the commit deleted it).

Renames are followed: a change's `path` is the file's path *now* (at HEAD),
so a page that moved keeps its history; `path_then` says what it was called
in that commit when that differs. A change to a file that no longer exists
under any name has `path` None. Paths are relative to the MkDocs project
(`docs/index.md`), as in `history.json`.

Nothing here touches the database: the caller says which (path, commit)
pairs it already holds (`known`) and those are neither read nor returned,
so a re-import reads only the new commits.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GIT_TIMEOUT = 600  # seconds; a clone of a large repository over a slow link
_COMMIT_MARK = "\x1e"
# What `git clone` accepts as a remote: scheme://… or scp-like user@host:path.
_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|[\w.-]+@[\w.-]+:)", re.I)
# Never wait for a password prompt nobody will answer.
_GIT_ENV = {"GIT_TERMINAL_PROMPT": "0"}


class GitError(Exception):
    """git is missing, or refused (not a repository, a failed clone); the message says why."""


@dataclass
class GitHistory:
    """Commits in history.json's format, oldest first, and the pages that moved."""

    commits: list[dict[str, Any]] = field(default_factory=list)
    # Every earlier path of a page that exists now -> its path now (project-relative).
    renamed: dict[str, str] = field(default_factory=dict)


def looks_like_url(source: str) -> bool:
    """Whether `source` names a remote repository for `git clone` rather than a local folder."""
    return bool(_URL.match(source))


def is_work_tree(folder: Path) -> bool:
    """Whether `folder` is inside a git working tree (with git installed)."""
    if shutil.which("git") is None or not Path(folder).is_dir():
        return False
    try:
        out = _git(Path(folder), "rev-parse", "--is-inside-work-tree")
    except GitError:
        return False
    return out.strip() == "true"


def is_bare_repository(folder: Path) -> bool:
    """Whether `folder` is a bare repository (no working tree: clone it to read its files)."""
    if shutil.which("git") is None or not Path(folder).is_dir():
        return False
    try:
        out = _git(Path(folder), "rev-parse", "--is-bare-repository")
    except GitError:
        return False
    return out.strip() == "true"


def clone(url: str, into: Path) -> Path:
    """Clone `url` (its whole history) into the new folder `into`."""
    if url.startswith("-"):
        raise GitError(f"{url!r} is not a repository address")
    # ext:: runs a command of the address's choosing; never from an address given here.
    _git(Path.cwd(), "-c", "protocol.ext.allow=never", "clone", "--quiet", "--", url, str(into))
    return into


def read_history(
    project: Path, *, docs_dir: str = "docs", known: Collection[tuple[str, str]] = ()
) -> GitHistory:
    """The history of `project`'s pages and mkdocs.yml, read from the repository it is in.

    `project` is the folder holding mkdocs.yml (the repository's root or a
    folder in it); `docs_dir` is its docs folder, relative to it. Changes
    whose (path now, commit) or (path then, commit) is in `known` are left
    out, and so are commits left with no change.
    """
    project = Path(project)
    prefix = _git(project, "rev-parse", "--show-prefix").strip()  # "" or "sub/dir/"
    docs = docs_dir.strip("/") + "/"
    config = "mkdocs.yml"
    log = _git(
        project,
        "-c",
        "log.showSignature=false",
        "log",
        "-z",
        "--topo-order",
        "-M",
        "--name-status",
        "--no-color",
        f"--format={_COMMIT_MARK}%H%x00%an%x00%aI%x00%B",
        "HEAD",
        "--",
        f"{prefix}{docs}",
        f"{prefix}{config}",
    )
    history = GitHistory()
    now: dict[str, str | None] = {}  # path in an older commit -> its path at HEAD
    newest_first: list[dict[str, Any]] = []
    wanted: list[tuple[dict[str, Any], str]] = []  # (change, "<commit>:<repo path>") to read
    for commit, changes in _parse_log(log):
        kept = []
        for status, path, before in changes:
            path = path.removeprefix(prefix)
            before = before.removeprefix(prefix) if before else None
            current = now.get(path, path)
            # Older commits knew this path as another file (or as nothing): it starts here.
            if status[0] in "AC":
                now[path] = None
            elif status[0] == "R" and before:
                now[path] = None
                now[before] = current
                if current is not None and _is_page(before, docs):
                    history.renamed[before] = current
            if not (_is_page(path, docs) or path == config):
                continue
            if (current, commit["commit"]) in known or (path, commit["commit"]) in known:
                continue
            change: dict[str, Any] = {"path": current, "status": status[0], "content": None}
            if current != path:
                change["path_then"] = path
            if status[0] != "D":
                wanted.append((change, f"{commit['commit']}:{prefix}{path}"))
            kept.append(change)
        if kept:
            commit["changes"] = kept
            newest_first.append(commit)
    _read_contents(project, wanted)
    history.commits = newest_first[::-1]
    return history


def _is_page(path: str, docs: str) -> bool:
    return path.startswith(docs) and path.endswith(".md")


def _parse_log(log: str):
    """Yield (commit dict, [(status, path, path before a rename or copy)]) from `git log -z`."""
    tokens = log.split("\0")
    index, commit, changes = 0, None, []
    while index < len(tokens):
        token = tokens[index]
        if token.startswith(_COMMIT_MARK):
            if commit is not None:
                yield commit, changes
            sha, author, date, message = tokens[index : index + 4]
            commit = {
                "commit": sha[1:],
                "author": author,
                "date": date,
                "message": message.rstrip("\n"),
                "changes": [],
            }
            changes, index = [], index + 4
            continue
        status = token.strip("\n")
        if not status:
            index += 1
        elif status[0] in "RC":
            changes.append((status, tokens[index + 2], tokens[index + 1]))
            index += 3
        else:
            changes.append((status, tokens[index + 1], None))
            index += 2
    if commit is not None:
        yield commit, changes


def _read_contents(project: Path, wanted: list[tuple[dict[str, Any], str]]) -> None:
    """Fill each change's content from its blob, with one `git cat-file --batch` process."""
    if not wanted:
        return
    process = subprocess.Popen(
        ["git", "cat-file", "--batch"],
        cwd=project,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **_GIT_ENV},
    )
    try:
        for change, name in wanted:
            if "\n" in name:
                continue  # cat-file reads one name a line; such a page cannot be named
            process.stdin.write(name.encode() + b"\n")
            process.stdin.flush()
            header = process.stdout.readline().decode("utf-8", "replace").split()
            if len(header) != 3 or header[1] != "blob":
                continue  # "missing" (a submodule, say): no text to keep
            data = process.stdout.read(int(header[2]) + 1)[:-1]
            change["content"] = data.decode("utf-8", "replace")
    finally:
        process.stdin.close()
        process.stdout.close()
        process.wait(timeout=GIT_TIMEOUT)


def _git(folder: Path, *args: str) -> str:
    if shutil.which("git") is None:
        raise GitError("git is not installed")
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=folder,
            capture_output=True,
            env={**os.environ, **_GIT_ENV},
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"git {args[0]} took longer than {GIT_TIMEOUT} s") from exc
    if done.returncode:
        message = done.stderr.decode("utf-8", "replace").strip() or f"exit status {done.returncode}"
        raise GitError(f"git {_command_name(args)}: {message}")
    return done.stdout.decode("utf-8", "replace")


def _command_name(args: tuple[str, ...]) -> str:
    """The git subcommand in `args` (after any `-c name=value`), for messages."""
    words = iter(args)
    for word in words:
        if word == "-c":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return "command"
