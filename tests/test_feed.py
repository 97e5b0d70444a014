"""The Atom feed: revision messages reach feed readers as text, never as markup."""

import xml.etree.ElementTree as ET

import pytest

from tests.factories import make_revision, published_topic

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def feed_entries(client) -> list[ET.Element]:
    response = client.get("/feed/")
    assert response.status_code == 200
    return list(ET.fromstring(response.content).iter(f"{ATOM}entry"))


def test_a_message_with_markup_is_a_text_summary_that_readers_show_as_typed(client):
    topic = published_topic(title="ABI")
    make_revision(topic=topic, message="<img src=x onerror=alert(1)>")
    [summary] = [
        entry.find(f"{ATOM}summary")
        for entry in feed_entries(client)
        if "onerror" in entry.find(f"{ATOM}title").text
    ]
    assert summary.get("type") == "text"
    assert summary.text == "<img src=x onerror=alert(1)>"


def test_every_summary_in_the_feed_is_text(client):
    topic = published_topic(title="ABI")
    make_revision(topic=topic, message="")
    summaries = [entry.find(f"{ATOM}summary") for entry in feed_entries(client)]
    assert summaries and all(summary.get("type") == "text" for summary in summaries)
    assert "ABI was updated." in [summary.text for summary in summaries]


def test_control_characters_in_a_message_do_not_break_the_feed(client):
    topic = published_topic(title="ABI")
    make_revision(topic=topic, message="Tidy\x0bup\x1b[31m the \x08text")
    titles = [entry.find(f"{ATOM}title").text for entry in feed_entries(client)]
    assert "ABI: Tidyup[31m the text" in titles
