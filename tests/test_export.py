"""Export to MkDocs: import, export, import again loses nothing."""

import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from tests.conftest import CORPUS, CORPUS_HISTORY
from tests.factories import make_section, make_topic, png_bytes, wipe_content
from topics.importers.mkdocs import MkDocsImporter
from topics.importers.mkdocs_export import relative_media_links
from topics.models import Image, Section, SiteIdentity, Topic
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
        ),
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
        cwd=tmp_path / "site",
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
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


def test_an_export_names_each_published_page_it_leaves_out_under_an_archived_parent(tmp_path):
    section = make_section(title="Guides", slug="guides")
    parent = make_topic(slug="parent", title="Parent", section=section, status="archived")
    make_topic(slug="child", title="Child", section=section, parent=parent)
    make_topic(slug="alone", title="Alone", order=99)
    out, err = StringIO(), StringIO()
    call_command("export_mkdocs", str(tmp_path / "out"), stdout=out, stderr=err)
    assert "Exported 1 pages" in out.getvalue()
    assert "left out: /topics/child/ is published, but its parent /topics/parent/ is archived" in (
        err.getvalue()
    )


def test_export_refuses_a_folder_that_holds_a_project(tmp_path):
    (tmp_path / "mkdocs.yml").write_text("site_name: x\n")
    with pytest.raises(CommandError, match="already holds a MkDocs project"):
        call_command("export_mkdocs", str(tmp_path), stdout=StringIO())


def mkdocs_build(project: Path, site: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--quiet", "--site-dir", str(site)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )


def uploaded_image(name: str = "chart.png", color=(10, 120, 200)) -> Image:
    """An image as the editor's upload stores it (under uploads/)."""
    image = Image()
    image.file.save(name, ContentFile(png_bytes(color=color)), save=True)
    return image


def image_sources(page: str) -> list[str]:
    return re.findall(r'<img[^>]* src="([^"]+)"', page)


# --- Uploaded images: exported beside the pages, linked relatively ----------------------


def test_uploaded_image_links_become_relative_to_each_exported_page(tmp_path):
    image = uploaded_image()
    guides = make_section(title="Guides", slug="guides")
    make_topic(
        slug="charts", title="Charts", section=guides, body=f"![A chart]({image.file.url})\n"
    )
    make_topic(
        slug="alone", title="Alone", order=99, body=f"See ![it]({image.file.url}#only-light).\n"
    )
    call_command("export_mkdocs", str(tmp_path / "out"), stdout=StringIO())
    docs = tmp_path / "out" / "docs"
    exported = image.file.name  # uploads/chart….png
    assert (docs / exported).read_bytes() == image.file.open("rb").read()
    assert f"![A chart](../{exported})" in (docs / "guides" / "charts.md").read_text()
    assert f"See ![it]({exported}#only-light)." in (docs / "alone.md").read_text()
    assert "/media/" not in (docs / "guides" / "charts.md").read_text()


def test_uploaded_images_survive_export_build_and_import_again(client, tmp_path):
    image = uploaded_image(color=(1, 2, 3))
    original = image.file.open("rb").read()
    guides = make_section(title="Guides", slug="guides")
    make_topic(
        slug="charts", title="Charts", section=guides, body=f"![A chart]({image.file.url})\n"
    )
    call_command("export_mkdocs", str(tmp_path / "site"), stdout=StringIO())

    # MkDocs finds the image from the page it built.
    result = mkdocs_build(tmp_path / "site", tmp_path / "html")
    assert result.returncode == 0, result.stderr
    built = (tmp_path / "html" / "guides" / "charts" / "index.html").read_text()
    (source,) = [src for src in image_sources(built) if "chart" in src]
    assert (tmp_path / "html" / "guides" / "charts" / source).resolve().read_bytes() == original

    # Imported again, the page shows the same picture from the imported copy.
    wipe_content()
    report = MkDocsImporter(tmp_path / "site").run()
    assert report.problems == []
    page = client.get("/topics/charts/").content.decode()
    (shown,) = [src for src in image_sources(page) if "chart" in src]
    assert shown.startswith("/media/kb/uploads/")
    assert default_storage.open(shown.removeprefix("/media/")).read() == original


def test_links_to_files_that_were_not_exported_are_left_as_written():
    body = "![gone](/media/uploads/gone.png) ![kept](/media/uploads/a.png)"
    exported = {"uploads/a.png": "uploads/a.png"}
    assert relative_media_links(body, "guides/x.md", exported) == (
        "![gone](/media/uploads/gone.png) ![kept](../uploads/a.png)"
    )


def test_reference_style_image_links_are_rewritten_too():
    body = "![chart][c]\n\n[c]: /media/uploads/c.png\n"
    exported = {"uploads/c.png": "uploads/c.png"}
    assert relative_media_links(body, "a/b/page.md", exported) == (
        "![chart][c]\n\n[c]: ../../uploads/c.png\n"
    )


# --- Identity and tags go out and come back ---------------------------------------------


def test_the_site_identity_and_licence_are_exported_and_imported_back(tmp_path):
    SiteIdentity(
        name="Native notes",
        description="Packaging native code.",
        copyright="Copyright &copy; 2024 The authors",
        repo_url="https://github.com/o/notes",
        source_url="https://notes.example.org/",
        licence="MIT",
        licence_url="https://github.com/o/notes/blob/main/LICENSE",
        licence_text="MIT License\n\nPermission is hereby granted, free of charge, to any person",
    ).save()
    make_topic(slug="abi", title="ABI")
    call_command("export_mkdocs", str(tmp_path / "site"), stdout=StringIO())
    config = yaml.safe_load((tmp_path / "site" / "mkdocs.yml").read_text())
    assert config["site_name"] == "Native notes"
    assert config["copyright"] == "Copyright &copy; 2024 The authors"
    assert (tmp_path / "site" / "LICENSE").read_text().startswith("MIT License")
    before = SiteIdentity.objects.values().get()
    SiteIdentity.objects.all().delete()
    wipe_content()
    MkDocsImporter(tmp_path / "site").run()
    after = SiteIdentity.objects.values().get()
    fields = ["name", "description", "copyright", "repo_url", "source_url", "licence"]
    assert {k: after[k] for k in fields + ["licence_url", "licence_text"]} == {
        k: before[k] for k in fields + ["licence_url", "licence_text"]
    }


def test_tags_are_exported_as_front_matter_and_imported_back(tmp_path):
    make_topic(slug="abi", title="ABI", summary="Binary interfaces.", tags=["abi", "c++"])
    call_command("export_mkdocs", str(tmp_path / "site"), stdout=StringIO())
    text = (tmp_path / "site" / "docs" / "abi.md").read_text()
    assert text.startswith("---\ndescription: Binary interfaces.\ntags:\n- abi\n- c++\n---\n")
    result = mkdocs_build(tmp_path / "site", tmp_path / "html")  # with Material's tags plugin
    assert result.returncode == 0, result.stderr
    wipe_content()
    MkDocsImporter(tmp_path / "site").run()
    assert sorted(Topic.objects.get(slug="abi").tags.names()) == ["abi", "c++"]
