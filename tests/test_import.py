"""Importing a MkDocs site: the real pypackaging-native corpus, and bad input."""

from __future__ import annotations

import html
import json
import re
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from tests.conftest import CORPUS, CORPUS_HISTORY
from tests.factories import nav_pages
from topics.importers.mkdocs import MkDocsImporter, slug_for, split_front_matter, split_title
from topics.models import Image, Reference, Revision, Section, Topic

pytestmark = pytest.mark.django_db


NAV_PAGES = nav_pages(CORPUS)


def original_url(path: str) -> str:
    stem = path.removesuffix(".md").removesuffix("index").rstrip("/")
    return f"/{stem}/" if stem else "/"


def source(path: str) -> str:
    return (CORPUS / "docs" / path).read_text()


def expected_title(path: str) -> str:
    """What MkDocs calls the page: front matter title, else its H1, else "Home" for index.md."""
    meta, text = split_front_matter(source(path))
    title, _ = split_title(text)
    return meta.get("title") or title or ("Home" if path == "index.md" else "")


def test_corpus_nav_has_21_pages():
    assert len(NAV_PAGES) == 21


class TestCorpus:
    """The whole site, imported once for these tests."""

    def test_import_reports_every_page_image_and_the_history(self, corpus):
        assert corpus.pages == 21
        assert corpus.problems == []
        assert corpus.images == len(list((CORPUS / "docs" / "assets" / "images").glob("*.png")))
        assert corpus.references > 100
        assert corpus.revisions_created >= 52

    @pytest.mark.parametrize("path", NAV_PAGES)
    def test_every_page_answers_at_its_original_url_with_its_content(self, corpus, client, path):
        response = client.get(original_url(path), follow=True)
        assert response.status_code == 200
        page = response.content.decode()
        text = source(path)
        title = expected_title(path)
        assert f"{html.escape(title, quote=False)}</h1>" in page.replace("&#x27;", "'")
        if re.search(r"^\s*\?\?\?", text, re.M):
            assert "<details" in page
        if re.search(r"^\s*!!!", text, re.M):
            assert 'class="admonition' in page
        if re.search(r'^\s*=== "', text, re.M):
            assert 'class="tabbed-set' in page and 'type="radio"' in page
        if re.search(r"\[\^[^\]]+\]:", text):
            assert 'class="footnote"' in page
        images = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", text)
        for image in images:
            name = image.split("/")[-1]
            assert re.search(rf'<img[^>]+src="/media/kb/assets/images/{re.escape(name)}"', page)
        if "<figcaption>" in text:
            assert "<figcaption>" in page

    @pytest.mark.parametrize("path", NAV_PAGES)
    def test_every_image_in_a_page_answers_200(self, corpus, client, path):
        response = client.get(original_url(path), follow=True)
        sources = re.findall(r'<img[^>]+src="([^"]+)"', response.content.decode())
        for src in sources:
            image = client.get(src.split("#")[0])
            assert image.status_code == 200, src
            assert image["Content-Type"] == "image/png"
            assert b"".join(image.streaming_content)[:8] == b"\x89PNG\r\n\x1a\n"

    def test_front_matter_description_becomes_the_summary(self, corpus):
        home = Topic.objects.get(is_home=True)
        assert home.title == "Home"
        assert home.summary.startswith("pypackaging-native is a collection")
        assert not home.body.startswith("---")

    def test_original_urls_redirect_permanently_to_the_topic(self, corpus, client):
        response = client.get("/key-issues/simd_support/")
        assert response.status_code == 301
        assert response["Location"] == "/topics/simd-support/"

    def test_slugs_follow_file_names(self, corpus):
        slugs = set(Topic.objects.values_list("slug", flat=True))
        assert {"simd-support", "native-dependencies", "blas-openmp", "abi", "glossary"} <= slugs

    def test_nav_order_sections_and_nesting_are_kept(self, corpus):
        assert list(Section.objects.values_list("title", flat=True)) == [
            "Meta topics",
            "Key issues",
            "Background",
        ]
        parent = Topic.objects.get(slug="native-dependencies")
        children = list(parent.children.order_by("order").values_list("slug", flat=True))
        assert children == ["blas-openmp", "geospatial-stack", "cpp-deps"]
        assert (parent.nav_title or parent.title) == "Native dependencies"
        key_issues = Topic.objects.filter(section__slug="key-issues", parent=None)
        assert list(key_issues.order_by("order").values_list("slug", flat=True)) == [
            "native-dependencies",
            "abi",
            "gpus",
            "pypi-metadata-handling",
            "simd-support",
            "unexpected-fromsource-builds",
            "cross-compilation",
        ]

    def test_home_page_shows_the_introduction_and_numbered_key_issues(self, corpus, client):
        page = client.get("/").content.decode()
        assert "Home</h1>" in page
        assert '<h2 id="introduction">Introduction' in page
        # The introduction's own list of key issues is the one list, numbered live.
        assert re.search(r'<li value="1">\s*<p><a href="/topics/native-dependencies/"', page)
        assert '<li value="7"><a href="/topics/cross-compilation/"' in page
        assert page.count('href="/topics/cross-compilation/"') == 1

    def test_links_between_pages_become_site_links(self, corpus, client):
        page = client.get("/topics/abi/").content.decode()
        assert 'href="/topics/cpp-deps/"' in page
        assert 'href="/topics/binary-interface/"' in page
        assert ".md" not in "".join(re.findall(r'href="(/[^"]*)"', page))
        linked = client.get("/topics/no-build-farm/").content.decode()
        assert 'href="/topics/compilation-concepts/#linkers"' in linked

    def test_links_to_images_point_at_the_stored_image(self, corpus, client):
        page = client.get("/topics/purposes-of-pypi/").content.decode()
        assert 'href="/media/kb/assets/images/pypi-sdist-twitter-thread.png"' in page

    def test_references_are_extracted_with_kinds_and_citing_topics(self, corpus):
        pep = Reference.objects.filter(url__contains="peps.python.org").first()
        assert pep is not None and pep.kind == Reference.Kind.PEP
        assert Reference.objects.filter(kind=Reference.Kind.ISSUE).count() > 10
        simd = Topic.objects.get(slug="simd-support")
        assert simd.references.count() > 5
        assert Reference.objects.values("url").distinct().count() == Reference.objects.count()

    def test_history_becomes_revisions_with_original_authors_dates_and_messages(self, corpus):
        first_commit = json.loads(CORPUS_HISTORY.read_text())["commits"][0]
        revisions = Revision.objects.exclude(author_name="import")
        assert revisions.count() >= 52
        authors = set(revisions.values_list("author_name", flat=True))
        assert "Ralf Gommers" in authors
        simd = Topic.objects.get(slug="simd-support")
        history = list(simd.revisions.order_by("created_at"))
        assert history[0].commit and history[0].message
        assert simd.created_at == history[0].created_at
        assert simd.updated_at == history[-1].created_at
        assert simd.created_at.year == 2022
        assert history[-1].body == simd.body
        assert first_commit["author"]

    def test_imported_pages_and_site_pages_share_one_url_space(self, corpus, client):
        assert any("/references/" in message for message in corpus.collisions)
        site_page = client.get("/references/").content.decode()
        assert "References</h1>" in site_page
        assert 'href="/topics/references/"' in site_page
        imported = client.get("/topics/references/")
        assert imported.status_code == 200

    def test_reimport_updates_in_place_and_duplicates_nothing(self, corpus):
        counts = (
            Topic.objects.count(),
            Revision.objects.count(),
            Reference.objects.count(),
            Image.objects.count(),
            Section.objects.count(),
        )
        report = MkDocsImporter(CORPUS).run(history=CORPUS_HISTORY)
        assert report.pages_unchanged == 21 and report.revisions_created == 0
        assert counts == (
            Topic.objects.count(),
            Revision.objects.count(),
            Reference.objects.count(),
            Image.objects.count(),
            Section.objects.count(),
        )


