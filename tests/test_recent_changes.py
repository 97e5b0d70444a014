"""Recent changes: every published change, newest first, with its diff; feeds link there."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.factories import make_editor, make_stakeholder, make_topic, signed_in
from topics.models import Revision, Topic
from topics.services import workflow

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def unhurried_sizes(monkeypatch):
    """A page load measures changes for SIZE_BUDGET seconds at most; tests that count the
    sizes shown must not lose some to a stall of the machine (the suite runs beside
    Chromium). The budget's own test sets it back."""
    monkeypatch.setattr("topics.views.changes.SIZE_BUDGET", 60)


ATOM = "{http://www.w3.org/2005/Atom}"


def change(topic: Topic, body: str, *, minutes_ago: int = 0, **overrides) -> Revision:
    """A stored revision of `topic` (published unless told), `minutes_ago` minutes old."""
    values = {
        "title": topic.title,
        "body": body,
        "message": "An edit",
        "author_name": "Someone",
        "created_at": timezone.now() - timedelta(minutes=minutes_ago),
    }
    values.update(overrides)
    revision = Revision.objects.create(topic=topic, **values)
    if revision.status == Revision.Status.PUBLISHED:
        Topic.objects.filter(pk=topic.pk).update(current_revision=revision, body=body)
    return revision


def many_changes(count: int) -> None:
    topic = make_topic(title="Busy topic", slug="busy")
    start = timezone.now() - timedelta(days=1)
    Revision.objects.bulk_create(
        Revision(
            topic=topic,
            title=topic.title,
            body=f"Version {n} of the text.",
            message=f"Edit {n}",
            author_name="Importer",
            created_at=start + timedelta(minutes=n),
        )
        for n in range(count)
    )


def rows(page: str) -> list[str]:
    """The changes listed on a page, as HTML, in order."""
    return re.findall(r'<tr class="change".*?</tr>', page, flags=re.S)


