"""The read-only JSON API."""

import pytest

from tests.factories import (
    cite,
    make_editor,
    make_reference,
    make_section,
    make_stakeholder,
    make_topic,
    publish_body,
    published_topic,
    queries_for,
)
from topics.models import Topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def topics():
    section = make_section(slug="key-issues", title="Key issues")
    parent = make_topic(
        slug="abi",
        title="ABI",
        section=section,
        tags=["abi"],
        body="Read [PEP 3149](https://peps.python.org/pep-3149/).",
    )
    make_topic(slug="child", title="Child", section=section, parent=parent)
    make_topic(slug="hidden", title="Hidden", status=Topic.Status.DRAFT)
    return parent


def test_topic_list_gives_slug_title_section_url_tags_updated(client, topics):
    data = client.get("/api/topics/").json()
    assert data["count"] == 2
    abi = next(item for item in data["results"] if item["slug"] == "abi")
    assert abi["title"] == "ABI" and abi["section"] == "key-issues"
    assert abi["url"] == "http://testserver/topics/abi/"
    assert abi["tags"] == ["abi"] and abi["updated"]
    child = next(item for item in data["results"] if item["slug"] == "child")
    assert child["parent"] == "abi"


def test_topic_detail_adds_html_body_and_references(client, topics):
    data = client.get("/api/topics/abi/").json()
    assert '<a href="https://peps.python.org/pep-3149/"' in data["body_html"]
    assert data["references"] == [
        {"url": "https://peps.python.org/pep-3149/", "title": "PEP 3149", "kind": "pep"}
    ]


def test_reference_list_names_citing_topics(client, topics):
    data = client.get("/api/references/").json()
    assert data["results"] == [
        {
            "url": "https://peps.python.org/pep-3149/",
            "title": "PEP 3149",
            "kind": "pep",
            "topics": ["abi"],
        }
    ]


def test_api_is_read_only(client, topics):
    assert client.post("/api/topics/").status_code == 405
    assert client.delete("/api/topics/abi/").status_code == 405


def test_unknown_topic_is_a_json_404(client, topics):
    assert client.get("/api/topics/nope/").status_code == 404


# Kept for anonymous readers like the pages (topics/page_cache.py): a repeated request costs
# the version check only, and a change shows at once.

API_READS = ["/api/topics/", "/api/topics/abi/", "/api/references/", "/sitemap.xml"]


@pytest.mark.parametrize("url", API_READS)
def test_a_repeated_anonymous_read_is_answered_from_the_stored_copy(
    client, topics, monkeypatch, one_minute, url
):
    monkeypatch.setattr("topics.page_cache.VERSION_CHECK_SECONDS", 0)  # check on every hit
    first, body = queries_for(client, url)
    second, again = queries_for(client, url)
    assert first > 1 and second == 1
    assert again == body


def test_the_stored_sitemap_still_asks_search_engines_not_to_index_it(client, topics):
    for _ in range(2):
        assert client.get("/sitemap.xml")["X-Robots-Tag"] == "noindex, noodp, noarchive"


@pytest.mark.parametrize("url", API_READS)
def test_a_signed_in_read_is_never_the_stored_copy(client, topics, url):
    client.get(url)
    client.force_login(make_stakeholder())
    response = client.get(url)
    assert response["Cache-Control"] == "private, no-cache"
    assert "Surrogate-Key" not in response


def test_a_publish_shows_in_every_api_list_and_the_sitemap_at_once(client, topics):
    for url in API_READS:
        client.get(url)
    topic = published_topic(
        slug="fresh", title="Fresh", body="See [PEP 8](https://peps.python.org/pep-0008/)."
    )
    assert "fresh" in [item["slug"] for item in client.get("/api/topics/").json()["results"]]
    assert "http://testserver/topics/fresh/" in client.get("/sitemap.xml").content.decode()
    references = client.get("/api/references/").json()["results"]
    assert {"url": "https://peps.python.org/pep-0008/", "topics": ["fresh"]}.items() <= next(
        item for item in references if item["url"].endswith("pep-0008/")
    ).items()
    # A new body, a new tag and a new title of the parent: each shown at once.
    publish_body(topic, "New words.", make_editor())
    assert client.get("/api/topics/fresh/").json()["body_markdown"] == "New words."
    topic.tags.set(["brand-new"])
    listed = client.get("/api/topics/").json()["results"]
    assert next(item for item in listed if item["slug"] == "fresh")["tags"] == ["brand-new"]
    topics.slug = "abi-renamed"
    topics.save()
    assert client.get("/api/topics/child/").json()["parent"] == "abi-renamed"


def test_a_citation_of_a_draft_does_not_reach_the_reference_list(client, topics):
    draft = Topic.objects.get(slug="hidden")
    cite(draft, make_reference(url="https://example.org/secret", title="Secret"))
    data = client.get("/api/references/").json()
    assert [item["url"] for item in data["results"]] == ["https://peps.python.org/pep-3149/"]
