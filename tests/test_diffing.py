"""Word-level diffs (pure functions, no database)."""

from topics.diffing import word_diff


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
