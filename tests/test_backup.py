"""Backups: a site backed up and restored into a new, empty database is the same site.

Each test builds a site through the services, writes a backup with
`manage.py backup`, and restores it into a database created for the test (on
PostgreSQL a new database beside the test database, dropped afterwards; on
SQLite a new file), reached through a connection alias of its own.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.db.utils import load_backend

from tests.factories import (
    add_ballots,
    make_editor,
    make_maintainer,
    make_round,
    make_section,
    png_bytes,
    published_topic,
    verified,
)
from topics.models import (
    Ballot,
    Feedback,
    Image,
    Profile,
    ReferenceSuggestion,
    ReviewEvent,
    Revision,
    Round,
    Topic,
)
from topics.services import voting
from topics.services.backups import (
    RestoreRefused,
    holds_data,
    restore_backup,
    table_counts,
)
from topics.services.contributions import (
    give_feedback,
    review_feedback,
    review_reference_suggestion,
    suggest_reference,
)
from topics.services.images import store_upload
from topics.services.workflow import (
    Text,
    publish_revision,
    reject_revision,
    restore_revision,
    suggest_edit,
)

# pg_dump reads what is committed: these tests commit (the seeded groups come back after each).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

RESTORED = "restored"


@pytest.fixture(autouse=True)
def media_root(tmp_path, settings):
    """Each test's own MEDIA_ROOT, so a backup holds only that test's images."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@contextmanager
def empty_database(tmp_path: Path):
    """A new, empty database of the test database's engine, as the connection alias 'restored'."""
    original = connection.settings_dict
    if connection.vendor == "postgresql":
        name = f"{original['NAME']}_restored"[:63]
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
    else:
        name = str(tmp_path / "restored.sqlite3")
    wrapper = load_backend(original["ENGINE"]).DatabaseWrapper({**original, "NAME": name}, RESTORED)
    connections[RESTORED] = wrapper
    try:
        yield wrapper
    finally:
        wrapper.close()
        del connections[RESTORED]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def build_site() -> dict:
    """A site with everything a backup must keep: content, history, input, votes, images."""
    section = make_section(title="Key issues", slug="key-issues")
    editor = make_editor()
    maintainer = make_maintainer()
    vera, ada, lin = (verified(name) for name in ("vera", "ada", "lin"))
    abi = published_topic(title="ABI", slug="abi", section=section, tags=["abi", "c"])
    gpus = published_topic(title="GPUs", slug="gpus", section=section)
    simd = published_topic(title="SIMD", slug="simd", section=section, tags=["simd"])

    # History: a published suggestion, a rejected one, one still pending, a restore.
    first = abi.current_revision
    edit = suggest_edit(
        author=vera,
        topic=abi,
        base=first,
        text=Text(title="ABI", summary="Binary interfaces", body="New text about ABIs."),
        message="Explain the ABI",
    )
    publish_revision(revision=edit, by=editor, note="Thanks")
    rejected = suggest_edit(
        author=ada,
        topic=abi,
        base=edit,
        text=Text(title="ABI!", summary="", body="Shouting."),
        message="Louder",
    )
    reject_revision(revision=rejected, by=editor, reason="Not an improvement")
    suggest_edit(
        author=lin,
        topic=gpus,
        base=gpus.current_revision,
        text=Text(title="GPUs", summary="", body="CUDA and ROCm wheels."),
        message="Mention ROCm",
    )
    restore_revision(
        revision=first, by=maintainer, reason="The first text was clearer", seen=edit.pk
    )

    # Input: feedback and suggested references, accepted, declined and pending.
    accepted = give_feedback(author=vera, topic=abi, body="Very *useful*.", wants_public=True)
    review_feedback(feedback=accepted, by=editor, accept=True, answer="Thank you")
    declined = give_feedback(author=ada, topic=gpus, body="Too short.", wants_public=False)
    review_feedback(feedback=declined, by=editor, accept=False, answer="It is a stub on purpose")
    give_feedback(author=lin, topic=simd, body="What about SVE?", wants_public=True)
    reference = suggest_reference(
        author=vera, topic=simd, url="https://example.org/simd", title="SIMD notes", kind="blog"
    )
    review_reference_suggestion(suggestion=reference, by=editor, accept=True)
    other = suggest_reference(
        author=ada, topic=gpus, url="https://example.org/gpu", title="GPU notes", kind="docs"
    )
    review_reference_suggestion(suggestion=other, by=editor, accept=False, answer="Paywalled")

    # Votes: a round closed after real ballots (with receipts), an imported closed round,
    # and an open round.
    closed = make_round(slugs=("abi", "gpus", "simd"), slug="closed-2025", title="2025")
    ids = dict(closed.candidates.values_list("slug", "pk"))
    receipts = [
        voting.cast_ballot(round_=closed, voter=vera, groups=[[ids["abi"]], [ids["simd"]]]),
        voting.cast_ballot(
            round_=closed, voter=ada, groups=[[ids["gpus"], ids["simd"]], [ids["abi"]]]
        ),
    ]
    voting.close_round_now(round_=closed, by=maintainer)
    imported = make_round(
        slugs=("abi", "gpus"), state="closed", slug="imported-2024", title="2024", imported=True
    )
    add_ballots(imported, [[[ids["abi"]], [ids["gpus"]]], [[ids["gpus"]]]], group="Educators")
    open_round = make_round(slugs=("abi", "simd"), slug="open-2026", title="2026")
    voting.cast_ballot(round_=open_round, voter=lin, groups=[[ids["simd"]], [ids["abi"]]])

    # Images: one uploaded through the editor, one as an import stores it.
    store_upload(data=png_bytes(color=(10, 120, 200)), by=vera)
    name = default_storage.save("kb/assets/images/diagram.png", ContentFile(png_bytes((8, 8))))
    Image.objects.create(file=name, source_path="assets/images/diagram.png")
    return {"receipts": [r.receipt for r in receipts]}


