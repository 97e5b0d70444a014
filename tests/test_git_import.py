"""Importing straight from git: the corpus's history.json replayed as real commits.

The tests build the repository themselves (authors, dates and messages from
history.json, `git -c user.name=… commit --date …`), so nothing comes from
the network; a rename of the GPU page is added on top where a test needs one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import CORPUS, CORPUS_HISTORY
from tests.factories import wipe_content
from topics.importers.git_history import read_history
from topics.importers.mkdocs import MkDocsImporter
from topics.models import Revision, Topic

pytestmark = pytest.mark.django_db

COMMITS = json.loads(CORPUS_HISTORY.read_text())["commits"]
# The commits that changed pages, with only those changes (mkdocs.yml is not a page).
PAGE_COMMITS = [
    {**c, "changes": [ch for ch in c["changes"] if ch["path"].startswith("docs/")]}
    for c in COMMITS
    if any(ch["path"].startswith("docs/") for ch in c["changes"])
]
GPUS, MOVED = "key-issues/gpus.md", "key-issues/gpu_code.md"
GPU_MESSAGES = [
    c["message"] for c in COMMITS if any(ch["path"] == f"docs/{GPUS}" for ch in c["changes"])
]
# Tests run git with no user or system configuration (no signing, no hooks, one branch name).
GIT_ENV = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(repo: Path, *args: str, date: str | None = None) -> str:
    env = {**GIT_ENV, **({"GIT_COMMITTER_DATE": date} if date else {})}
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def commit(repo: Path, *, author: str, date: str, message: str) -> str:
    email = f"{author.lower().replace(' ', '.')}@example.invalid"
    git(repo, "add", "-A")
    git(
        repo,
        "-c",
        f"user.name={author}",
        "-c",
        f"user.email={email}",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        message,
        "--date",
        date,
        date=date,
    )
    return git(repo, "rev-parse", "HEAD").strip()


def replay(repo: Path, commits: list[dict]) -> list[str]:
    """Write each commit of history.json into `repo` as a real commit; its new ids."""
    ids = []
    for entry in commits:
        for change in entry["changes"]:
            file = repo / change["path"]
            if change["content"] is None:
                file.unlink(missing_ok=True)
            else:
                file.parent.mkdir(parents=True, exist_ok=True)
                file.write_bytes(change["content"].encode())
        ids.append(
            commit(repo, author=entry["author"], date=entry["date"], message=entry["message"])
        )
    return ids


def new_repository(folder: Path, commits: list[dict]) -> Path:
    """A repository holding `commits` and then the corpus's images (which history.json omits)."""
    folder.mkdir(parents=True)
    git(folder, "init", "-q", "-b", "main")
    replay(folder, commits)
    shutil.copytree(CORPUS / "docs" / "assets", folder / "docs" / "assets")
    commit(folder, author="Image Keeper", date="2025-02-14T09:00:00+00:00", message="Add images")
    return folder


def move_gpu_page(repo: Path) -> str:
    """Rename the GPU page (git mv), fixing the nav and the one link to it."""
    git(repo, "mv", f"docs/{GPUS}", f"docs/{MOVED}")
    for file in (repo / "mkdocs.yml", repo / "docs" / "index.md"):
        file.write_text(file.read_text().replace(GPUS, MOVED))
    return commit(
        repo, author="Page Mover", date="2025-03-01T10:00:00+01:00", message="Rename the GPU page"
    )


def clone(repo: Path, into: Path) -> Path:
    git(into.parent, "clone", "-q", str(repo), str(into))
    return into


@pytest.fixture(scope="module")
def replayed(tmp_path_factory) -> Path:
    """history.json as a git repository (and its images), built once for the module."""
    return new_repository(tmp_path_factory.mktemp("git") / "pypackaging-native", COMMITS)


def import_repo(source, *args: str) -> str:
    out = StringIO()
    call_command("import_mkdocs", str(source), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def revisions_by_page() -> dict[str, list[tuple]]:
    """Each imported page's revisions from commits: author, date, message and text, oldest first."""
    pages: dict[str, list[tuple]] = {}
    for revision in (
        Revision.objects.exclude(commit="")
        .exclude(commit__startswith="import-")
        .select_related("topic")
        .order_by("topic__source_path", "created_at", "pk")
    ):
        pages.setdefault(revision.topic.source_path, []).append(
            (
                revision.author_name,
                revision.created_at,
                revision.message,
                revision.title,
                revision.summary,
                revision.body,
            )
        )
    return pages


def messages_of(source_path: str) -> list[str]:
    topic = Topic.objects.get(source_path=source_path)
    return list(topic.revisions.order_by("created_at").values_list("message", flat=True))


# --- Reading ---------------------------------------------------------------------------


def test_the_history_read_from_git_is_the_history_file_it_was_replayed_from(replayed):
    def comparable(commits):
        return [
            (
                c["author"],
                c["date"],
                c["message"],
                sorted((ch["path"], ch["status"], ch["content"]) for ch in c["changes"]),
            )
            for c in commits
        ]

    found = read_history(replayed)
    assert len(found.commits) == len(COMMITS) == 52
    assert comparable(found.commits) == comparable(COMMITS)
    assert found.renamed == {}


def test_a_page_deleted_and_added_again_starts_a_new_history(tmp_path):
    repo = tmp_path / "site"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "docs").mkdir()
    (repo / "docs" / "a.md").write_text("# A\n\nfirst life\n")
    commit(repo, author="Ann", date="2024-01-01T10:00:00+00:00", message="Add a")
    (repo / "docs" / "a.md").unlink()
    commit(repo, author="Ann", date="2024-01-02T10:00:00+00:00", message="Delete a")
    (repo / "docs" / "a.md").write_text("# A\n\nsecond life\n")
    commit(repo, author="Bo", date="2024-01-03T10:00:00+00:00", message="Write a again")
    changes = [(c["message"], c["changes"]) for c in read_history(repo).commits]
    assert changes == [
        (
            "Add a",
            [
                {
                    "path": None,
                    "path_then": "docs/a.md",
                    "status": "A",
                    "content": "# A\n\nfirst life\n",
                }
            ],
        ),
        ("Delete a", [{"path": None, "path_then": "docs/a.md", "status": "D", "content": None}]),
        (
            "Write a again",
            [{"path": "docs/a.md", "status": "A", "content": "# A\n\nsecond life\n"}],
        ),
    ]


