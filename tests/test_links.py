"""Links resolve as MkDocs resolves them: between pages, to folders, to images, to tabs.

The two real sites in ../shared/corpora/ are built with `mkdocs build` once per
session and imported once per class; every page is compared with what MkDocs
built: its title, its heading anchors, and where each of its links leads.
"""

from __future__ import annotations

import os
import pickle
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
import yaml
from django.core.management import call_command

from tests.conftest import CORPUS, STARLETTE_CORPUS
from tests.factories import make_topic, nav_pages
from topics.links import MkDocsLinks, line_of, page_url_path, relative_links
from topics.models import Topic

# --- the resolver, on its own ------------------------------------------------

PAGES = {
    "index.md": "/topics/home/",
    "other_issues.md": "/topics/other-issues/",
    "key-issues/abi.md": "/topics/abi/",
    "key-issues/gpus.md": "/topics/gpus/",
    "key-issues/native-dependencies/index.md": "/topics/native-dependencies/",
    "key-issues/native-dependencies/blas_openmp.md": "/topics/blas-openmp/",
    "advanced/transports.md": "/topics/transports/",
    "testclient.md": "/topics/testclient/",
}


@pytest.mark.parametrize(
    ("page", "link", "expected"),
    [
        # .md links are paths from the page's file.
        ("key-issues/gpus.md", "abi.md", "/topics/abi/"),
        ("key-issues/gpus.md", "abi.md#current-state", "/topics/abi/#current-state"),
        ("key-issues/gpus.md", "./native-dependencies/index.md", "/topics/native-dependencies/"),
        ("key-issues/native-dependencies/blas_openmp.md", "../abi.md", "/topics/abi/"),
        # Directory-style links are left by MkDocs and resolved by the browser from the page's
        # URL (key-issues/gpus.md is served at /key-issues/gpus/).
        ("key-issues/gpus.md", "../native-dependencies", "/topics/native-dependencies/"),
        ("key-issues/gpus.md", "../native-dependencies/", "/topics/native-dependencies/"),
        (
            "key-issues/gpus.md",
            "../../other_issues/#lack-of-support-for-symlinks-in-wheels",
            "/topics/other-issues/#lack-of-support-for-symlinks-in-wheels",
        ),
        (
            "testclient.md",
            "../advanced/transports#asgitransport",
            "/topics/transports/#asgitransport",
        ),  # noqa: E501
        # An index page is served at its folder: its URL and its file agree.
        ("key-issues/native-dependencies/index.md", "blas_openmp/", "/topics/blas-openmp/"),
        ("key-issues/native-dependencies/index.md", "../gpus/#x", "/topics/gpus/#x"),
        # index.html and .html forms of a page's URL.
        ("key-issues/gpus.md", "../abi/index.html", "/topics/abi/"),
        ("key-issues/gpus.md", "../abi.html#a", "/topics/abi/#a"),
        ("key-issues/gpus.md", "../native-dependencies/index.html", "/topics/native-dependencies/"),
        # The site's own index.md is the home page.
        ("key-issues/gpus.md", "../../", "/"),
        ("key-issues/gpus.md", "../index.md#intro", "/#intro"),
        ("key-issues/gpus.md", "../../index.html", "/"),
        # Files (images) are stored; their fragment (#only-dark) is kept.
        (
            "key-issues/abi.md",
            "../assets/images/x.png#only-dark",
            "/media/kb/assets/images/x.png#only-dark",
        ),  # noqa: E501
        (
            "key-issues/abi.md",
            "../assets/images/my%20image.png",
            "/media/kb/assets/images/my%20image.png",
        ),  # noqa: E501
        # A folder that is no page (a section) and a page that does not exist: their
        # original address here, which redirects to the section or answers 404 as there.
        ("key-issues/gpus.md", "../../key-issues/", "/key-issues/"),
        ("key-issues/gpus.md", "gone.md#x", "/key-issues/gone/#x"),
        ("key-issues/gpus.md", "../nowhere", "/key-issues/nowhere"),
        # Not ours to touch.
        ("key-issues/gpus.md", "#section", None),
        ("key-issues/gpus.md", "https://example.org/a.md", None),
        ("key-issues/gpus.md", "/absolute/path", None),
        ("key-issues/gpus.md", "mailto:a@example.org", None),
        ("key-issues/gpus.md", "?q=1", None),
    ],
)
def test_a_relative_link_leads_where_it_leads_on_the_mkdocs_site(page, link, expected):
    resolver = MkDocsLinks.for_page(page, pages=PAGES)
    assert resolver(link) == expected