def test_slug_rules():
    assert slug_for("key-issues/simd_support.md") == "simd-support"
    assert slug_for("key-issues/native-dependencies/index.md") == "native-dependencies"


def make_site(tmp_path: Path, nav: list, pages: dict[str, str]) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump({"site_name": "t", "nav": nav}))
    for name, text in pages.items():
        file = tmp_path / "docs" / name
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text)
    return tmp_path


def test_missing_mkdocs_yml_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="mkdocs.yml not found"):
        call_command("import_mkdocs", str(tmp_path), stdout=StringIO())


def test_invalid_yaml_names_the_file(tmp_path):
    (tmp_path / "mkdocs.yml").write_text("nav: [unclosed")
    with pytest.raises(CommandError, match="mkdocs.yml: not valid YAML"):
        call_command("import_mkdocs", str(tmp_path), stdout=StringIO())


def test_mkdocs_env_tags_do_not_stop_the_import(tmp_path):
    site = make_site(tmp_path, ["a.md"], {"a.md": "# A\n\ntext"})
    (site / "mkdocs.yml").write_text(
        "site_name: t\nnav: ['a.md']\nextra:\n  token: !ENV GH_TOKEN\n"
    )
    call_command("import_mkdocs", str(site), stdout=StringIO(), stderr=StringIO())
    assert Topic.objects.filter(slug="a").exists()


