"""A shared HTTP cache in front (Varnish, deploy/varnish.vcl), purged by tag on every change.

What readers notice: a publish shows at once through both cache layers (Varnish,
then each worker's own copy), and nobody is ever given a signed-in page or a
CSRF token someone else was served. The purge mapping is checked without
Varnish; the rest runs scripts/start.sh with KB_HTTP_CACHE=varnish (skipped
when varnish is not installed, required in CI).
"""

from __future__ import annotations

import gzip
import http.client
import logging
import os
import shutil
import urllib.parse
from pathlib import Path

import pytest

from tests.factories import make_editor, make_section, publish_body, published_topic
from tests.servers import (
    PRODUCTION_ENV,
    fetch,
    free_port,
    migrated_database,
    publish_script,
    run_manage,
    start_server,
)
from topics import http_cache

# --- Which pages a write purges (no Varnish needed) -------------------------------------


@pytest.fixture
def purges(settings, monkeypatch):
    """The tags each purge would send to a shared cache (one list per purge)."""
    settings.KB_HTTP_CACHE_PURGE = ["http://127.0.0.1:9"]
    sent: list[set[str]] = []
    monkeypatch.setattr(http_cache, "purge", lambda address, tags: sent.append(set(tags)) or True)
    return sent


@pytest.mark.django_db
def test_a_body_publish_purges_its_page_and_the_lists_not_other_topics(
    purges, django_capture_on_commit_callbacks
):
    section = make_section()
    topic = published_topic(section=section, body="First text.")
    other = published_topic(section=section)
    editor = make_editor()
    with django_capture_on_commit_callbacks(execute=True):
        publish_body(topic, "Second text.", editor)  # the first purge records the navigation
    purges.clear()
    with django_capture_on_commit_callbacks(execute=True):
        publish_body(topic, "Third text.", editor)
    tags = set().union(*purges)
    assert {f"topic-{topic.pk}", "recent_changes", "reference_list", "tag_detail"} <= tags
    assert {"topic_list", "sitemap_xml"} <= tags  # the API's list (its dates) and the sitemap
    assert f"topic-{other.pk}" not in tags and "nav" not in tags and "page" not in tags


@pytest.mark.django_db
def test_api_pages_carry_the_tags_the_writes_they_show_purge(
    client, purges, django_capture_on_commit_callbacks
):
    from topics.models import Section

    section = make_section()
    parent = published_topic(section=section)
    child = published_topic(section=section, parent=parent)
    keys = set(client.get(f"/api/topics/{child.slug}/")["Surrogate-Key"].split())
    assert {f"topic-{child.pk}", f"topic-{parent.pk}", f"section-{section.pk}"} <= keys
    assert "topic_list" in client.get("/api/topics/")["Surrogate-Key"].split()
    assert "reference_list" in client.get("/api/references/")["Surrogate-Key"].split()
    assert "sitemap_xml" in client.get("/sitemap.xml")["Surrogate-Key"].split()
    with django_capture_on_commit_callbacks(execute=True):
        parent.tags.set(["new-tag"])  # a new tag: every page is purged
    purges.clear()
    with django_capture_on_commit_callbacks(execute=True):
        child.tags.set(["new-tag"])  # shown in the API's list, which no navigation change purges
    assert {"topic_list", f"topic-{child.pk}"} <= set().union(*purges) - {"page"}
    assert "page" not in set().union(*purges)
    purges.clear()
    with django_capture_on_commit_callbacks(execute=True):
        Section.objects.filter(pk=section.pk).get().save()  # its slug is in both lists
    assert {"topic_list", "sitemap_xml", f"section-{section.pk}"} <= set().union(*purges)


@pytest.mark.django_db
def test_a_new_title_purges_every_page_showing_the_navigation(
    purges, django_capture_on_commit_callbacks
):
    topic = published_topic()
    with django_capture_on_commit_callbacks(execute=True):
        topic.summary = "Recorded once."
        topic.save()
    purges.clear()
    with django_capture_on_commit_callbacks(execute=True):
        topic.title = "A new title"
        topic.save()
    assert "nav" in set().union(*purges)


@pytest.mark.django_db
def test_a_write_the_mapping_does_not_know_purges_every_page(
    purges, django_capture_on_commit_callbacks
):
    from topics.models import SiteIdentity

    with django_capture_on_commit_callbacks(execute=True):
        SiteIdentity.objects.create(name="A new name")
    assert purges and all(tags == {"page"} for tags in purges)


@pytest.mark.django_db
def test_without_a_shared_cache_nothing_is_sent(settings, monkeypatch):
    settings.KB_HTTP_CACHE_PURGE = []
    monkeypatch.setattr(http_cache, "purge", lambda *args: pytest.fail("nothing to purge"))
    published_topic()
    http_cache.flush()


def test_a_cache_that_does_not_answer_is_logged_and_the_write_stands(caplog):
    with caplog.at_level(logging.WARNING, logger="topics.http_cache"):
        assert http_cache.purge(f"http://127.0.0.1:{free_port()}", {"page"}) is False
    assert "purging page at" in caplog.text


# --- Through Varnish and gunicorn, as start.sh runs them ------------------------------

TOPIC = "/topics/how-topics-are-curated/"
PASSWORD = "a-long-test-password"


def varnish_installed() -> bool:
    return bool(shutil.which("varnishd")) or Path("/usr/sbin/varnishd").exists()


