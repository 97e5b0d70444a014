"""The whole-page cache for anonymous readers: fast, and never stale or personal."""

import math
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.timezone import now

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


@pytest.fixture(autouse=True)
def still_clock(one_minute, monkeypatch):
    """The minute stands still (conftest.one_minute), and each process reads the content
    version once, not again a second later: a test that says a second has passed sets
    VERSION_CHECK_SECONDS to 0. Under load, a test's requests can span a second."""
    from topics.page_cache import forget_version

    monkeypatch.setattr("topics.page_cache.VERSION_CHECK_SECONDS", math.inf)
    forget_version()  # nothing read in an earlier test is kept


def test_a_repeated_anonymous_request_costs_one_query(client, monkeypatch):
    monkeypatch.setattr("topics.page_cache.VERSION_CHECK_SECONDS", 0)  # check on every hit
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


def test_query_parameters_the_page_does_not_read_share_one_cached_copy(client, monkeypatch):
    monkeypatch.setattr("topics.page_cache.VERSION_CHECK_SECONDS", 0)  # check on every hit
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


# --- The process layer (kb.wsgi): hits answered before Django's request handling ---------


class Reader:
    """A WSGI client of `ReaderCache` around Django, as gunicorn calls kb.wsgi.application."""

    def __init__(self, max_bytes: int | None = None):
        from django.core.handlers.wsgi import WSGIHandler

        from topics.page_cache import LOCAL_MAX_BYTES, ReaderCache

        self.django_calls = 0
        django = WSGIHandler()

        def counted(environ, start_response):
            self.django_calls += 1
            return django(environ, start_response)

        self.app = ReaderCache(counted, max_bytes=max_bytes or LOCAL_MAX_BYTES)

    def get(self, path: str, method: str = "GET", **headers: str):
        """(status, headers, body, queries) of one request; headers as `Accept_Encoding="gzip"`."""
        from django.core import signals
        from django.db import close_old_connections
        from django.test import RequestFactory

        environ = RequestFactory().generic(method, path).environ
        environ["HTTP_HOST"] = "testserver"
        environ.update({f"HTTP_{name.upper()}": value for name, value in headers.items()})
        answer = {}

        def start_response(status, response_headers, exc_info=None):
            answer["status"], answer["headers"] = status, dict(response_headers)

        # As Django's test client does: keep the test's transaction open across requests.
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            with CaptureQueriesContext(connection) as queries:
                result = self.app(environ, start_response)
                body = b"".join(result)
                if hasattr(result, "close"):
                    result.close()
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)
        return int(answer["status"][:3]), answer["headers"], body, len(queries)


def test_a_repeated_request_is_answered_before_django_without_a_query():
    topic = published_topic(body="Readable text.")
    reader = Reader()
    status, _, first, _ = reader.get(topic.get_absolute_url())
    assert status == 200 and b"Readable text." in first
    calls = reader.django_calls
    status, _, again, queries = reader.get(topic.get_absolute_url())
    assert status == 200 and again == first
    assert reader.django_calls == calls and queries == 0


def test_the_version_check_is_the_one_query_a_hit_makes_once_a_second(monkeypatch):
    topic = published_topic()
    reader = Reader()
    reader.get(topic.get_absolute_url())
    monkeypatch.setattr("topics.page_cache.VERSION_CHECK_SECONDS", 0)  # a second has passed
    calls = reader.django_calls
    status, _, _, queries = reader.get(topic.get_absolute_url())
    assert status == 200 and queries == 1 and reader.django_calls == calls


def test_a_request_for_a_fresh_copy_costs_the_check_and_no_more():
    topic = published_topic()
    reader = Reader()
    reader.get(topic.get_absolute_url())
    calls = reader.django_calls
    status, _, _, queries = reader.get(topic.get_absolute_url(), Cache_Control="no-cache")
    assert status == 200 and queries == 1 and reader.django_calls == calls


def test_a_write_in_this_process_shows_at_once_through_the_process_layer():
    topic = published_topic(body="Old wording.")
    reader = Reader()
    reader.get(topic.get_absolute_url())
    workflow.publish_revision(
        revision=workflow.suggest_edit(
            author=None,
            topic=topic,
            base=topic.current_revision,
            text=workflow.Text(topic.title, "", "New wording."),
            message="m",
        ),
        by=make_editor(),
    )
    _, _, page, _ = reader.get(topic.get_absolute_url())
    assert b"New wording." in page and b"Old wording." not in page