def what_users_notice(alias: str, media_root: Path) -> dict:
    """What a reader, a contributor, a voter and an editor would see, as plain values."""
    topics = Topic.objects.using(alias)
    return {
        "topics": sorted(
            (
                t.slug,
                t.title,
                t.summary,
                t.body,
                t.body_html,
                t.status,
                t.section.slug if t.section else None,
                t.current_revision.message if t.current_revision else None,
                sorted(t.tags.names()),
            )
            for t in topics.select_related("section", "current_revision")
        ),
        "history": [
            (r.topic.slug, r.title, r.body, r.status, r.message, r.author_name or str(r.author))
            for r in Revision.objects.using(alias)
            .select_related("topic", "author")
            .order_by("topic__slug", "created_at", "pk")
        ],
        "review": [
            (e.action, e.comment, str(e.actor))
            for e in ReviewEvent.objects.using(alias).select_related("actor").order_by("pk")
        ],
        "feedback": sorted(
            Feedback.objects.using(alias).values_list(
                "topic__slug", "author__username", "body", "body_html", "status", "answer"
            )
        ),
        "suggested_references": sorted(
            ReferenceSuggestion.objects.using(alias).values_list(
                "topic__slug", "author__username", "url", "title", "status", "answer"
            )
        ),
        "rounds": sorted(
            Round.objects.using(alias).values_list("slug", "title", "opens_at", "closes_at")
        ),
        "candidates": sorted(
            Round.objects.using(alias).values_list("slug", "candidates__slug").order_by()
        ),
        "ballots": sorted(
            (b.round.slug, json.dumps(b.ranking), b.receipt_hash, b.group_name, b.voter_key)
            for b in Ballot.objects.using(alias).select_related("round")
        ),
        "users": sorted(
            (u.username, u.email, u.password, u.is_staff, sorted(g.name for g in u.groups.all()))
            for u in Profile._meta.get_field("user")
            .related_model.objects.using(alias)
            .prefetch_related("groups")
        ),
        "profiles": sorted(
            Profile.objects.using(alias).values_list(
                "user__username", "display_name", "affiliation", "group__slug", "verified_at"
            )
        ),
        "images": sorted(
            (i.file.name, i.source_path, (media_root / i.file.name).read_bytes())
            for i in Image.objects.using(alias)
        ),
    }


def backup(path: Path) -> str:
    out = StringIO()
    call_command("backup", str(path), stdout=out, stderr=StringIO())
    return out.getvalue()


def test_a_restored_backup_shows_users_the_same_site(tmp_path, media_root):
    build_site()
    before = what_users_notice("default", media_root)
    assert len(before["ballots"]) == 5 and len(before["images"]) == 2
    printed = backup(tmp_path / "backup")
    assert "Backed up to" in printed and "5 ballots" in printed

    restored_media = tmp_path / "media-restored"
    with empty_database(tmp_path):
        report = restore_backup(path=tmp_path / "backup", using=RESTORED, media_root=restored_media)
        after = what_users_notice(RESTORED, restored_media)
        restored_counts = table_counts(connections[RESTORED])
    assert after == before
    assert report.media_written == 2
    assert restored_counts == table_counts(connection)


def test_the_manifest_says_what_the_backup_holds(tmp_path, media_root):
    build_site()
    backup(tmp_path / "backup")
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["engine"] == connection.vendor
    assert manifest["counts"]["topics_ballot"] == 5
    assert manifest["counts"]["topics_topic"] == Topic.objects.count()
    assert "topics.0012_closed_rounds_are_final_in_postgresql" in manifest["migrations"]
    images = sorted(k for k in manifest["files"] if k.startswith("media/"))
    assert len(images) == 2 and "media/kb/assets/images/diagram.png" in images
    assert manifest["warnings"] == []


