"""The whole-page cache for anonymous readers: fast, and never stale or personal."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import make_editor, make_stakeholder, make_topic, published_topic, signed_in
from topics.page_cache import current_version
from topics.services import workflow

pytestmark = pytest.mark.django_db


def queries_for(client: Client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_a_repeated_anonymous_request_costs_one_query(client):
    topic = published_topic()
    first, page = queries_for(client, topic.get_absolute_url())
    second, again = queries_for(client, topic.get_absolute_url())
    assert first > 1 and second == 1
    assert again == page


def test_a_published_change_is_shown_at_once(client):
    topic = published_topic(body="Old wording.")
    assert "Old wording." in client.get(topic.get_absolute_url()).content.decode()
    edit = workflow.suggest_edit(
        author=None, topic=topic, base=topic.current_revision,
        text=workflow.Text(topic.title, "", "New wording."), message="m",
    )  # fmt: skip
    workflow.publish_revision(revision=edit, by=make_editor())
    page = client.get(topic.get_absolute_url()).content.decode()
    assert "New wording." in page and "Old wording." not in page


def test_signed_in_users_never_get_the_anonymous_copy(client):
    topic = published_topic()
    client.get(topic.get_absolute_url())  # cached for anonymous readers
    page = signed_in(make_stakeholder()).get(topic.get_absolute_url()).content.decode()
    assert "Sign out" in page and 'name="csrfmiddlewaretoken"' in page


def test_a_page_with_pending_messages_is_neither_served_from_nor_stored_in_the_cache(client):
    topic = make_topic()
    client.cookies["messages"] = "anything"
    queries_for(client, topic.get_absolute_url())
    count, _ = queries_for(client, topic.get_absolute_url())
    assert count > 1


def test_every_write_moves_the_version_on():
    before = current_version()
    make_topic()
    assert current_version() > before