def test_another_process_write_shows_once_the_second_is_over(monkeypatch):
    topic = published_topic(body="Old wording.")
    reader = Reader()
    reader.get(topic.get_absolute_url())
    # Another worker's write: the row changes and a change is logged, nothing in this process.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE topics_topic SET body_html = %s WHERE id = %s", ["New wording.", topic.pk]
        )
        cursor.execute("INSERT INTO topics_contentchange (changed_at) VALUES (%s)", [now()])
    _, _, within, _ = reader.get(topic.get_absolute_url())
    assert b"Old wording." in within  # the documented bound: at most a second
    monkeypatch.setattr("topics.page_cache.VERSION_CHECK_SECONDS", 0)
    _, _, after, _ = reader.get(topic.get_absolute_url())
    assert b"New wording." in after and b"Old wording." not in after


def test_a_reader_with_a_session_is_never_answered_by_the_process_layer():
    topic = published_topic()
    reader = Reader()
    reader.get(topic.get_absolute_url())
    client = signed_in(make_stakeholder())
    session = client.cookies["sessionid"].value
    calls = reader.django_calls
    _, headers, page, _ = reader.get(topic.get_absolute_url(), Cookie=f"sessionid={session}")
    assert reader.django_calls == calls + 1
    assert b"Sign out" in page and b'name="csrfmiddlewaretoken"' in page
    assert "private" in headers["Cache-Control"] and "Surrogate-Key" not in headers


def test_a_signed_in_page_is_never_stored_for_anonymous_readers():
    topic = published_topic()
    reader = Reader()
    session = signed_in(make_stakeholder()).cookies["sessionid"].value
    reader.get(topic.get_absolute_url(), Cookie=f"sessionid={session}")
    _, _, page, _ = reader.get(topic.get_absolute_url())
    assert b"Sign out" not in page and b"csrfmiddlewaretoken" not in page


def test_a_page_holding_a_csrf_token_is_stored_in_neither_layer(monkeypatch):
    from django.http import HttpResponse
    from django.middleware.csrf import get_token

    from topics.page_cache import cached_for_readers

    @cached_for_readers
    def with_form(request):
        token = get_token(request)
        return HttpResponse(f'<input name="csrfmiddlewaretoken" value="{token}">')

    from django.urls import clear_url_caches, path

    import kb.urls

    monkeypatch.setattr(kb.urls, "urlpatterns", [path("form/", with_form), *kb.urls.urlpatterns])
    clear_url_caches()
    try:
        reader = Reader()
        for _ in range(2):
            calls = reader.django_calls
            status, headers, _, _ = reader.get("/form/")
            assert status == 200 and "Set-Cookie" in headers
            assert reader.django_calls == calls + 1
    finally:
        clear_url_caches()


def test_scheme_host_and_parameters_keep_their_own_copies_in_the_process_layer(settings):
    settings.ALLOWED_HOSTS = ["testserver", "other.example"]
    topic = published_topic()
    reader = Reader()
    url = topic.get_absolute_url()
    _, _, plain, _ = reader.get(url)
    _, _, unproxied, _ = reader.get(url, X_Forwarded_Proto="https")  # not believed
    assert unproxied == plain
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    _, _, secure, _ = reader.get(url, X_Forwarded_Proto="https")
    _, _, other, _ = reader.get(url, Host="other.example")
    assert f'href="https://testserver{url}"'.encode() in secure
    assert f'href="http://testserver{url}"'.encode() in plain
    assert f'href="http://other.example{url}"'.encode() in other
    calls = reader.django_calls
    _, _, again, queries = reader.get(f"{url}?utm=anything", X_Forwarded_Proto="https")
    assert again == secure and reader.django_calls == calls and queries == 0


