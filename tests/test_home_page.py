"""One home page: the introduction's list of a section's topics follows the live order."""

from __future__ import annotations

import re

import pytest

from tests.conftest import CORPUS
from tests.factories import add_ballots, make_round, make_section, make_topic, wipe_content
from topics.importers.mkdocs import MkDocsImporter
from topics.intro_lists import LiveSection, LiveTopic, follow_live_order
from topics.models import Section, Topic

pytestmark = pytest.mark.django_db

KEY_ISSUES_AS_WRITTEN = [
    "native-dependencies",
    "abi",
    "gpus",
    "pypi-metadata-handling",
    "simd-support",
    "unexpected-fromsource-builds",
    "cross-compilation",
]


def intro(page: str) -> str:
    return re.search(r'<article class="topic-body intro">.*?</article>', page, re.S).group(0)


def linked_slugs(fragment: str) -> list[str]:
    return re.findall(r'href="/topics/([^/"]+)/"', fragment)


def key_issues_list(page: str) -> str:
    """The introduction's list under its "Key issues" heading."""
    after = intro(page).split('id="key-issues"', 1)[1]
    return re.search(r"<ol.*?</ol>", after, re.S).group(0)


@pytest.fixture
def pypackaging_native():
    if not CORPUS.is_dir():
        pytest.fail(f"corpus not found at {CORPUS}")
    MkDocsImporter(CORPUS).run()
    yield Section.objects.get(slug="key-issues")
    wipe_content()


# --- The real introduction ---------------------------------------------------------------


def test_without_a_vote_the_introduction_lists_key_issues_as_written(client, pypackaging_native):
    page = client.get("/").content.decode()
    listed = [s for s in linked_slugs(key_issues_list(page)) if s in KEY_ISSUES_AS_WRITTEN]
    assert listed == KEY_ISSUES_AS_WRITTEN
    assert "by some distance, the most important issue" in key_issues_list(page)
    assert "In the order stakeholders ranked them" not in page


def test_after_a_vote_the_introduction_lists_key_issues_in_the_voted_order(
    client, pypackaging_native
):
    topics = {t.slug: t for t in Topic.objects.filter(section=pypackaging_native, parent=None)}
    voted = [
        "simd-support",
        "abi",
        "cross-compilation",
        "gpus",
        "native-dependencies",
        "pypi-metadata-handling",
        "unexpected-fromsource-builds",
    ]
    round_ = make_round(slugs=voted, state="closed", slug="priorities")
    add_ballots(round_, [[[topics[slug].pk] for slug in voted]] * 3)
    page = client.get("/").content.decode()
    listed = key_issues_list(page)
    assert [s for s in linked_slugs(listed) if s in KEY_ISSUES_AS_WRITTEN] == voted
    # Each item keeps its own words and sub-pages, numbered as the navigation numbers it.
    assert '<li value="1"><a href="/topics/simd-support/"' in listed
    assert re.search(r'<li value="5">\s*<p><a href="/topics/native-dependencies/"', listed)
    assert "by some distance, the most important issue" in listed
    assert 'href="/topics/blas-openmp/"' in listed
    assert 'In the order stakeholders ranked them: <a href="/rounds/priorities/results/">' in page
    # The list below the introduction does not repeat them in another order.
    assert page.count('href="/topics/simd-support/"') == 1
    assert 'href="/sections/key-issues/">Key issues</a></h3>' not in page


def test_sections_the_introduction_does_not_list_stay_under_more_on_this_site(
    client, pypackaging_native
):
    page = client.get("/").content.decode()
    below = page.split('<h2 id="overview-title">', 1)[1]
    assert below.startswith("More on this site</h2>")
    assert 'href="/sections/background/">Background</a></h3>' in below
    assert 'href="/topics/glossary/"' in below
    assert 'href="/sections/meta-topics/">Meta topics</a></h3>' not in below
    assert 'href="/sections/key-issues/">Key issues</a></h3>' not in below


