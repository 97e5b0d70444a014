"""The read-only JSON API."""

import pytest

from tests.factories import make_section, make_topic
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