def test_a_hit_carries_the_headers_djangos_middleware_gave_the_page():
    topic = published_topic()
    reader = Reader()
    _, first, _, _ = reader.get(topic.get_absolute_url())
    calls = reader.django_calls
    _, again, _, _ = reader.get(topic.get_absolute_url())
    assert reader.django_calls == calls
    for name in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"):
        assert again[name] == first[name]


def test_the_process_layer_holds_at_most_its_bound():
    topics = [published_topic() for _ in range(4)]
    reader = Reader(max_bytes=20_000)
    for topic in topics:
        reader.get(topic.get_absolute_url())
    assert 0 < reader.app.size <= 20_000 and len(reader.app.pages) < len(topics)


# --- Compressed once, revalidatable, cacheable by shared caches ---------------------------


def test_pages_are_sent_gzip_compressed_to_readers_that_accept_it():
    import gzip

    topic = published_topic(body="Readable text. " * 200)
    reader = Reader()
    _, plain_headers, plain, _ = reader.get(topic.get_absolute_url())
    for _ in range(2):  # stored, then a hit
        _, headers, body, _ = reader.get(topic.get_absolute_url(), Accept_Encoding="gzip, br")
        assert headers["Content-Encoding"] == "gzip" and gzip.decompress(body) == plain
        assert int(headers["Content-Length"]) == len(body) < len(plain) / 3
    assert "Content-Encoding" not in plain_headers
    _, refused, _, _ = reader.get(topic.get_absolute_url(), Accept_Encoding="gzip;q=0")
    assert "Content-Encoding" not in refused


def test_a_page_is_compressed_once_when_stored_not_on_every_hit(client, monkeypatch):
    import gzip

    compressions = []
    real = gzip.compress
    monkeypatch.setattr(gzip, "compress", lambda *a, **k: compressions.append(1) or real(*a, **k))
    topic = published_topic()
    reader = Reader()
    for _ in range(3):
        reader.get(topic.get_absolute_url(), Accept_Encoding="gzip")
        client.get(topic.get_absolute_url(), HTTP_ACCEPT_ENCODING="gzip")
    assert len(compressions) == 1


def test_a_strong_etag_answers_a_conditional_get_with_304(client):
    topic = published_topic()
    reader = Reader()
    url = topic.get_absolute_url()
    _, headers, _, _ = reader.get(url)
    etag = headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    status, again, body, queries = reader.get(url, If_None_Match=etag)
    assert (status, body, queries) == (304, b"", 0) and again["ETag"] == etag
    _, zipped, _, _ = reader.get(url, Accept_Encoding="gzip")
    assert zipped["ETag"] != etag  # each representation its own strong tag
    assert reader.get(url, Accept_Encoding="gzip", If_None_Match=zipped["ETag"])[0] == 304
    assert reader.get(url, If_None_Match='"something-else"')[0] == 200
    # Django answers the same way (the first request of each worker, tests, runserver).
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_a_changed_page_is_sent_again_to_a_revalidating_reader():
    topic = published_topic(body="Old wording.")
    reader = Reader()
    _, headers, _, _ = reader.get(topic.get_absolute_url())
    topic.summary = "A new summary."
    topic.save()
    status, _, body, _ = reader.get(topic.get_absolute_url(), If_None_Match=headers["ETag"])
    assert status == 200 and b"A new summary." in body


def test_reader_pages_may_be_kept_by_shared_caches_and_say_what_they_vary_on():
    topic = published_topic()
    reader = Reader()
    for _ in range(2):
        _, headers, _, _ = reader.get(topic.get_absolute_url())
        control = headers["Cache-Control"]
        assert "public" in control and "max-age=0" in control
        assert 0 < int(control.split("s-maxage=")[1]) <= 60
        assert {"Accept-Encoding", "Cookie"} <= {v.strip() for v in headers["Vary"].split(",")}
        assert {"page", "topic_detail", "nav", f"topic-{topic.pk}"} <= set(
            headers["Surrogate-Key"].split()
        )


def test_signed_in_pages_are_private(client):
    topic = published_topic()
    response = signed_in(make_stakeholder()).get(topic.get_absolute_url())
    assert "private" in response["Cache-Control"] and "s-maxage" not in response["Cache-Control"]
    assert "Cookie" in response["Vary"]


# --- /references/ at scale: paginated, and precomputed until a write touches it ------------