def feed_links(client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    entries = ET.fromstring(response.content).iter(f"{ATOM}entry")
    return [entry.find(f"{ATOM}link").get("href") for entry in entries]


# --- The page --------------------------------------------------------------------


def test_recent_changes_list_published_changes_of_every_topic_newest_first(client):
    abi, simd = make_topic(title="ABI", slug="abi"), make_topic(title="SIMD", slug="simd")
    change(abi, "First text.", minutes_ago=30, message="Start the ABI page")
    change(simd, "SIMD text.", minutes_ago=20, message="Start the SIMD page")
    change(abi, "Second text.", minutes_ago=10, message="Explain the ABI")
    response = client.get("/changes/")
    assert response.status_code == 200
    listed = rows(response.content.decode())
    assert [
        message in row
        for row, message in zip(
            listed,
            [
                "Explain the ABI",
                "Start the SIMD page",
                "Start the ABI page",
            ],
            strict=True,
        )
    ] == [True, True, True]
    assert 'href="/topics/simd/"' in listed[1]


def test_drafts_pending_suggestions_and_unpublished_topics_never_appear(client):
    ada = make_stakeholder()
    topic = make_topic(title="ABI", slug="abi")
    published = change(topic, "Published text.", minutes_ago=30, message="Published change")
    workflow.suggest_edit(
        author=ada,
        topic=topic,
        base=published,
        text=workflow.Text("ABI", "", "Pending text."),
        message="Pending suggestion",
    )
    draft = make_topic(title="Secret plan", slug="secret", status=Topic.Status.DRAFT)
    change(draft, "Draft text.", message="Draft topic change")
    archived = make_topic(title="Old page", slug="old", status=Topic.Status.ARCHIVED)
    change(archived, "Archived text.", message="Archived topic change")
    change(topic, "Rejected text.", status=Revision.Status.REJECTED, message="Rejected change")
    for who in [client, signed_in(ada), signed_in(make_editor())]:
        page = who.get("/changes/").content.decode()
        assert "Published change" in page
        for hidden in [
            "Pending suggestion",
            "Secret plan",
            "Draft topic change",
            "Archived topic change",
            "Rejected change",
        ]:
            assert hidden not in page


def test_each_change_shows_its_author_with_the_role_of_staff_and_its_date(client):
    topic = make_topic(title="ABI", slug="abi")
    change(topic, "Imported text.", minutes_ago=60, author_name="Ralf Gommers")
    edited = change(topic, "Edited text.", author=make_editor("eddie"), author_name="")
    listed = rows(client.get("/changes/").content.decode())
    assert "Eddie" in listed[0] and "role-badge" in listed[0] and "editor" in listed[0]
    assert "Ralf Gommers" in listed[1] and "role-badge" not in listed[1]
    assert f'datetime="{timezone.localtime(edited.created_at):%Y-%m-%d}' in listed[0]


def test_names_with_markup_are_shown_as_text_on_every_row(client):
    topic = make_topic(title="ABI", slug="abi")
    editor = make_editor("eddie")
    editor.profile.display_name = '<script>alert("e")</script>'
    editor.profile.save()
    change(topic, "Imported text.", minutes_ago=60, author_name="<img src=x onerror=alert(1)>")
    change(topic, "Edited text.", author=editor, author_name="")
    page = client.get("/changes/").content.decode()
    assert "<script>" not in page and "<img src=x" not in page
    listed = rows(page)
    assert "&lt;script&gt;alert(&quot;e&quot;)&lt;/script&gt; <span" in listed[0]
    assert "&lt;img src=x onerror=alert(1)&gt;" in listed[1]


def test_titles_and_messages_with_markup_are_shown_as_text(client):
    """Rows are written in Python (kb.change_row): every value in them is escaped."""
    topic = make_topic(title='<b onmouseover="x()">ABI</b>', slug="abi")
    change(topic, "Text.", message='<a href="javascript:x()">see</a>')
    [row] = rows(client.get("/changes/").content.decode())
    assert "<b " not in row and 'href="javascript' not in row
    assert "&lt;b onmouseover=&quot;x()&quot;&gt;ABI&lt;/b&gt;" in row
    assert "&lt;a href=&quot;javascript:x()&quot;&gt;see&lt;/a&gt;" in row


def test_each_change_links_to_its_diff_against_the_change_published_before_it(client):
    topic = make_topic(title="ABI", slug="abi")
    first = change(topic, "One two three.", minutes_ago=30)
    change(topic, "Never published.", minutes_ago=20, status=Revision.Status.REJECTED)
    second = change(topic, "One two three four five.", minutes_ago=10, message="Add words")
    listed = rows(client.get("/changes/").content.decode())
    assert f'href="/topics/abi/compare/?a={first.pk}&amp;b={second.pk}"' in listed[0]
    diff = client.get(f"/topics/abi/compare/?a={first.pk}&b={second.pk}").content.decode()
    assert "<ins> four five</ins>" in diff


def test_a_topics_first_change_links_to_that_version(client):
    topic = make_topic(title="ABI", slug="abi")
    first = change(topic, "The very first text.")
    [row] = rows(client.get("/changes/").content.decode())
    assert f'href="/topics/abi/revisions/{first.pk}/"' in row
    assert "compare" not in row


def test_each_change_shows_how_many_words_it_added_and_removed(client):
    topic = make_topic(title="ABI", slug="abi")
    change(topic, "One two three.", minutes_ago=10)
    change(topic, "One two four five six.")
    listed = rows(client.get("/changes/").content.decode())
    assert "+3 −1" in listed[0] and 'title="3 words added, 1 removed"' in listed[0]
    assert "+4 −0" in listed[1]  # the first text: three words and a full stop


def test_one_page_load_measures_at_most_ten_changes_not_yet_measured(client):
    many_changes(60)
    page = client.get("/changes/").content.decode()
    assert len(rows(page)) == 50 and page.count(" added, ") == 10
    assert client.get("/changes/?page=2").content.decode().count(" added, ") == 10


def test_a_page_load_out_of_time_lists_every_change_and_measures_no_more(client, monkeypatch):
    monkeypatch.setattr("topics.views.changes.SIZE_BUDGET", -1)  # already over at the first
    many_changes(12)
    page = client.get("/changes/").content.decode()
    assert len(rows(page)) == 12 and page.count(" added, ") == 0
    monkeypatch.setattr("topics.views.changes.SIZE_BUDGET", 60)
    page = signed_in(make_stakeholder()).get("/changes/").content.decode()  # not a stored page
    assert page.count(" added, ") == 10


def test_later_page_loads_measure_the_rest_and_every_reader_sees_the_sizes(client):
    many_changes(12)
    assert client.get("/changes/").content.decode().count(" added, ") == 10
    page = signed_in(make_stakeholder()).get("/changes/").content.decode()
    assert page.count(" added, ") == 12


def test_recent_changes_are_fifty_a_page_with_links_between_pages(client):
    many_changes(60)
    first = client.get("/changes/").content.decode()
    second = client.get("/changes/?page=2").content.decode()
    assert len(rows(first)) == 50 and len(rows(second)) == 10
    assert "Edit 59" in rows(first)[0] and "Edit 0" in rows(second)[-1]
    assert 'href="?page=2"' in first and "Page 1 of 2" in first
    assert 'href="?page=1"' in second


@pytest.mark.parametrize("junk", ["?page=abc", "?page=-1", "?page=999999", "?page=" + "9" * 40])
def test_a_page_number_that_does_not_exist_shows_a_page_of_changes(client, junk):
    many_changes(3)
    response = client.get(f"/changes/{junk}")
    assert response.status_code == 200 and len(rows(response.content.decode())) == 3


@pytest.mark.parametrize("reader", ["anonymous", "stakeholder"])
def test_recent_changes_take_the_same_queries_for_three_changes_or_sixty(
    client, django_assert_num_queries, reader
):
    if reader == "stakeholder":
        client = signed_in(make_stakeholder())
    # One of them reads the site identity, for the header and footer.
    expected = {"anonymous": 5, "stakeholder": 8}[reader]
    many_changes(3)
    with django_assert_num_queries(expected):
        assert client.get("/changes/").status_code == 200
    Topic.objects.all().delete()
    cache.clear()
    many_changes(60)
    with django_assert_num_queries(expected):
        assert client.get("/changes/").status_code == 200


def test_once_measured_the_page_needs_no_query_for_texts(client, django_assert_num_queries):
    client = signed_in(make_stakeholder())
    many_changes(8)
    client.get("/changes/")
    with django_assert_num_queries(7):  # one reads the site identity
        assert client.get("/changes/").status_code == 200


def test_the_site_header_and_a_topics_history_link_to_recent_changes(client):
    topic = make_topic(title="ABI", slug="abi")
    change(topic, "Text.")
    assert 'href="/changes/"' in client.get("/").content.decode()
    assert 'href="/changes/"' in client.get("/topics/abi/history/").content.decode()


# --- Feeds -------------------------------------------------------------------------


def test_every_entry_of_the_site_feed_links_to_a_page_that_shows_its_change(client):
    abi, simd = make_topic(title="ABI", slug="abi"), make_topic(title="SIMD", slug="simd")
    change(abi, "Alpha beta.", minutes_ago=30)
    change(simd, "Gamma delta.", minutes_ago=20)
    change(abi, "Alpha beta epsilon.", minutes_ago=10)
    links = feed_links(client, "/feed/")
    assert len(links) == 3 and all("#rev-" not in link for link in links)
    pages = [client.get(link) for link in links]
    assert [page.status_code for page in pages] == [200, 200, 200]
    assert "<ins> epsilon</ins>" in pages[0].content.decode()
    assert "Gamma delta." in pages[1].content.decode()
    assert "Alpha beta." in pages[2].content.decode()


def test_a_topics_feed_holds_only_that_topics_published_changes(client):
    abi, simd = make_topic(title="ABI", slug="abi"), make_topic(title="SIMD", slug="simd")
    first = change(abi, "Alpha.", minutes_ago=30, message="Start ABI")
    change(simd, "Gamma.", minutes_ago=20, message="Start SIMD")
    second = change(abi, "Alpha beta.", minutes_ago=10, message="Extend ABI")
    change(abi, "Alpha beta gamma.", status=Revision.Status.PENDING, message="Pending ABI")
    response = client.get("/topics/abi/feed/")
    content = response.content.decode()
    assert "Start ABI" in content and "Extend ABI" in content
    assert "Start SIMD" not in content and "Pending ABI" not in content
    assert feed_links(client, "/topics/abi/feed/") == [
        f"http://testserver/topics/abi/compare/?a={first.pk}&b={second.pk}",
        f"http://testserver/topics/abi/revisions/{first.pk}/",
    ]
    diff = client.get(f"/topics/abi/compare/?a={first.pk}&b={second.pk}").content.decode()
    assert "<ins> beta</ins>" in diff


def test_a_topics_feed_summaries_are_text_as_typed(client):
    topic = make_topic(title="ABI", slug="abi")
    change(topic, "Alpha.", message="<img src=x onerror=alert(1)>")
    root = ET.fromstring(client.get("/topics/abi/feed/").content)
    [summary] = [entry.find(f"{ATOM}summary") for entry in root.iter(f"{ATOM}entry")]
    assert summary.get("type") == "text" and summary.text == "<img src=x onerror=alert(1)>"


@pytest.mark.parametrize("status", [Topic.Status.DRAFT, Topic.Status.ARCHIVED])
def test_an_unpublished_topic_has_no_feed_even_for_editors(client, status):
    topic = make_topic(title="Secret", slug="secret", status=status)
    change(topic, "Secret text.")
    assert client.get("/topics/secret/feed/").status_code == 404
    assert signed_in(make_editor()).get("/topics/secret/feed/").status_code == 404
    assert client.get("/topics/no-such-topic/feed/").status_code == 404


def test_a_topic_page_announces_its_feed_to_feed_readers(client):
    topic = make_topic(title="ABI", slug="abi")
    change(topic, "Alpha.")
    page = client.get("/topics/abi/").content.decode()
    assert (
        '<link rel="alternate" type="application/atom+xml" title="Changes to ABI" '
        'href="/topics/abi/feed/">'
    ) in page


@pytest.mark.parametrize("slug", ["plain", "with-dash_and_underscore", "Upper-Case-9"])
def test_rows_link_where_reverse_would(slug):
    from django.urls import reverse

    from topics.views.changes import slug_urls

    for name in ("topic_detail", "topic_history", "topic_compare"):
        assert slug_urls(name)(slug) == reverse(name, kwargs={"slug": slug})


def test_a_time_is_shown_in_the_readers_time_zone_each_time(db):
    """Times are formatted once per process, and per time zone: a second zone is not served
    the first zone's text."""
    from django.template import engines

    page = engines["django"].from_string('{% load kb %}{% time_element when "j M Y H:i" %}')
    when = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    with timezone.override("UTC"):
        assert page.render({"when": when}) == (
            '<time datetime="2026-03-01T23:30:00+00:00">1 Mar 2026 23:30</time>'
        )
    with timezone.override("Europe/Paris"):
        assert page.render({"when": when}) == (
            '<time datetime="2026-03-02T00:30:00+01:00">2 Mar 2026 00:30</time>'
        )
