"""What readers see: pages, navigation, search, feed, sitemap, health, errors, query counts."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    admin_topic_form,
    cite,
    count_queries,
    make_maintainer,
    make_reference,
    make_revision,
    make_section,
    make_topic,
    nav_links_marked_current,
    published_topic,
    signed_in,
)
from topics.models import Citation, Reference, Topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    """A small site: two sections (one numbered), a sub-page, a top-level page, references."""
    meta = make_section(title="Meta", slug="meta", order=10)
    key = make_section(title="Key issues", slug="key-issues", order=20, numbered=True)
    intro = make_topic(
        title="Welcome", slug="welcome", is_home=True, order=1, body="Hello readers."
    )
    first = make_topic(
        title="First issue",
        slug="first",
        section=key,
        order=1,
        tags=["python", "abi"],
        summary="The first one.",
        body="Intro.\n\n## Current state\n\nSee [PEP 517](https://peps.python.org/pep-0517/).",
    )
    sub = make_topic(title="A sub-page", slug="sub", section=key, parent=first, order=1)
    second = make_topic(title="Second issue", slug="second", section=key, order=2)
    overview = make_topic(title="Overview", slug="overview", section=meta, order=1)
    glossary = make_topic(title="Glossary", slug="glossary", order=30)
    return {
        "intro": intro,
        "first": first,
        "sub": sub,
        "second": second,
        "overview": overview,
        "glossary": glossary,
        "key": key,
    }


def test_home_shows_introduction_sections_and_numbered_key_issues(client, site):
    page = client.get("/").content.decode()
    assert "Welcome</h1>" in page and "Hello readers." in page
    assert page.index("Meta") < page.index("Key issues") < page.index("Glossary")
    assert '<span class="number">1.</span> First issue' in page
    assert '<span class="number">2.</span> Second issue' in page
    assert "A sub-page" in page


def test_topic_page_has_breadcrumbs_toc_references_tags_dates_and_neighbours(client, site):
    page = client.get("/topics/sub/").content.decode()
    crumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', page, re.S).group(0)
    assert "Key issues" in crumbs and "First issue" in crumbs and "A sub-page" in crumbs
    first = client.get("/topics/first/").content.decode()
    assert "On this page" in first and 'href="#current-state"' in first
    assert "References cited" in first and "https://peps.python.org/pep-0517/" in first
    assert 'href="/tags/python/"' in first
    assert "Created <time" in first and "Last updated <time" in first
    assert 'rel="next" href="/topics/sub/"' in first
    assert 'rel="prev" href="/topics/overview/"' in first
    assert '<span class="number">1.</span> First issue</h1>' in first


def test_the_navigation_marks_the_page_being_read_and_no_other(client, site):
    """Both trees (the sidebar, and the one at hand on narrow screens) mark the same link."""
    for slug in ("first", "sub", "glossary"):
        page = client.get(f"/topics/{slug}/").content.decode()
        assert (
            nav_links_marked_current(page)
            == [f'<a href="/topics/{slug}/" aria-current="page">'] * 2
        ), slug
    welcome = client.get("/topics/welcome/").content.decode()
    assert nav_links_marked_current(welcome) == ['<a href="/" aria-current="page">'] * 2
    section = client.get("/sections/key-issues/").content.decode()
    assert section.count('class="nav-tree"') == 2 and nav_links_marked_current(section) == []


def test_a_title_with_markup_is_text_in_the_navigation_and_its_link_still_marked(client, site):
    make_topic(title='<img src=x onerror="alert(1)">', slug="marked", section=site["key"], order=3)
    page = client.get("/topics/marked/").content.decode()
    tree = re.search(r'<nav class="nav-tree".*?</nav>', page, re.S).group(0)
    assert "<img" not in tree and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in tree
    assert nav_links_marked_current(page) == ['<a href="/topics/marked/" aria-current="page">'] * 2


def test_section_page_lists_its_topics_in_order_with_summaries(client, site):
    page = client.get("/sections/key-issues/").content.decode()
    assert page.index("First issue") < page.index("Second issue")
    assert "The first one." in page


def test_references_page_groups_by_kind_with_citing_topics(client, site):
    blog = make_reference(url="https://blog.example.org/post", title="A post", kind="blog")
    cite(site["second"], blog)
    page = client.get("/references/").content.decode()
    assert page.index('id="kind-pep"') < page.index('id="kind-blog"')
    pep_section = page[page.index('id="kind-pep"') : page.index('id="kind-blog"')]
    assert "PEP 517" in pep_section and 'href="/topics/first/"' in pep_section


def test_references_page_escapes_titles_and_addresses_and_lists_only_published_citers(client, site):
    hostile = make_reference(
        url='https://example.org/?a=1&b="><script>alert(1)</script>',
        title="<img src=x onerror=alert(2)> & more",
        kind="blog",
    )
    cite(site["second"], hostile)
    cite(site["first"], hostile)
    odd = make_topic(title="<b>Bold</b> & co", slug="odd-title")
    cite(odd, hostile)
    draft = make_topic(title="Hidden draft", slug="hidden", status=Topic.Status.DRAFT)
    cite(draft, hostile)
    page = client.get("/references/").content.decode()
    item = page[page.index('id="kind-blog"') :]
    item = item[: item.index("</li>")]
    assert "<script>" not in item and "<img" not in item and "<b>" not in item
    assert 'href="https://example.org/?a=1&amp;b=&quot;&gt;&lt;script&gt;' in item
    assert "&lt;img src=x onerror=alert(2)&gt; &amp; more</a>" in item
    # The citing topics, each linked once, by title; a draft is not named.
    assert re.findall(r'href="(/topics/[^"]+/)"', item) == [
        "/topics/odd-title/",
        "/topics/first/",
        "/topics/second/",
    ]
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co</a>" in item
    assert "Hidden draft" not in page and "/topics/hidden/" not in page


def test_tag_page_lists_tagged_topics(client, site):
    page = client.get("/tags/python/").content.decode()
    assert "First issue" in page and "Second issue" not in page
    assert client.get("/tags/").status_code == 200
    assert client.get("/tags/nope/").status_code == 404


def test_drafts_are_invisible_to_readers_everywhere(client, site):
    draft = make_topic(
        title="Secret draft",
        slug="secret",
        status=Topic.Status.DRAFT,
        body="zebra",
        tags=["python"],
    )
    make_revision(topic=draft, message="draft work")
    assert client.get("/topics/secret/").status_code == 404
    assert client.get("/api/topics/secret/").status_code == 404
    for url in [
        "/",
        "/sections/key-issues/",
        "/search/?q=zebra",
        "/api/topics/",
        "/feed/",
        "/sitemap.xml",
        "/tags/python/",
    ]:
        assert "Secret draft" not in client.get(url).content.decode(), url
        assert "/topics/secret/" not in client.get(url).content.decode(), url


def test_search_finds_ranked_topics_with_highlighted_snippets(client, site):
    make_topic(title="Wheels and tags", slug="wheels", body="A wheel has platform tags.")
    make_topic(title="Other", slug="other", body="Mentions wheels once, in passing.")
    page = client.get("/search/", {"q": "wheels"}).content.decode()
    assert page.index("Wheels and tags") < page.index("Other</a>")
    assert "<mark>" in page


def test_search_snippet_escapes_html_from_the_text(client, site):
    make_topic(slug="xss", title="Escapes", body="```\n<script>alert('zebra')</script>\n```")
    page = client.get("/search/", {"q": "zebra"}).content.decode()
    snippet = re.search(r'<p class="snippet">(.*?)</p>', page, re.S).group(1)
    assert "<script>" not in snippet
    assert "&lt;script&gt;" in snippet and "<mark>zebra</mark>" in snippet


@pytest.mark.parametrize("query", ['"unclosed', "a & | ! b", "(((", "-", "<script>", "x" * 500])
def test_search_survives_any_syntax(client, site, query):
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200


def test_empty_search_shows_the_form(client, site):
    page = client.get("/search/").content.decode()
    assert 'name="q"' in page and "result" not in page


@pytest.mark.postgres
def test_postgres_search_uses_stemming_and_ranking(client, site):
    make_topic(title="Compiling", slug="compiling", body="Compilers compile code. " * 3)
    make_topic(title="Elsewhere", slug="elsewhere", body="One compiled thing.")
    page = client.get("/search/", {"q": "compile"}).content.decode()
    assert "Compiling" in page and "Elsewhere" in page
    assert page.index("Compiling") < page.index("Elsewhere")


def test_feed_is_atom_with_published_changes_and_messages(client, site):
    make_revision(topic=site["first"], message="Explain the current state")
    response = client.get("/feed/")
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    titles = [e.text for e in root.iter("{http://www.w3.org/2005/Atom}title")]
    assert "First issue: Explain the current state" in titles


def test_sitemap_lists_topics_and_sections(client, site):
    content = client.get("/sitemap.xml").content.decode()
    assert "/topics/first/" in content and "/sections/key-issues/" in content


def test_healthz_says_the_process_answers_without_asking_the_database(client, db):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert len(queries) == 0


def test_readyz_checks_the_database_the_cache_and_the_migrations(client, db):
    response = client.get("/readyz", HTTP_HOST="10.0.0.7")  # a balancer asks by address
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "migrations": "ok",
    }


def test_unknown_page_gets_a_friendly_404(client, db):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert 'name="q"' in response.content.decode()


def test_server_error_page_is_friendly(rf):
    from topics.views.errors import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500 and "Something went wrong" in response.content.decode()


def test_pages_use_hashed_static_files_with_debug_off(client, site, settings):
    settings.DEBUG = False
    page = client.get("/topics/first/").content.decode()
    assert re.search(r'href="/static/css/site\.[0-9a-f]{12}\.css"', page)


def test_tabs_and_details_work_without_javascript(client):
    """Readers without JavaScript get every tab and block: no <script> in any topic page."""
    topic = make_topic(slug="tabs", body='=== "A"\n\n    a\n\n??? note\n    hidden')
    page = client.get(topic.get_absolute_url()).content.decode()
    scripts = re.findall(r"<script[^>]*>", page)
    assert all("src=" in tag for tag in scripts)
    # All wait for the page, but the theme's: it only sets the saved theme, before first paint.
    assert [tag for tag in scripts if "defer" not in tag] == [scripts[0]]
    assert "/theme." in scripts[0] and page.index(scripts[0]) < page.index("</head>")
    assert "<details" in page and 'type="radio"' in page


# --- Query counts do not grow with the size of the knowledge base -------------


def grow(topics: int, references: int) -> None:
    """Add sections, topics (some nested, some tagged) and cited references."""
    sections = [make_section() for _ in range(5)]
    made = Topic.objects.count()
    new = []
    for number in range(made, topics):
        section = sections[number % 5]
        parent = new[-1] if number % 7 == 0 and new and new[-1].parent_id is None else None
        new.append(
            make_topic(
                section=section, parent=parent, tags=["python"] if number % 3 else ["c", "abi"]
            )
        )
    refs = Reference.objects.bulk_create(
        Reference(
            url=f"https://example.org/r/{n}", title=f"R {n}", kind=Reference.Kind.choices[n % 8][0]
        )
        for n in range(Reference.objects.count(), references)
    )
    everyone = list(Topic.objects.all())
    Citation.objects.bulk_create(
        (Citation(topic=everyone[n % len(everyone)], reference=ref) for n, ref in enumerate(refs)),
        ignore_conflicts=True,
    )
    # The page under test cites many references too.
    Citation.objects.bulk_create(
        (Citation(topic=everyone[0], reference=ref) for ref in refs[:300]), ignore_conflicts=True
    )


GROWTH_PAGES = ["home", "topic", "references", "section", "tag", "api"]


@pytest.fixture(scope="module")
def growth_query_counts(django_db_setup, django_db_blocker) -> dict[str, tuple[int, int]]:
    """Queries of each listing page with 20 topics and 100 references, then 500 and 5,000.

    The large site takes seconds to build, so it is built once for the module,
    inside a transaction that is rolled back afterwards.
    """
    counts: dict[str, tuple[int, int]] = {}
    # Every request reads the content version, however long the growing takes (no flakes).
    every_time = mock.patch("topics.page_cache.VERSION_CHECK_SECONDS", 0)
    with django_db_blocker.unblock(), transaction.atomic(), every_time:
        cache.clear()
        grow(topics=20, references=100)
        first = Topic.objects.order_by("pk").first()
        urls = {
            "home": "/",
            "topic": first.get_absolute_url(),
            "references": "/references/",
            "section": first.section.get_absolute_url() if first.section else "/",
            "tag": "/tags/python/",
            "api": "/api/topics/",
        }
        small = {page: count_queries(Client(), url) for page, url in urls.items()}
        grow(topics=500, references=5000)
        assert Topic.objects.count() == 500 and Reference.objects.count() == 5000
        for page, url in urls.items():
            counts[page] = (small[page], count_queries(Client(), url))
        transaction.set_rollback(True)
    cache.clear()
    return counts


@pytest.mark.parametrize("page", GROWTH_PAGES)
def test_query_count_does_not_grow_with_the_knowledge_base(growth_query_counts, page):
    small, large = growth_query_counts[page]
    assert small == large, f"{page}: {small} queries with 20 topics, {large} with 500"
    # A page cache miss; a hit for anonymous readers costs one query (see test_page_cache).
    assert large <= 7, f"{page} runs {large} queries"


@pytest.mark.postgres
def test_postgres_search_vector_has_a_gin_index():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'topics_topic' "
            "AND indexdef ILIKE %s",
            ["%gin%search_vector%"],
        )
        assert cursor.fetchone() is not None


def test_a_long_reference_list_links_its_pages(client, settings):
    topic = make_topic()
    references = Reference.objects.bulk_create(
        Reference(url=f"https://example.org/many/{n}", title=f"Many {n:04d}") for n in range(401)
    )
    Citation.objects.bulk_create(Citation(topic=topic, reference=ref) for ref in references)
    first = client.get("/references/").content.decode()
    assert "Page 1 of 2" in first and 'href="?page=2"' in first
    second = client.get("/references/?page=2").content.decode()
    assert "Page 2 of 2" in second and 'href="?page=1"' in second


def test_a_renamed_topics_old_addresses_redirect_to_its_new_ones(client):
    """Bookmarks, links from elsewhere and feed readers keep working after a rename."""
    topic = published_topic(slug="gpu-wheels", title="GPU wheels")
    maintainer = signed_in(make_maintainer())
    renamed = admin_topic_form(topic, body=topic.body, slug="gpus")
    assert maintainer.post(f"/admin/topics/topic/{topic.pk}/change/", renamed).status_code == 302

    response = client.get("/topics/gpu-wheels/")
    assert response.status_code == 301 and response["Location"] == "/topics/gpus/"
    response = client.get("/topics/gpu-wheels/history/?page=1")
    assert response.status_code == 301 and response["Location"] == "/topics/gpus/history/?page=1"
    assert client.get("/topics/gpus/").status_code == 200
    assert client.post("/topics/gpu-wheels/follow/").status_code != 301  # only reading

    # A new topic may take the old slug: it is then that topic's address.
    published_topic(slug="gpu-wheels", title="GPU wheels, the new page")
    assert client.get("/topics/gpu-wheels/").status_code == 200
    # Renamed back, the topic's old address is live again: no redirect loop.
    other = Topic.objects.get(slug="gpus")
    other.slug = "gpus-2"
    other.save()
    assert client.get("/topics/gpus/").status_code == 301
    other.slug = "gpus"
    other.save()
    assert client.get("/topics/gpus/").status_code == 200
    assert client.get("/topics/gpus-2/")["Location"] == "/topics/gpus/"


def test_an_unpublished_topics_new_slug_is_not_revealed_by_its_old_address(client):
    topic = published_topic(slug="secret-plans")
    topic.slug, topic.status = "renamed-plans", Topic.Status.DRAFT
    topic.save()
    assert client.get("/topics/secret-plans/").status_code == 404