def test_a_topic_written_here_resolves_only_md_links_and_files():
    resolver = MkDocsLinks.for_page(None, pages=PAGES)
    assert resolver("key-issues/abi.md") == "/topics/abi/"
    assert resolver("images/x.png") == "/media/kb/images/x.png"
    assert resolver("../somewhere") is None


def test_the_resolver_survives_pickling_for_the_render_process():
    resolver = MkDocsLinks.for_page("key-issues/gpus.md", pages=PAGES)
    assert resolver("../native-dependencies") == "/topics/native-dependencies/"
    copy = pickle.loads(pickle.dumps(resolver))  # noqa: S301 - our own bytes
    assert copy("../native-dependencies#x") == "/topics/native-dependencies/#x"
    assert copy == resolver


def test_without_the_page_list_links_still_reach_the_page_through_its_original_address():
    resolver = MkDocsLinks.for_page("key-issues/gpus.md", pages={})
    assert resolver("abi.md#x") == "/key-issues/abi/#x"
    assert resolver("../native-dependencies") == "/key-issues/native-dependencies"


def test_page_url_paths_follow_mkdocs_directory_urls():
    assert page_url_path("index.md") == ""
    assert page_url_path("a/b.md") == "a/b/"
    assert page_url_path("a/index.md") == "a/"


def test_relative_links_are_read_from_html_with_their_lines():
    html = '<a href="a.md">x</a><a href="https://x.org">y</a><img src="i.png#dark"><a href="#z">'
    assert relative_links(html) == ["a.md", "i.png#dark"]
    assert line_of("one\ntwo [x](a.md)\n", "a.md") == 2


# --- the site, with a small imported project ---------------------------------


def make_site(tmp_path: Path, nav: list, pages: dict[str, str]) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump({"site_name": "t", "nav": nav}))
    for name, text in pages.items():
        file = tmp_path / "docs" / name
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text)
    return tmp_path


SMALL_SITE = {
    "index.md": "# Home\n\nSee [GPUs](k/gpus.md).\n",
    "k/gpus.md": (
        "# GPUs\n\nA [directory link](../native) and [a folder](../native/#deps),\n"
        "[an index.html](../native/index.html) and [a page](../../index.html).\n\n"
        "And [nothing](../missing-page) here.\n\n"
        "```\n[not a link](../in-code)\n```\n"
    ),
    "k/native/index.md": "# Native\n\n## Deps\n\nBack to [GPUs](../gpus.md).\n",
}


@pytest.mark.django_db
def test_directory_links_and_index_html_forms_reach_the_topic(tmp_path, client):
    site = make_site(tmp_path, ["index.md", {"K": ["k/gpus.md", "k/native/index.md"]}], SMALL_SITE)
    call_command("import_mkdocs", str(site), stdout=StringIO(), stderr=StringIO())
    body = Topic.objects.get(slug="gpus").body_html
    assert 'href="/topics/native/"' in body
    assert 'href="/topics/native/#deps"' in body
    assert 'href="/"' in body
    assert "/media/kb/native" not in body


@pytest.mark.django_db
def test_links_broken_on_the_source_site_are_reported_with_file_and_line(tmp_path):
    site = make_site(tmp_path, ["index.md", {"K": ["k/gpus.md", "k/native/index.md"]}], SMALL_SITE)
    err = StringIO()
    call_command("import_mkdocs", str(site), stdout=StringIO(), stderr=err)
    problems = [line for line in err.getvalue().splitlines() if "broken" in line]
    assert len(problems) == 1, err.getvalue()
    assert f"{site / 'docs' / 'k' / 'gpus.md'}:6: link '../missing-page' is broken" in problems[0]
    assert "/k/missing-page" in problems[0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "location"),
    [
        ("/k/gpus/", "/topics/gpus/"),
        ("/k/gpus", "/topics/gpus/"),
        ("/k/gpus/index.html", "/topics/gpus/"),
        ("/k/gpus.html", "/topics/gpus/"),
        ("/k/gpus.md", "/topics/gpus/"),
        ("/k/native/index.html", "/topics/native/"),
        ("/k/native.html", "/topics/native/"),
        ("/index.html", "/"),
        ("/index.md", "/"),
    ],
)
def test_original_urls_in_every_form_redirect_permanently(tmp_path, client, url, location):
    site = make_site(tmp_path, ["index.md", {"K": ["k/gpus.md", "k/native/index.md"]}], SMALL_SITE)
    call_command("import_mkdocs", str(site), stdout=StringIO(), stderr=StringIO())
    response = client.get(url)
    assert response.status_code == 301
    assert response["Location"] == location