# --- Importing ---------------------------------------------------------------------------


def test_importing_a_git_repository_gives_the_same_revisions_as_its_history_file(replayed, client):
    out = import_repo(replayed)
    assert f"history from git: {len(PAGE_COMMITS)} new commits changing pages" in out
    from_git = revisions_by_page()
    wipe_content()
    MkDocsImporter(replayed).run(history=CORPUS_HISTORY)
    assert revisions_by_page() == from_git
    assert len(from_git) == 21
    assert sum(map(len, from_git.values())) == sum(len(c["changes"]) for c in PAGE_COMMITS)
    # What a reader sees: the GPU page's history, with its authors and messages.
    history = client.get("/topics/gpus/history/").content.decode()
    assert "Vyas Ramasubramani" in history and "Initial edits for GPU page (#36)" in history


def test_a_moved_page_keeps_its_history(replayed, tmp_path, client):
    repo = clone(replayed, tmp_path / "pypackaging-native")
    move_gpu_page(repo)
    import_repo(repo)
    assert not Topic.objects.filter(source_path=GPUS).exists()
    moved = Topic.objects.get(source_path=MOVED)
    assert messages_of(MOVED) == [*GPU_MESSAGES, "Rename the GPU page"]
    history = client.get(f"/topics/{moved.slug}/history/").content.decode()
    assert "Add page on key issue: GPUs" in history and "Page Mover" in history
    assert client.get("/key-issues/gpu_code/").status_code == 301


def test_a_reimport_adds_only_the_new_commits(tmp_path):
    repo = new_repository(tmp_path / "pypackaging-native", COMMITS[:-10])
    assert "history from git: 41 new commits changing pages" in import_repo(repo)
    before = set(Revision.objects.values_list("pk", "topic_id", "commit", "created_at"))
    new_ids = replay(repo, COMMITS[-10:])
    out = import_repo(repo)
    assert "history from git: 10 new commits changing pages" in out
    after = set(Revision.objects.values_list("pk", "topic_id", "commit", "created_at"))
    assert before <= after, "what was imported stays as it was"
    added = after - before
    assert len(added) == sum(len(c["changes"]) for c in COMMITS[-10:]) == 11
    assert {commit for _, _, commit, _ in added} == set(new_ids)
    assert messages_of(GPUS)[-1] == "Fix broken links (#41)"
    again = import_repo(repo)
    assert "history from git: 0 new commits changing pages" in again
    assert "0 new revisions" in again


def test_a_reimport_after_a_page_moved_keeps_its_topic_address_and_history(
    replayed, tmp_path, client
):
    repo = clone(replayed, tmp_path / "pypackaging-native")
    import_repo(repo)
    gpus = Topic.objects.get(source_path=GPUS)
    topics = Topic.objects.count()
    move_gpu_page(repo)
    out = import_repo(repo)
    assert f"moved in git: {GPUS} -> {MOVED}" in out
    assert Topic.objects.count() == topics, "the moved page is the same topic, not a new one"
    gpus.refresh_from_db()
    assert gpus.source_path == MOVED and gpus.slug == "gpus"
    assert messages_of(MOVED) == [*GPU_MESSAGES, "Rename the GPU page"]
    assert client.get("/topics/gpus/").status_code == 200


def test_an_address_git_can_clone_is_cloned_and_imported(replayed):
    out = import_repo(replayed.as_uri())  # file://…: cloned like any remote, no network
    assert "Cloning file://" in out and "history from git: 51 new commits changing pages" in out
    assert Topic.objects.count() == 21
    assert messages_of(GPUS) == GPU_MESSAGES


def test_a_bare_repository_on_disk_is_cloned_and_imported(replayed, tmp_path):
    bare = tmp_path / "site.git"
    git(tmp_path, "clone", "-q", "--bare", str(replayed), str(bare))
    out = import_repo(bare)
    assert f"Cloning {bare}" in out
    assert messages_of(GPUS) == GPU_MESSAGES


def test_an_address_git_cannot_clone_is_a_clear_error(tmp_path):
    address = (tmp_path / "nowhere.git").as_uri()
    with pytest.raises(CommandError, match="git clone") as failed:
        import_repo(address)
    assert address in str(failed.value)
    assert not Topic.objects.exists()


def test_a_history_file_is_used_instead_of_git_when_given(replayed):
    out = import_repo(replayed, "--history", str(CORPUS_HISTORY))
    assert "history from git" not in out
    commits = set(
        Revision.objects.exclude(commit__startswith="import-").values_list("commit", flat=True)
    )
    assert commits == {c["commit"] for c in PAGE_COMMITS}