def test_a_topic_no_longer_published_leaves_the_list_and_a_new_one_joins_it(
    client, pypackaging_native
):
    Topic.objects.filter(slug="gpus").update(status=Topic.Status.ARCHIVED)
    make_topic(slug="wasm", title="WebAssembly", section=pypackaging_native, order=99)
    listed = linked_slugs(key_issues_list(client.get("/").content.decode()))
    assert "gpus" not in listed
    assert listed[-1] == "wasm"


# --- Sites written here ----------------------------------------------------------------


def test_an_introduction_without_such_a_list_keeps_the_contents_list(client):
    key = make_section(title="Key issues", slug="key-issues", numbered=True)
    make_topic(title="Welcome", slug="welcome", is_home=True, body="Read [ABI](/topics/abi/).")
    make_topic(title="ABI", slug="abi", section=key, order=1)
    make_topic(title="GPUs", slug="gpus", section=key, order=2)
    page = client.get("/").content.decode()
    assert '<h2 id="overview-title">Contents</h2>' in page
    assert '<span class="number">1.</span> ABI' in page


def test_without_an_introduction_the_site_description_greets_readers(client):
    from topics.models import SiteIdentity

    SiteIdentity(name="Notes", description="Packaging native code, curated.").save()
    page = client.get("/").content.decode()
    assert "<h1>Notes</h1>" in page
    assert '<p class="site-description">Packaging native code, curated.</p>' in page


def test_an_empty_site_says_nothing_is_published_yet(client):
    assert "Nothing has been published yet." in client.get("/").content.decode()


# --- The rule itself, on HTML ----------------------------------------------------------

SECTION = LiveSection(
    key=1,
    numbered=True,
    topics=(
        LiveTopic("/topics/b/", "B", "1"),
        LiveTopic("/topics/a/", "A", "2="),
        LiveTopic("/topics/c/", "C & D", "2="),
    ),
)


def test_a_list_of_a_sections_topics_is_reordered_and_numbered_keeping_its_words():
    text = (
        '<p>Intro</p>\n<ol>\n<li><a href="/topics/a/">A</a> <em>first, we said</em></li>\n'
        '<li><a href="/topics/b/#why">B</a></li>\n<li><a href="/topics/gone/">Gone</a></li>\n'
        "</ol>\n<p>End</p>"
    )
    html, listed = follow_live_order(text, [SECTION])
    assert listed == {1}
    assert html == (
        '<p>Intro</p>\n<ol class="live-order">\n<li value="1"><a href="/topics/b/#why">B</a></li>\n'
        '<li value="2"><a href="/topics/a/">A</a> <em>first, we said</em></li>\n'
        '<li value="2"><a href="/topics/c/">C &amp; D</a></li>\n</ol>\n<p>End</p>'
    )


@pytest.mark.parametrize(
    "text",
    [
        '<ul><li><a href="/topics/a/">A</a></li><li><a href="https://peps.python.org/">PEP</a></li></ul>',
        '<ul><li><a href="/topics/a/">A</a></li><li>No link</li></ul>',
        '<ul><li><a href="/topics/a/">A</a></li><li><a href="/topics/x/">X</a></li></ul>',
        '<ul><li><a href="/topics/a/">A</a></li><li><a href="/topics/z/">Z</a></li></ul>',
    ],
    ids=["external link", "item without a link", "one live topic", "another section"],
)
def test_other_lists_are_left_as_written(text):
    other = LiveSection(key=2, topics=(LiveTopic("/topics/z/", "Z"),))
    assert follow_live_order(text, [SECTION, other]) == (text, set())


def test_an_unnumbered_sections_list_keeps_its_own_kind_of_list():
    section = LiveSection(
        key=3, topics=(LiveTopic("/topics/b/", "B"), LiveTopic("/topics/a/", "A"))
    )
    a, b = '<li><a href="/topics/a/">A</a></li>', '<li><a href="/topics/b/">B</a></li>'
    html, _ = follow_live_order(f'<ul class="x">\n{a}\n{b}\n</ul>', [section])
    assert html == f'<ul class="x">\n{b}\n{a}\n</ul>'
