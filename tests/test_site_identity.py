"""The site's identity: name, description, copyright, repository and licence on every page."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from tests.conftest import CORPUS
from tests.factories import make_editor, published_topic, signed_in, wipe_content
from topics.importers.mkdocs import MkDocsImporter
from topics.importers.site_identity import copyright_from_licence, identify_licence
from topics.models import SiteIdentity

pytestmark = pytest.mark.django_db

STARLETTE = CORPUS.parent / "starlette"
ATOM = "{http://www.w3.org/2005/Atom}"


def mkdocs_config(project: Path) -> dict:
    """mkdocs.yml as MkDocs reads it, ignoring its Python tags."""
    loader = type("Loader", (yaml.SafeLoader,), {})
    loader.add_multi_constructor("", lambda loader, suffix, node: None)
    return yaml.load((project / "mkdocs.yml").read_text(), Loader=loader)  # noqa: S506


def identity(**values) -> SiteIdentity:
    row = SiteIdentity(**values)
    row.save()
    return row


def footer(page: str) -> str:
    return page[page.index('<footer class="site-footer">') :]


# --- Without an identity the settings name the site ----------------------------------


def test_without_an_identity_the_header_and_title_use_the_kb_site_name_setting(client, settings):
    settings.KB_SITE_NAME = "Packaging notes"
    page = client.get("/").content.decode()
    assert "<title>Packaging notes</title>" in page
    assert '<a class="site-name" href="/">Packaging notes</a>' in page


def test_a_blank_name_falls_back_to_the_setting_while_the_rest_shows(client, settings):
    settings.KB_SITE_NAME = "Packaging notes"
    identity(copyright="Copyright 2024 The authors")
    page = client.get("/").content.decode()
    assert "<title>Packaging notes</title>" in page
    assert "Copyright 2024 The authors" in footer(page)


# --- Saved in the admin, shown everywhere at once ---------------------------------------


def test_a_name_saved_in_the_admin_replaces_the_cached_header_at_once(client, staff):
    topic = published_topic(title="ABI")
    assert "Curated knowledge base" in client.get(topic.get_absolute_url()).content.decode()
    admin = signed_in(staff)
    response = admin.post(
        "/admin/topics/siteidentity/add/",
        {"name": "Native packaging", "description": "Packaging with native code."},
    )
    assert response.status_code == 302
    page = client.get(topic.get_absolute_url()).content.decode()
    assert "<title>ABI · Native packaging</title>" in page
    assert '<a class="site-name" href="/" title="Packaging with native code.">' in page


def test_the_admin_keeps_one_identity_and_its_list_opens_it(staff):
    admin = signed_in(staff)
    assert admin.get("/admin/topics/siteidentity/")["Location"].endswith(
        "/admin/topics/siteidentity/add/"
    )
    row = identity(name="One")
    assert admin.get("/admin/topics/siteidentity/")["Location"].endswith(
        f"/admin/topics/siteidentity/{row.pk}/change/"
    )
    assert admin.get("/admin/topics/siteidentity/add/").status_code == 403
    response = admin.post(f"/admin/topics/siteidentity/{row.pk}/change/", {"name": "Two"})
    assert response.status_code == 302
    assert SiteIdentity.objects.get().name == "Two"


def test_an_identity_is_one_row_whatever_saves_it():
    SiteIdentity(name="First").save()
    SiteIdentity(name="Second").save()
    assert list(SiteIdentity.objects.values_list("name", flat=True)) == ["Second"]


def test_editors_without_the_permission_cannot_change_the_identity():
    row = identity(name="Ours")
    response = signed_in(make_editor()).post(
        f"/admin/topics/siteidentity/{row.pk}/change/", {"name": "Theirs"}
    )
    assert response.status_code == 403
    assert SiteIdentity.objects.get().name == "Ours"


# --- The footer: attribution, copyright, licence, repository ----------------------------


def test_the_footer_credits_copyright_licence_repository_and_original_site(client):
    identity(
        name="Starlette",
        copyright="Copyright © 2018, Encode OSS Ltd.",
        licence="BSD-3-Clause",
        licence_url="https://example.org/LICENSE.md",
        repo_url="https://github.com/encode/starlette",
        source_url="https://www.starlette.io",
    )
    bottom = footer(client.get("/").content.decode())
    assert "Copyright © 2018, Encode OSS Ltd." in bottom
    licence = '<a rel="license" href="https://example.org/LICENSE.md">BSD-3-Clause licence</a>'
    assert licence in bottom
    assert '<a href="https://github.com/encode/starlette">encode/starlette</a>' in bottom
    assert '<a href="https://www.starlette.io">https://www.starlette.io</a>' in bottom


def test_a_licence_without_an_address_can_be_read_in_the_footer(client):
    identity(licence="MIT", licence_text="MIT License\n\nPermission is hereby granted…")
    bottom = footer(client.get("/").content.decode())
    assert "<summary>Content under the MIT licence</summary>" in bottom
    assert "Permission is hereby granted…" in bottom


def test_the_copyright_keeps_its_links_and_loses_anything_else(client):
    identity(
        copyright='Copyright &copy; 2022 <a href="https://labs.example.org">Labs</a> & friends'
        '<script>alert(1)</script><img src=x onerror="alert(2)">'
    )
    bottom = footer(client.get("/").content.decode())
    assert "Copyright © 2022" in bottom
    assert 'href="https://labs.example.org"' in bottom and "&amp; friends" in bottom
    assert "<script" not in bottom and "onerror" not in bottom and "<img" not in bottom


def test_the_description_is_every_pages_default_description(client):
    identity(description="Notes on packaging native code.")
    page = client.get("/tags/").content.decode()
    assert '<meta name="description" content="Notes on packaging native code.">' in page


# --- Feed and sitemap -------------------------------------------------------------------


def test_the_feed_is_titled_described_and_attributed_with_the_identity(client):
    identity(
        name="pypackaging-native",
        description="Packaging native code.",
        copyright="Copyright &copy; 2022 Quansight Labs & open source contributors",
    )
    published_topic(title="ABI")
    feed = ET.fromstring(client.get("/feed/").content)
    assert feed.find(f"{ATOM}title").text == "pypackaging-native: latest changes"
    assert feed.find(f"{ATOM}subtitle").text == "Packaging native code."
    assert feed.find(f"{ATOM}rights").text == (
        "Copyright © 2022 Quansight Labs & open source contributors"
    )


def test_feed_and_sitemap_links_use_the_address_set_in_the_admin(client):
    identity(url="https://kb.example.org/")
    topic = published_topic(title="ABI", slug="abi")
    feed = ET.fromstring(client.get("/feed/").content)
    links = [link.get("href") for link in feed.iter(f"{ATOM}link")]
    assert links and all(link.startswith("https://kb.example.org/") for link in links), links
    sitemap = client.get("/sitemap.xml").content.decode()
    assert f"<loc>https://kb.example.org{topic.get_absolute_url()}</loc>" in sitemap
    assert "testserver" not in sitemap


def test_without_an_address_feed_and_sitemap_link_to_the_host_asked(client):
    topic = published_topic(title="ABI", slug="abi")
    sitemap = client.get("/sitemap.xml").content.decode()
    assert f"://testserver{topic.get_absolute_url()}</loc>" in sitemap
    feed = client.get("/feed/").content.decode()
    assert "http://testserver/" in feed


# --- Licences as their files say -------------------------------------------------------


@pytest.mark.parametrize(
    ("licence", "expected"),
    [(CORPUS / "LICENSE", "MIT"), (STARLETTE / "LICENSE.md", "BSD-3-Clause")],
)
def test_each_corpus_licence_is_recognised(licence, expected):
    assert identify_licence(licence.read_text()) == expected


def test_an_unknown_licence_is_named_by_its_first_line():
    assert identify_licence("# The Example Licence\n\nDo as you like.") == "The Example Licence"


def test_a_licence_copyright_line_keeps_its_markdown_link_as_a_link():
    line = copyright_from_licence("Copyright © 2018, [Encode](https://www.encode.io/).\nAll rights")
    assert line == 'Copyright © 2018, <a href="https://www.encode.io/">Encode</a>.'


# --- Imports fill the identity from mkdocs.yml -----------------------------------------


@pytest.fixture
def imported(request):
    """Import a real corpus for one test, and wipe it after (its files live outside the test)."""

    def run(project: Path):
        if not project.is_dir():
            pytest.fail(f"corpus not found at {project}")
        MkDocsImporter(project).run()
        return mkdocs_config(project)

    yield run
    wipe_content()


def test_the_pypackaging_native_import_names_and_credits_the_site_as_its_mkdocs_yml(
    client, imported
):
    config = imported(CORPUS)
    page = client.get("/topics/abi/").content.decode()
    assert f"· {config['site_name']}</title>" in page
    assert f'<a class="site-name" href="/">{config["site_name"]}</a>' in page
    bottom = footer(page)
    # mkdocs.yml writes HTML: "Copyright &copy; 2022 Quansight Labs & open source contributors"
    assert "Copyright © 2022 Quansight Labs &amp; open source contributors" in bottom
    licence_link = next(s["link"] for s in config["extra"]["social"] if "license" in s["icon"])
    assert f'<a rel="license" href="{licence_link}">MIT licence</a>' in bottom
    assert f'<a href="{config["repo_url"]}">pypackaging-native/pypackaging-native</a>' in bottom
    stored = SiteIdentity.objects.get()
    assert stored.licence_text == (CORPUS / "LICENSE").read_text().strip()


def test_the_starlette_import_names_describes_and_credits_the_site_as_its_mkdocs_yml(
    client, imported
):
    config = imported(STARLETTE)
    page = client.get("/").content.decode()
    assert f'<a class="site-name" href="/" title="{config["site_description"]}">Starlette</a>' in (
        page
    )
    assert f'<meta name="description" content="{config["site_description"]}">' in page
    bottom = footer(page)
    # No copyright in its mkdocs.yml: the BSD licence's notice, which must be kept with the text.
    assert 'Copyright © 2018, <a href="https://www.encode.io/" rel="noopener noreferrer">' in bottom
    assert "BSD-3-Clause licence" in bottom
    assert "https://github.com/encode/starlette/blob/master/LICENSE.md" in bottom
    assert f'<a href="{config["repo_url"]}">{config["repo_name"]}</a>' in bottom
    assert f'<a href="{config["site_url"]}">' in bottom
    feed = ET.fromstring(client.get("/feed/").content)
    assert feed.find(f"{ATOM}title").text == "Starlette: latest changes"
    assert feed.find(f"{ATOM}subtitle").text == config["site_description"]


def test_a_reimport_keeps_what_the_project_does_not_state(imported):
    imported(CORPUS)
    row = SiteIdentity.objects.get()
    row.url, row.description = "https://kb.example.org", "Our own words."
    row.save()
    imported(CORPUS)
    row = SiteIdentity.objects.get()
    assert (row.name, row.url, row.description) == (
        "pypackaging-native",
        "https://kb.example.org",
        "Our own words.",
    )