def test_a_closed_round_restored_is_still_final(tmp_path, media_root):
    build_site()
    backup(tmp_path / "backup")
    with empty_database(tmp_path) as restored:
        restore_backup(path=tmp_path / "backup", using=RESTORED, media_root=tmp_path / "m")
        ballot = Ballot.objects.using(RESTORED).filter(round__slug="closed-2025").first()
        with pytest.raises(Exception, match="final"):
            ballot.save(using=RESTORED)
        if restored.vendor == "postgresql":
            refused = pytest.raises(Exception, match="closed results are final")
            with refused, transaction.atomic(using=RESTORED), restored.cursor() as cursor:
                cursor.execute("UPDATE topics_ballot SET ranking = '[]'")


def test_restore_fills_a_migrated_database_that_holds_no_data(tmp_path, media_root):
    """start.sh migrates before anyone restores: such a database counts as empty."""
    build_site()
    backup(tmp_path / "backup")
    before = what_users_notice("default", media_root)
    call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    assert holds_data(connection) == {}
    out = StringIO()
    call_command("restore_backup", str(tmp_path / "backup"), stdout=out)
    assert "Restored" in out.getvalue() and "2 already there" in out.getvalue()
    assert what_users_notice("default", media_root) == before


def test_restore_into_a_database_holding_data_is_refused_and_changes_nothing(tmp_path, media_root):
    build_site()
    backup(tmp_path / "backup")
    published_topic(title="Written after the backup", slug="later")
    counts = table_counts(connection)
    with pytest.raises(CommandError, match="already holds data") as refused:
        call_command("restore_backup", str(tmp_path / "backup"), stdout=StringIO())
    assert "nothing was changed" in str(refused.value)
    assert "--replace" in str(refused.value)
    assert table_counts(connection) == counts
    assert Topic.objects.filter(slug="later").exists()


def test_restore_refuses_to_overwrite_other_media_files(tmp_path, media_root):
    build_site()
    backup(tmp_path / "backup")
    target = tmp_path / "media-elsewhere"
    (target / "kb/assets/images").mkdir(parents=True)
    (target / "kb/assets/images/diagram.png").write_bytes(b"another image")
    with empty_database(tmp_path) as restored:
        with pytest.raises(RestoreRefused, match="other bytes"):
            restore_backup(path=tmp_path / "backup", using=RESTORED, media_root=target)
        assert table_counts(restored) == {}
    assert (target / "kb/assets/images/diagram.png").read_bytes() == b"another image"


@pytest.mark.parametrize("damaged", ["database", "media"])
def test_a_damaged_backup_is_refused_with_the_file_named(tmp_path, media_root, damaged):
    build_site()
    backup(tmp_path / "backup")
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    name = (
        manifest["database_file"] if damaged == "database" else "media/kb/assets/images/diagram.png"
    )
    file = tmp_path / "backup" / name
    data = bytearray(file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    file.write_bytes(bytes(data))
    with empty_database(tmp_path) as restored:
        with pytest.raises(RestoreRefused, match="damaged") as refused:
            restore_backup(path=tmp_path / "backup", using=RESTORED, media_root=tmp_path / "m")
        assert f"{name} does not match its checksum" in str(refused.value)
        assert table_counts(restored) == {}
    assert not (tmp_path / "m").exists()


def test_a_backup_never_writes_into_a_folder_that_holds_files(tmp_path, media_root):
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "keep.txt").write_text("mine")
    with pytest.raises(CommandError, match="not an empty folder"):
        backup(tmp_path / "backup")
    assert [p.name for p in (tmp_path / "backup").iterdir()] == ["keep.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["backup"]


def test_a_backup_of_the_other_engine_is_refused(tmp_path, media_root):
    build_site()
    backup(tmp_path / "backup")
    manifest_file = tmp_path / "backup" / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    manifest["engine"] = "sqlite" if connection.vendor == "postgresql" else "postgresql"
    manifest_file.write_text(json.dumps(manifest))
    with empty_database(tmp_path), pytest.raises(RestoreRefused, match="restore it into"):
        restore_backup(path=tmp_path / "backup", using=RESTORED, media_root=tmp_path / "m")


def test_a_folder_that_is_not_a_backup_is_refused(tmp_path):
    (tmp_path / "photos").mkdir()
    with pytest.raises(CommandError, match="is not a backup: it has no manifest.json"):
        call_command("restore_backup", str(tmp_path / "photos"), stdout=StringIO())
