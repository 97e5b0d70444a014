"""Word-level diffs: readable, bounded whatever the texts, and cached per pair of texts."""

import re

import pytest

from tests.factories import make_stakeholder, published_topic, signed_in
from topics.diffing import word_diff
from topics.models import Revision


def test_changed_words_are_marked_inside_an_unchanged_line_structure():
    html, stats = word_diff("The quick brown fox.", "The quick red fox.")
    assert str(html) == "The quick <del>brown</del><ins>red</ins> fox."
    assert (stats.inserted, stats.deleted) == (1, 1)


def test_markup_in_the_text_is_escaped():
    html, _ = word_diff("a", "a <script>alert(1)</script>")
    assert "<script>" not in str(html) and "&lt;script&gt;" in str(html)


def test_long_unchanged_stretches_are_folded_to_context():
    old = "".join(f"line {n}\n" for n in range(100))
    new = old.replace("line 50\n", "line fifty\n")
    html, stats = word_diff(old, new, context=2)
    assert "… 48 unchanged lines …" in str(html) and "… 47 unchanged lines …" in str(html)
    assert "line 48" in str(html) and "<ins>fifty</ins>" in str(html)
    assert stats.changed


def test_identical_texts_have_no_changes():
    _, stats = word_diff("same\n", "same\n")
    assert not stats.changed


def test_crlf_line_endings_from_a_browser_are_not_a_change():
    old = "First line of the paragraph\nsecond line.\n\nAnother paragraph.\n"
    html, stats = word_diff(old, old.replace("\n", "\r\n"))
    assert not stats.changed
    assert "<ins>" not in str(html) and "<del>" not in str(html)


def test_a_small_edit_in_crlf_text_marks_only_the_changed_words():
    old = "".join(f"Line {n} of an imported page.\n" for n in range(40))
    new = old.replace("Line 20 of", "Line 20, rewritten, of").replace("\n", "\r\n")
    html, stats = word_diff(old, new)
    assert (stats.inserted, stats.deleted) == (3, 0)
    assert str(html).count("<ins>") == 1
    assert "unchanged lines" in str(html)


def test_rewrapping_a_paragraph_is_not_a_change():
    old = "Wheels are built once\nand installed\nmany times by pip.\n"
    new = "Wheels are built once and\ninstalled many times\nby pip.\n"
    html, stats = word_diff(old, new)
    assert not stats.changed
    assert "<ins>" not in str(html)


def test_a_rewrapped_paragraph_with_one_new_word_shows_only_that_word():
    old = "Wheels are built once\nand installed\nmany times by pip.\n"
    new = "Wheels are built once and\ninstalled many, many times\nby pip.\n"
    html, stats = word_diff(old, new)
    assert (stats.inserted, stats.deleted) == (2, 0)  # "many" and ","
    assert "<del>" not in str(html)


def test_joining_two_paragraphs_is_a_change():
    _, stats = word_diff("One.\n\nTwo.\n", "One. Two.\n")
    assert stats.changed


def test_one_changed_word_in_a_long_repetitive_text_is_found():
    old, new = "a " * 20000 + "x", "a " * 20000 + "y"
    html, stats = word_diff(old, new)
    assert (stats.inserted, stats.deleted) == (1, 1)
    assert str(html).endswith("<del>x</del><ins>y</ins>")


def test_past_the_budget_the_rest_is_shown_whole_and_nothing_is_lost():
    old = " ".join(f"w{n % 97}" for n in range(3000))
    new = " ".join(f"w{n % 89}" for n in range(3000))
    html, stats = word_diff(old, new, budget=0)
    text = str(html)
    # Coarser, but every word of both texts is still there, removed or added.
    removed = "".join(re.findall(r"<del>(.*?)</del>", text, re.S))
    assert removed.split() == old.split() or stats.deleted >= 1
    kept_and_added = re.sub(r"<del>.*?</del>", "", text, flags=re.S)
    assert re.sub(r"</?ins>", "", kept_and_added).split() == new.split()


@pytest.mark.django_db
def test_comparing_two_large_suggestions_shows_the_one_changed_word_and_is_cached(monkeypatch):
    author = make_stakeholder()
    topic = published_topic()
    first, second = (
        Revision.objects.create(
            topic=topic,
            author=author,
            status=Revision.Status.PENDING,
            message=f"Try {word}",
            title=topic.title,
            summary=topic.summary,
            body="a " * 20000 + word,
        )
        for word in ("x", "y")
    )
    client = signed_in(author)
    url = f"/topics/{topic.slug}/compare/?a={first.pk}&b={second.pk}"
    response = client.get(url)
    assert response.status_code == 200
    assert "<del>x</del><ins>y</ins>" in response.content.decode()

    def not_again(*args, **kwargs):
        raise AssertionError("the diff of the same two texts was computed twice")

    monkeypatch.setattr("topics.diffing.word_diff", not_again)
    assert "<del>x</del><ins>y</ins>" in client.get(url).content.decode()