@pytest.fixture(scope="module")
def cached_site(tmp_path_factory):
    """start.sh with Varnish between nginx and gunicorn, on demo content, with two accounts."""
    if not varnish_installed():
        if os.environ.get("CI"):
            pytest.fail("varnish is required in CI (.ci/run installs it)")
        pytest.skip("varnish is not installed (apt-get install varnish); CI installs it")
    folder = tmp_path_factory.mktemp("varnish")
    varnish_port = free_port()
    env = {
        **PRODUCTION_ENV,
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "DATA_DIR": str(folder),
        "KB_HTTP_CACHE_PURGE": f"http://127.0.0.1:{varnish_port}",
    }
    accounts = (
        "from tests.factories import make_editor, make_stakeholder;"
        "make_editor('editor'); make_stakeholder('reader')"
    )
    migrated_database(folder)
    for command in (["load_demo"], ["shell", "-c", accounts]):
        result = run_manage(*command, env=env)
        assert result.returncode == 0, result.stderr
    server = start_server(folder, KB_HTTP_CACHE="varnish", KB_VARNISH_PORT=str(varnish_port))
    server.env = env
    yield server
    server.stop()


def publish_from_another_process(site, sentence: str) -> None:
    """An editor publishes a new revision of TOPIC, as the admin or a script would."""
    code = publish_script(TOPIC.split("/")[2], sentence, editor="editor")
    result = run_manage("shell", "-c", code, env=site.env)
    assert result.returncode == 0, result.stderr


@pytest.mark.own_servers
def test_a_publish_is_visible_to_an_anonymous_reader_at_once_through_both_layers(cached_site):
    url = f"{cached_site.base}{TOPIC}"
    fetch(url)
    status, headers, _ = fetch(url)
    assert status == 200 and headers["X-Cache"] == "HIT"  # Varnish holds the page
    publish_from_another_process(cached_site, "A sentence published just now.")
    status, headers, page = fetch(url)
    assert status == 200 and b"A sentence published just now." in page
    status, headers, zipped = fetch(url, {"Accept-Encoding": "gzip"})
    assert headers["Content-Encoding"] == "gzip"
    assert b"A sentence published just now." in gzip.decompress(zipped)
    publish_from_another_process(cached_site, "And a second one.")
    for _ in range(3):
        assert b"And a second one." in fetch(url)[2]


def session_of(site, username: str) -> str:
    """Sign in through nginx and Varnish like a browser; return the Cookie header to send."""
    status, headers, page = fetch(f"{site.base}/accounts/login/")
    assert status == 200
    csrf = headers["Set-Cookie"].split(";", 1)[0]
    token = page.decode().split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    connection = http.client.HTTPConnection("127.0.0.1", site.port, timeout=5)
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD}
    )
    connection.request(
        "POST",
        "/accounts/login/",
        body,
        {"Cookie": csrf, "Content-Type": "application/x-www-form-urlencoded"},
    )
    answer = connection.getresponse()
    cookies = [v.split(";", 1)[0] for k, v in answer.getheaders() if k.lower() == "set-cookie"]
    connection.close()
    assert answer.status == 302, answer.status
    session = [cookie for cookie in cookies if cookie.startswith("sessionid=")]
    assert session, cookies
    return "; ".join([*session, *[c for c in cookies if c.startswith("csrftoken=")]])


@pytest.mark.own_servers
def test_signed_in_pages_and_csrf_tokens_are_stored_in_neither_layer(cached_site):
    pages = [TOPIC, "/", "/references/", "/tags/", "/changes/"]
    for path in pages:  # every reader page is in both caches before anyone signs in
        fetch(f"{cached_site.base}{path}")
    cookie = session_of(cached_site, "reader")
    for path in pages:
        status, headers, page = fetch(f"{cached_site.base}{path}", {"Cookie": cookie})
        assert status == 200 and b"Sign out" in page, path
        assert headers["X-Cache"] == "MISS" and "private" in headers["Cache-Control"]
    # Forms hold a CSRF token: each anonymous reader gets one of their own, never a stored one.
    tokens = set()
    for _ in range(3):
        status, headers, page = fetch(f"{cached_site.base}/accounts/login/")
        assert headers["X-Cache"] == "MISS" and "Set-Cookie" in headers
        tokens.add(page.split(b'name="csrfmiddlewaretoken" value="', 1)[1][:64])
    assert len(tokens) == 3
    for path in pages:
        for extra in ({}, {"Accept-Encoding": "gzip"}, {"Cookie": "csrftoken=anything"}):
            status, headers, page = fetch(f"{cached_site.base}{path}", extra)
            if headers.get("Content-Encoding") == "gzip":
                page = gzip.decompress(page)
            assert status == 200 and b"Sign out" not in page, path
            assert b"csrfmiddlewaretoken" not in page and "Set-Cookie" not in headers


@pytest.mark.own_servers
def test_readers_cannot_purge_the_cache_through_the_front(cached_site):
    connection = http.client.HTTPConnection("127.0.0.1", cached_site.port, timeout=5)
    connection.request("BAN", "/", headers={"X-KB-Purge": "page"})
    status = connection.getresponse().status
    connection.close()
    assert status == 405
    fetch(f"{cached_site.base}/tags/")
    assert fetch(f"{cached_site.base}/tags/")[1]["X-Cache"] == "HIT"


@pytest.mark.django_db
def test_references_created_in_bulk_purge_the_reference_list(
    purges, django_capture_on_commit_callbacks
):
    from topics.models import Reference

    with django_capture_on_commit_callbacks(execute=True):
        Reference.objects.bulk_create(
            [Reference(url="https://example.org/new", title="New")], ignore_conflicts=True
        )
    tags = set().union(*purges)
    assert "reference_list" in tags and all(tag.islower() for tag in tags)


@pytest.mark.django_db
def test_a_tag_the_cache_would_refuse_becomes_a_purge_of_every_page(purges):
    http_cache._pending.tags = {"topic-None"}
    http_cache.flush()
    assert purges == [{"page"}]