def test_a_missing_nav_file_is_reported_and_the_rest_imports(tmp_path):
    site = make_site(tmp_path, ["a.md", "gone.md", "b.md"], {"a.md": "# A\n", "b.md": "# B\n"})
    err = StringIO()
    call_command("import_mkdocs", str(site), stdout=StringIO(), stderr=err)
    assert "gone.md: listed in the nav but the file is missing" in err.getvalue()
    assert set(Topic.objects.values_list("slug", flat=True)) == {"a", "b"}


def test_broken_markdown_is_reported_by_file_and_the_rest_imports(tmp_path):
    pages = {"good.md": "# Good\n\ntext", "bad.md": "# Bad\n\n" + "[" * 3000}
    site = make_site(tmp_path, ["good.md", "bad.md"], pages)
    out, err = StringIO(), StringIO()
    call_command("import_mkdocs", str(site), stdout=out, stderr=err)
    assert "bad.md: cannot be rendered" in err.getvalue()
    assert list(Topic.objects.values_list("slug", flat=True)) == ["good"]
    assert "Imported 1 pages" in out.getvalue()


def test_import_prints_progress_and_a_summary(tmp_path):
    site = make_site(tmp_path, [{"Intro": "index.md"}], {"index.md": "Hello [x](https://x.org)"})
    out = StringIO()
    call_command("import_mkdocs", str(site), stdout=out, stderr=StringIO())
    assert "page: index.md -> /topics/home/" in out.getvalue()
    assert "Imported 1 pages (1 new" in out.getvalue()
    assert "1 references" in out.getvalue()
    topic = Topic.objects.get()
    assert topic.title == "Intro" and topic.is_home


def test_changed_page_is_updated_in_place_with_a_new_revision(tmp_path):
    site = make_site(tmp_path, ["a.md"], {"a.md": "# A\n\nfirst"})
    call_command("import_mkdocs", str(site), stdout=StringIO())
    (site / "docs" / "a.md").write_text("# A\n\nsecond")
    call_command("import_mkdocs", str(site), stdout=StringIO())
    topic = Topic.objects.get()
    assert "second" in topic.body_html
    assert list(topic.revisions.values_list("body", flat=True)) == ["second", "first"]


def test_a_slug_taken_by_a_native_topic_is_reported_and_both_are_kept(tmp_path):
    from tests.factories import make_topic

    make_topic(slug="a", title="Ours")
    site = make_site(tmp_path, ["a.md"], {"a.md": "# Theirs\n"})
    err = StringIO()
    call_command("import_mkdocs", str(site), stdout=StringIO(), stderr=err)
    assert "slug 'a' is taken" in err.getvalue()
    assert Topic.objects.get(slug="a").title == "Ours"
    assert Topic.objects.get(slug="a-2").title == "Theirs"


def test_topic_template_option_sets_the_sections_template(tmp_path):
    site = make_site(tmp_path, [{"Key issues": ["k/a.md"]}], {"k/a.md": "# A\n"})
    (site / "utils").mkdir()
    (site / "utils" / "template.md").write_text("## Current state\n\n## Problems\n")
    call_command(
        "import_mkdocs",
        str(site),
        "--topic-template",
        "key-issues=utils/template.md",
        stdout=StringIO(),
        stderr=StringIO(),
    )
    assert Section.objects.get(slug="key-issues").topic_template.startswith("## Current state")
    with pytest.raises(CommandError, match="no section with the slug 'nope'"):
        call_command(
            "import_mkdocs",
            str(site),
            "--topic-template",
            "nope=utils/template.md",
            stdout=StringIO(),
            stderr=StringIO(),
        )


def test_reimport_over_a_site_edit_records_a_new_revision_instead_of_reverting_silently(tmp_path):
    from topics.services import workflow

    site = make_site(tmp_path, ["a.md"], {"a.md": "# A\n\nfrom the file"})
    call_command("import_mkdocs", str(site), stdout=StringIO())
    topic = Topic.objects.get()
    edit = workflow.suggest_edit(
        author=None,
        topic=topic,
        base=topic.current_revision,
        text=workflow.Text("A", "", "written on the site"),
        message="site edit",
    )
    workflow.publish_revision(revision=edit, by=None)
    call_command("import_mkdocs", str(site), stdout=StringIO())
    topic.refresh_from_db()
    assert topic.body.strip() == "from the file"
    assert topic.current_revision.body.strip() == "from the file"
    assert topic.current_revision.based_on == edit
    assert list(topic.revisions.values_list("body", flat=True))[:2] == [
        "from the file",
        "written on the site",
    ]


