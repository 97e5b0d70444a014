"""The whole-page cache for anonymous readers: fast, and never stale or personal."""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    make_editor,
    make_stakeholder,
    make_topic,
    published_topic,
    queries_for,
    signed_in,
)
from topics.page_cache import current_version
from topics.services import workflow

pytestmark = pytest.mark.django_db


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
        author=None,
        topic=topic,
        base=topic.current_revision,
        text=workflow.Text(topic.title, "", "New wording."),
        message="m",
    )
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


def test_query_parameters_the_page_does_not_read_share_one_cached_copy(client):
    topic = published_topic()
    queries_for(client, f"{topic.get_absolute_url()}?utm=first")
    for value in ("second", "third", "x" * 500):
        count, _ = queries_for(client, f"{topic.get_absolute_url()}?utm={value}&ref={value}")
        assert count == 1


def test_random_query_strings_do_not_add_cache_entries(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "page-cache-count",
        }
    }
    from django.core.cache import cache

    topic = published_topic()
    queries_for(client, topic.get_absolute_url())
    before = len(cache._cache)
    for number in range(20):
        queries_for(client, f"{topic.get_absolute_url()}?utm={number}")
    assert len(cache._cache) == before


def test_a_page_asked_for_over_https_is_not_served_to_a_plain_http_reader(client):
    topic = published_topic()
    secure = client.get(topic.get_absolute_url(), secure=True).content.decode()
    assert f'href="https://testserver{topic.get_absolute_url()}"' in secure
    with CaptureQueriesContext(connection) as queries:
        plain = client.get(topic.get_absolute_url()).content.decode()
    assert len(queries) > 1
    assert f'href="http://testserver{topic.get_absolute_url()}"' in plain


def test_a_parameter_the_page_reads_keeps_its_own_copy(rf):
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse

    from topics.page_cache import cached_for_readers

    calls = []

    @cached_for_readers(params=("page",))
    def numbered(request):
        calls.append(request.GET.get("page"))
        return HttpResponse(f"page {request.GET.get('page')}")

    def get(query):
        request = rf.get(f"/numbered/{query}")
        request.user = AnonymousUser()
        return numbered(request).content.decode()

    assert get("?page=2&utm=a") == "page 2"
    assert get("?utm=b&page=2") == "page 2"
    assert get("?page=3") == "page 3"
    assert calls == ["2", "3"]


def test_a_very_large_page_is_not_stored(rf, settings):
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse

    from topics.page_cache import MAX_PAGE_BYTES, cached_for_readers

    calls = []

    @cached_for_readers
    def huge(request):
        calls.append(1)
        return HttpResponse("x" * (MAX_PAGE_BYTES + 1))

    for _ in range(2):
        request = rf.get("/huge/")
        request.user = AnonymousUser()
        assert len(huge(request).content) == MAX_PAGE_BYTES + 1
    assert len(calls) == 2


def test_every_stored_page_expires(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "page-cache-expiry",
        }
    }
    from django.core.cache import cache

    from topics.page_cache import PAGE_TTL_SECONDS

    topic = published_topic()
    started = time.time()
    queries_for(client, topic.get_absolute_url())
    expiries = [cache._expire_info[key] for key in cache._cache if ":page:" in key]
    assert len(expiries) == 1
    assert all(started < expiry <= time.time() + PAGE_TTL_SECONDS for expiry in expiries)


def test_on_redis_every_stored_page_has_a_time_to_live(client, settings):
    if "redis" not in settings.CACHES["default"]["BACKEND"].lower():
        pytest.skip("the cache is not Redis (set REDIS_URL)")
    from django.core.cache import cache

    topic = published_topic()
    queries_for(client, topic.get_absolute_url())
    redis = cache._cache.get_client(write=False)
    keys = [key for key in redis.scan_iter(match=cache.make_key("page:*"))]
    assert keys and all(0 < redis.ttl(key) <= 600 for key in keys)


def test_a_new_display_name_shows_on_cached_pages_at_once(client):
    from topics.models import Profile

    author = make_stakeholder("ada")
    topic = published_topic()
    workflow.publish_revision(
        revision=workflow.suggest_edit(
            author=author,
            topic=topic,
            base=topic.current_revision,
            text=workflow.Text(topic.title, "", "New text."),
            message="Edit",
        ),
        by=make_editor(),
    )
    assert "Ada" in client.get("/changes/").content.decode()
    profile = Profile.objects.get(user=author)
    profile.display_name = "Ada Lovelace"
    profile.save()
    assert "Ada Lovelace" in client.get("/changes/").content.decode()