@pytest.mark.django_db
def test_index_html_goes_home_even_without_an_imported_site(client):
    response = client.get("/index.html")
    assert (response.status_code, response["Location"]) == (301, "/")


@pytest.mark.django_db
def test_a_missing_original_page_answers_404(client):
    assert client.get("/nowhere/index.html").status_code == 404


# --- content tabs -----------------------------------------------------------

TABS = """\
See [the second tab](#__tabbed_1_2).

=== "First tab"

    Content of the first tab.

=== "Second tab"

    Content of the second tab.

=== "Third tab"

    Content of the third tab.

??? note "Closed block"

    === "Hidden first"

        Inside first.

    === "Hidden second"

        Inside second.
"""


@pytest.mark.django_db
def test_tabs_carry_the_anchors_material_gives_them(client):
    make_topic(slug="tabs", title="Tabs", body=TABS)
    page = client.get("/topics/tabs/").content.decode()
    for anchor in ("__tabbed_1_1", "__tabbed_1_3", "__tabbed_2_1", "__tabbed_2_2"):
        assert f'id="{anchor}"' in page
    assert 'href="#__tabbed_1_2"' in page
    assert re.search(r'<script src="/static/js/tabs\.[0-9a-f]+\.js" defer>', page)


@pytest.fixture
def tabs_topic(transactional_db):
    return make_topic(slug="tabs", title="Tabs", body=TABS)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("javascript", [False, True], ids=["without-js", "with-js"])
def test_a_link_to_a_tab_selects_it_and_other_tabs_still_open(live_server, tabs_topic, javascript):
    from tests.browser import chromium_page

    with chromium_page(java_script_enabled=javascript) as page:
        page.goto(f"{live_server.url}/topics/tabs/#__tabbed_1_2")
        tabs = [page.get_by_text(f"Content of the {n} tab.") for n in ("first", "second", "third")]
        assert [tab.is_visible() for tab in tabs] == [False, True, False]
        page.get_by_text("Third tab", exact=True).click()
        assert [tab.is_visible() for tab in tabs] == [False, False, True]
        page.get_by_text("Second tab", exact=True).click()
        assert [tab.is_visible() for tab in tabs] == [False, True, False]
        if javascript:
            # Without JavaScript the default tab cannot be told apart from the linked one.
            page.get_by_text("First tab", exact=True).click()
            assert [tab.is_visible() for tab in tabs] == [True, False, False]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_javascript_a_link_opens_the_block_and_tab_it_points_into(live_server, tabs_topic):
    from tests.browser import chromium_page

    with chromium_page() as page:
        page.goto(f"{live_server.url}/topics/tabs/")
        assert not page.get_by_text("Inside second.").is_visible()
        page.evaluate("window.location.hash = '#__tabbed_2_2'")
        page.get_by_text("Inside second.").wait_for(state="visible")
        assert not page.get_by_text("Inside first.").is_visible()
        page.goto(f"{live_server.url}/topics/tabs/")
        page.get_by_role("link", name="the second tab").click()
        page.get_by_text("Content of the second tab.").wait_for(state="visible")
        assert not page.get_by_text("Content of the first tab.").is_visible()


# --- the real sites, against what MkDocs builds ------------------------------