def test_a_reimport_keeps_a_topic_archived_on_the_site_its_note_and_the_home_moved_there(
    tmp_path,
):
    from tests.factories import admin_topic_form, make_maintainer, signed_in

    pages = {"index.md": "# Home\n\nWelcome.", "gpus.md": "# GPUs\n\nfrom the file"}
    site = make_site(tmp_path, ["index.md", "gpus.md"], pages)
    call_command("import_mkdocs", str(site), stdout=StringIO())
    gpus, home = Topic.objects.get(slug="gpus"), Topic.objects.get(is_home=True)
    maintainer = signed_in(make_maintainer())
    archived = admin_topic_form(gpus, status="archived", body="ARCHIVED: see the new page.")
    assert maintainer.post(f"/admin/topics/topic/{gpus.pk}/change/", archived).status_code == 302
    # The home page moved to another topic (it was an IntegrityError on the next import).
    Topic.objects.filter(pk=home.pk).update(is_home=False)
    Topic.objects.filter(pk=gpus.pk).update(is_home=True)

    out = StringIO()
    call_command("import_mkdocs", str(site), stdout=out, stderr=StringIO())
    gpus.refresh_from_db()
    assert gpus.status == Topic.Status.ARCHIVED and gpus.is_home
    assert not Topic.objects.get(pk=home.pk).is_home
    assert "kept: gpus.md: /topics/gpus/ stays archived as on the site" in out.getvalue()
    bodies = list(gpus.revisions.values_list("body", flat=True))
    assert "ARCHIVED: see the new page." in bodies  # the maintainer's note, in the history
    assert gpus.body.strip() == "from the file"


# Imports run from the command line: each page has the import's render budget, not a web
# request's, so a busy machine does not cost a page; a runaway page is still stopped.


@pytest.fixture
def renders(monkeypatch) -> list[tuple[str, float]]:
    """Each render sent to the render process from now on: (its text, its time budget)."""
    from topics import render_worker

    noted = []
    real = render_worker.RenderWorker.render

    def noting(worker, body, resolver, *, timeout):
        noted.append((body, timeout))
        return real(worker, body, resolver, timeout=timeout)

    monkeypatch.setattr(render_worker.RenderWorker, "render", noting)
    return noted


def test_each_page_of_an_import_has_the_import_budget_not_a_web_requests(
    tmp_path, settings, renders
):
    from topics.markdown import render

    settings.KB_RENDER_TIMEOUT, settings.KB_IMPORT_RENDER_TIMEOUT = 0.6, 7.0
    site = make_site(
        tmp_path, ["a.md", "b.md"], {"a.md": "# A\n\nFirst *page*.", "b.md": "# B\n\nSecond."}
    )
    report = MkDocsImporter(site).run()
    assert report.problems == [] and "<em>page</em>" in Topic.objects.get(slug="a").body_html
    assert len(renders) >= 2 and {budget for _, budget in renders} == {7.0}
    render("# After the import")
    assert renders[-1][1] == 0.6  # a web request's budget again


def test_an_import_renders_each_page_twice_once_alone_and_once_with_the_sites_links(
    tmp_path, renders
):
    """The first render refuses what cannot be rendered, times it and finds its relative
    links (for the broken-link report); the second resolves them to the pages' addresses."""
    pages = {"a.md": "# A\n\nSee [b](b.md) and [gone](gone.md).", "b.md": "# B\n\nSecond."}
    report = MkDocsImporter(make_site(tmp_path, ["a.md", "b.md"], pages)).run()
    assert [p for p in report.problems if "'gone.md' is broken" in p]
    assert 'href="/topics/b/"' in Topic.objects.get(slug="a").body_html
    bodies = [body for body, _ in renders if body]  # "" starts the render process
    assert sorted(bodies) == sorted(2 * ["See [b](b.md) and [gone](gone.md).", "Second."])


def test_an_import_still_stops_a_runaway_page_and_says_which(tmp_path, settings):
    settings.KB_IMPORT_RENDER_TIMEOUT = 0.5
    runaway = "[^1]\n\n" * 12000 + "[^1]: x"  # seconds of work for Python-Markdown
    site = make_site(tmp_path, ["a.md", "slow.md"], {"a.md": "# A\n\nFine.", "slow.md": runaway})
    report = MkDocsImporter(site).run()
    [problem] = report.problems
    assert "slow.md" in problem and "took too long to render (over 0.5 seconds)" in problem
    assert list(Topic.objects.values_list("slug", flat=True)) == ["a"]


def test_an_import_names_each_page_slower_to_render_than_an_edit_may_take(tmp_path, settings):
    settings.KB_RENDER_TIMEOUT = 1e-9  # every page is slower than that
    site = make_site(tmp_path, ["a.md"], {"a.md": "# A\n\nText."})
    shown = StringIO()
    call_command("import_mkdocs", str(site), stdout=StringIO(), stderr=shown)
    assert Topic.objects.get(slug="a").body_html == "<p>Text.</p>"  # imported all the same
    [line] = [line for line in shown.getvalue().splitlines() if "slow to render" in line]
    assert "a.md: took" in line and "changes to it will be refused" in line
