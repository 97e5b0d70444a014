"""Export to MkDocs: import, export, import again loses nothing."""

import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import CORPUS, CORPUS_HISTORY
from tests.factories import make_section, make_topic, wipe_content
from topics.importers.mkdocs import MkDocsImporter
from topics.models import Image, Section, Topic
from topics.navigation import build_nav, flatten

pytestmark = pytest.mark.django_db


def snapshot():
    """What a reader can see of the site, independent of database ids."""
    topics = Topic.objects.published().select_related("section", "parent")
    return {
        "sections": list(Section.objects.order_by("order").values_list("title", flat=True)),
        "topics": sorted(
            (
                t.slug,
                t.title,
                t.summary,
                t.body.rstrip("\n"),
                t.section.title if t.section else None,
                t.parent.slug if t.parent else None,
                t.nav_title,
                t.is_home,
            )
            for t in topics
        ),  # fmt: skip
        "order": [node.topic.slug for node in flatten(build_nav(list(topics)))],
        "html": {t.slug: t.body_html for t in topics},
        "images": Image.objects.count(),
        "references": sorted(
            url for url in topics.values_list("references__url", flat=True).distinct() if url
        ),
    }


def test_corpus_import_export_import_loses_nothing(tmp_path):
    MkDocsImporter(CORPUS).run(history=CORPUS_HISTORY)
    before = snapshot()
    call_command("export_mkdocs", str(tmp_path / "site"), stdout=StringIO())
    assert (tmp_path / "site" / "docs" / "key-issues" / "simd_support.md").exists()
    assert (tmp_path / "site" / "docs" / "assets" / "images" / "blas_lapack_openmp.png").exists()
    wipe_content()
    report = MkDocsImporter(tmp_path / "site").run()
    assert report.problems == []
    after = snapshot()
    for key in before:
        assert after[key] == before[key], key


def test_exported_corpus_builds_with_mkdocs(tmp_path):
    MkDocsImporter(CORPUS).run()
    call_command("export_mkdocs", str(tmp_path / "site"), stdout=StringIO())
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--quiet", "--site-dir", str(tmp_path / "html")],
        cwd=tmp_path / "site", capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    built = (tmp_path / "html" / "key-issues" / "simd_support" / "index.html").read_text()
    assert "Distributing a package containing SIMD code" in built


def test_topics_written_on_the_site_export_with_their_nesting(tmp_path):
    section = make_section(title="Guides", slug="guides")
    parent = make_topic(slug="parent", title="Parent", section=section, summary="About it.")
    make_topic(slug="child", title="Child", section=section, parent=parent)
    make_topic(slug="alone", title="Alone", order=99)
    call_command("export_mkdocs", str(tmp_path / "out"), stdout=StringIO())
    docs = tmp_path / "out" / "docs"
    assert (
        (docs / "guides" / "parent" / "index.md")
        .read_text()
        .startswith("---\ndescription: About it.\n---\n\n# Parent\n")
    )
    assert (docs / "guides" / "parent" / "child.md").exists() and (docs / "alone.md").exists()
    before = snapshot()
    wipe_content()
    MkDocsImporter(tmp_path / "out").run()
    after = snapshot()
    assert after["order"] == before["order"]
    assert [t[1:] for t in after["topics"]] == [t[1:] for t in before["topics"]]


def test_export_refuses_a_folder_that_holds_a_project(tmp_path):
    (tmp_path / "mkdocs.yml").write_text("site_name: x\n")
    with pytest.raises(CommandError, match="already holds a MkDocs project"):
        call_command("export_mkdocs", str(tmp_path), stdout=StringIO())