def mkdocs_build(corpus: Path, into: Path) -> Path:
    """Build a copy of `corpus` with MkDocs, without the plugins that are not installed."""
    copy = into / corpus.name
    shutil.copytree(corpus, copy, ignore=shutil.ignore_patterns("history.json", ".git"))
    config = (copy / "mkdocs.yml").read_text()
    for key in ("plugins", "watch"):
        config = re.sub(rf"^{key}:\n(?:[ #].*\n|[ \t]*\n)*", "", config, flags=re.M)
    (copy / "mkdocs.yml").write_text(config.replace("strict: true", "strict: false"))
    subprocess.run(  # noqa: S603 - our own interpreter and an installed dev tool
        [sys.executable, "-m", "mkdocs", "build", "--quiet", "--site-dir", str(copy / "site")],
        cwd=copy,
        check=True,
        capture_output=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    return copy / "site"


@pytest.fixture(scope="session")
def built_sites(tmp_path_factory):
    """Both corpora as `mkdocs build` writes them (one build each per test session)."""
    into = tmp_path_factory.mktemp("mkdocs-build")
    return {corpus: mkdocs_build(corpus, into) for corpus in (CORPUS, STARLETTE_CORPUS)}


@dataclass
class Page:
    """What a page shows in its content: title, heading anchors, links and images."""

    title: str = ""
    ids: set[str] = field(default_factory=set)
    headings: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)


class _ContentParser(HTMLParser):
    """Reads a page's content: its first h1, anchors, headings, links and images."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.in_h1 = self.in_number = False
        self.seen_h1 = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if tag == "h1" and not self.seen_h1:
            self.in_h1 = self.seen_h1 = True
        self.in_number = self.in_number or (self.in_h1 and "number" in classes)
        if attributes.get("id"):
            self.page.ids.add(attributes["id"])
            if re.fullmatch(r"h[2-6]", tag):
                self.page.headings.append(attributes["id"])
        if tag == "a" and "headerlink" not in classes and attributes.get("href"):
            self.page.links.append(attributes["href"])
        if tag == "img" and attributes.get("src"):
            self.page.images.append(attributes["src"])

    def handle_endtag(self, tag):
        self.in_h1 = self.in_h1 and tag != "h1"
        self.in_number = self.in_number and tag != "span"

    def handle_data(self, data):
        if self.in_h1 and not self.in_number:
            self.page.title += data


def read_content(html: str) -> Page:
    """The content of an HTML fragment, all of which is content."""
    parser = _ContentParser()
    parser.feed(html)
    page = parser.page
    page.title = re.sub(r"\s+", " ", page.title.replace("¶", "")).strip()
    return page


def read_built_page(site: Path, path: str) -> Page:
    """A page as MkDocs Material built it: the content is its one <article>."""
    html = (site / page_url_path(path) / "index.html").read_text()
    article = re.search(r'<article class="md-content__inner[^"]*">(.*)</article>', html, re.S)
    return read_content(article.group(1))


def read_our_page(client, topic: Topic) -> Page:
    """A topic's page here: the title from the page, the content from its stored body."""
    page = read_content(topic.body_html)
    response = client.get(topic.get_absolute_url())
    assert response.status_code == 200
    page.title = read_content(response.content.decode()).title
    return page


def is_local(url: str) -> bool:
    return not urlsplit(url).scheme and not url.startswith(("#", "//"))


def built_target(site: Path, docs: Path, page_path: str, url: str) -> tuple[str, str]:
    """Where a link on the built page leads: ("page"/"file"/"missing", docs path) and fragment."""
    address = urljoin(f"/{page_url_path(page_path)}", url)
    path, fragment = unquote(urlsplit(address).path), urlsplit(address).fragment
    stem = path.strip("/").removesuffix("index.html").rstrip("/")
    for source in (f"{stem}.md", f"{stem}/index.md" if stem else "index.md"):
        if (docs / source).is_file():
            return f"page:{source}", fragment
    if (docs / path.strip("/")).is_file():
        return f"file:{path.strip('/')}", fragment
    return f"missing:{path}", fragment


def our_target(client, url: str) -> tuple[str, str, str]:
    """Where a link on our page leads (same terms as built_target), its fragment and final URL."""
    parts = urlsplit(url)
    response = client.get(parts.path, follow=True)
    final = response.request["PATH_INFO"]
    assert response.status_code == 200, f"{url} -> {final}: {response.status_code}"
    if final.startswith("/media/kb/"):
        return f"file:{unquote(final.removeprefix('/media/kb/'))}", parts.fragment, final
    if final == "/":
        return "page:index.md", parts.fragment, final
    match = re.fullmatch(r"/topics/([^/]+)/", final)
    assert match, f"{url} leads to {final}, which is no topic"
    source = Topic.objects.get(slug=match.group(1)).source_path
    return f"page:{source}", parts.fragment, final