@pytest.fixture
def shared_cache(monkeypatch):
    """The cache every worker shares in production (Redis), as far as the page cache knows."""
    monkeypatch.setattr("topics.page_cache.cache_is_shared", lambda: True)


def test_the_reference_list_is_paginated_with_every_reference_on_some_page(client, monkeypatch):
    from tests.factories import cite, make_reference

    monkeypatch.setattr("topics.views.reading.REFERENCES_PER_PAGE", 3)
    topic = published_topic()
    for number in range(7):
        cite(topic, make_reference(url=f"https://example.org/{number}", title=f"Source {number}"))
    pages = [client.get(f"/references/?page={n}").content.decode() for n in (1, 2, 3)]
    for number in range(7):
        assert sum(f"Source {number}<" in page for page in pages) == 1
    assert all("7 sources cited" in page for page in pages)
    assert client.get("/references/?page=99").content.decode() == pages[2]


def test_a_write_elsewhere_keeps_the_reference_list_precomputed(client, shared_cache):
    from tests.factories import cite, make_reference
    from topics.models import Revision
    from topics.page_cache import bump_version

    topic = published_topic()
    cite(topic, make_reference(url="https://example.org/a", title="Source A"))
    other = published_topic()
    client.get("/references/")
    bump_version(about=[Revision(topic=other)])  # another topic's new revision
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/references/").content.decode()
    assert "Source A" in page  # rendered again (the page cache missed), from the stored list
    assert not any("topics_reference" in query["sql"] for query in queries.captured_queries)


def test_a_new_citation_shows_on_the_reference_list_at_once(client, shared_cache):
    from tests.factories import cite, make_reference

    topic = published_topic()
    cite(topic, make_reference(url="https://example.org/a", title="Source A"))
    assert "Source B" not in client.get("/references/").content.decode()
    cite(topic, make_reference(url="https://example.org/b", title="Source B"))
    assert "Source B" in client.get("/references/").content.decode()


# The navigation is kept per process (topics/navigation.py) outside transactions: these
# tests commit, as requests do.


@pytest.fixture
def nav_builds(monkeypatch):
    """How many times this process built the navigation from the database."""
    from topics import navigation

    builds = []
    build = navigation.build_published_nav
    monkeypatch.setattr(navigation, "build_published_nav", lambda: builds.append(1) or build())
    return builds


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_body_only_publish_elsewhere_keeps_the_navigation_built(client, shared_cache, nav_builds):
    from topics.models import Revision
    from topics.page_cache import bump_version

    topic = published_topic(title="Kept in the tree")
    other = published_topic()
    client.get(topic.get_absolute_url())
    bump_version(about=[Revision(topic=other)])  # another topic's new text: a page cache miss
    built = len(nav_builds)
    page = client.get(topic.get_absolute_url()).content.decode()
    assert "Kept in the tree" in page and len(nav_builds) == built


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_new_title_shows_in_every_pages_navigation_at_once(client, shared_cache, nav_builds):
    from topics.services.content import save_topic

    topic = published_topic(title="Old title")
    other = published_topic(title="Neighbour")
    assert "Old title" in client.get(other.get_absolute_url()).content.decode()
    topic.title = "New title"
    save_topic(topic=topic)
    page = client.get(other.get_absolute_url()).content.decode()
    assert "New title" in page and "Old title" not in page


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_kept_navigation_marks_each_page_its_own_link(client, shared_cache, nav_builds):
    from tests.factories import nav_links_marked_current

    first, second = published_topic(title="First"), published_topic(title="Second")
    for topic in (first, second, first):
        page = client.get(topic.get_absolute_url()).content.decode()
        link = f'<a href="{topic.get_absolute_url()}" aria-current="page">'
        assert nav_links_marked_current(page) == [link, link]
    assert len(nav_builds) == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_navigation_is_built_again_when_the_minute_turns(
    client, shared_cache, nav_builds, monkeypatch
):
    topic = published_topic()
    client.get(topic.get_absolute_url())
    client.get("/")
    built = len(nav_builds)
    monkeypatch.setattr("topics.page_cache.current_minute", lambda: 10**9)
    client.get("/?again")
    assert len(nav_builds) == built + 1