def compare_page_with_mkdocs(client, corpus: Path, site: Path, path: str) -> None:
    """The imported page shows what MkDocs built: title, heading anchors, link targets."""
    docs = corpus / "docs"
    built = read_built_page(site, path)
    topic = Topic.objects.get(source_path=path)
    ours = read_our_page(client, topic)

    assert ours.title == built.title
    # Every heading of the content keeps its anchor, in order (h1 is the page's title).
    assert ours.headings == built.headings

    theirs_links = [built_target(site, docs, path, u) for u in built.links if is_local(u)]
    our_links = [our_target(client, u) for u in ours.links if is_local(u)]
    assert Counter(theirs_links) == Counter((t, f) for t, f, _ in our_links)
    theirs_images = Counter(
        built_target(site, docs, path, u)[0] for u in built.images if is_local(u)
    )  # noqa: E501
    our_images = Counter(our_target(client, u)[0] for u in ours.images if is_local(u))
    assert theirs_images == our_images

    # Every #anchor of a link exists on the page it leads to, here as in the built site.
    for (target, fragment), (_, _, final) in zip(theirs_links, our_links, strict=False):
        if not fragment or not target.startswith("page:"):
            continue
        built_ids = read_built_page(site, target.removeprefix("page:")).ids
        our_page = client.get(final).content.decode()
        assert (f'id="{fragment}"' in our_page) == (fragment in built_ids), (target, fragment)


@pytest.mark.django_db
class TestPypackagingNativeMatchesItsMkDocsBuild:
    @pytest.mark.parametrize("path", nav_pages(CORPUS))
    def test_page_has_the_built_title_anchors_and_link_targets(
        self, corpus, built_sites, client, path
    ):
        compare_page_with_mkdocs(client, CORPUS, built_sites[CORPUS], path)

    def test_import_reports_no_broken_links(self, corpus):
        assert [p for p in corpus.problems if "link" in p] == []

    def test_the_directory_style_links_of_gpus_reach_their_topics(self, corpus, client):
        body = Topic.objects.get(source_path="key-issues/gpus.md").body_html
        assert 'href="/topics/native-dependencies/"' in body
        assert 'href="/topics/other-issues/#lack-of-support-for-symlinks-in-wheels"' in body
        assert "/media/kb/native-dependencies" not in body

    @pytest.mark.parametrize(
        ("url", "location"),
        [
            ("/index.html", "/"),
            ("/key-issues/gpus/index.html", "/topics/gpus/"),
            ("/key-issues/gpus.html", "/topics/gpus/"),
            ("/key-issues/native-dependencies/index.html", "/topics/native-dependencies/"),
            ("/key-issues/native-dependencies/", "/topics/native-dependencies/"),
            ("/key-issues/", "/sections/key-issues/"),
            ("/key-issues/index.html", "/sections/key-issues/"),
        ],
    )
    def test_original_urls_redirect(self, corpus, client, url, location):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (301, location)


# The release notes' headings are versions ("0.47.3 (August 24, 2025)"): their ids start
# with a digit, and links to them must still work.
STARLETTE_PAGES = nav_pages(STARLETTE_CORPUS)


@pytest.mark.django_db
class TestStarletteMatchesItsMkDocsBuild:
    @pytest.mark.parametrize("path", STARLETTE_PAGES)
    def test_page_has_the_built_title_anchors_and_link_targets(
        self, starlette_corpus, built_sites, client, path
    ):
        compare_page_with_mkdocs(client, STARLETTE_CORPUS, built_sites[STARLETTE_CORPUS], path)

    def test_import_reports_no_broken_links(self, starlette_corpus):
        assert [p for p in starlette_corpus.problems if "link" in p] == []

    def test_links_between_pages_keep_their_anchor(self, starlette_corpus, client):
        body = Topic.objects.get(source_path="threadpool.md").body_html
        assert 'href="/topics/responses/#fileresponse"' in body
        assert 'href="/topics/requests/#request-files"' in body
