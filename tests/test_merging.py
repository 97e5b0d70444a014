"""Three-way merges of a suggestion with the newer published text (pure, no database)."""

import random

from topics.merging import has_conflict_markers, merge_line, merge_texts

BASE = "Intro.\n\nSIMD is hard.\n\nWheels are fixed.\n"


def test_changes_to_different_paragraphs_are_both_kept():
    published = BASE.replace("Intro.", "Introduction.")
    suggested = BASE.replace("Wheels are fixed.", "Wheels are fixed per platform.")
    merged = merge_texts(BASE, published, suggested)
    assert merged.clean
    assert merged.text == "Introduction.\n\nSIMD is hard.\n\nWheels are fixed per platform.\n"


def test_changes_to_the_same_line_are_a_marked_conflict_with_both_sides():
    merged = merge_texts(BASE, BASE.replace("hard", "very hard"), BASE.replace("hard", "easy"))
    assert merged.conflicts == 1
    assert (
        "<<<<<<< published text\nSIMD is very hard.\n=======\nSIMD is easy.\n>>>>>>> suggestion\n"
        in merged.text
    )
    assert merged.text.startswith("Intro.\n\n") and merged.text.endswith("Wheels are fixed.\n")
    assert has_conflict_markers(merged.text)


def test_crlf_from_a_browser_does_not_turn_every_line_into_a_conflict():
    suggested = BASE.replace("Intro.", "Intro, rewritten.").replace("\n", "\r\n")
    published = BASE.replace("Wheels", "Binary wheels")
    merged = merge_texts(BASE, published, suggested)
    assert merged.clean
    assert merged.text == "Intro, rewritten.\n\nSIMD is hard.\n\nBinary wheels are fixed.\n"


def test_a_side_without_changes_gives_the_other_side():
    assert merge_texts(BASE, BASE, "New.").text == "New."
    assert merge_texts(BASE, "New.", BASE).text == "New."
    assert merge_line("T", "T2", "T2").text == "T2"
    assert merge_line("T", "Published", "Suggested").conflicts == 1


def test_marker_lookalikes_in_prose_are_not_conflicts():
    assert not has_conflict_markers("a <<<<<<< b\n\n=== heading\n")
    assert has_conflict_markers("text\r\n=======\r\nmore")


def test_a_merge_at_the_size_limit_is_bounded_and_only_coarser():
    rng = random.Random(3)

    def text() -> str:
        return "".join(f"w{rng.randrange(150)}\n" for _ in range(100_000))

    base, published, suggested = text(), text(), text()
    merged = merge_texts(base, published, suggested)  # difflib's matcher took 41 s here
    # However coarse, nothing from either side is lost: every line is in the result.
    kept = merged.text.splitlines()
    assert merged.conflicts >= 1
    assert set(published.splitlines()) <= set(kept) and set(suggested.splitlines()) <= set(kept)


def test_merged_tags_read_back_as_the_same_names_a_lone_two_word_tag_included():
    from topics.merging import merge_tags
    from topics.tagging import parse_tags

    merged = merge_tags('"python c", web', '"python c"', '"python c", web').text
    assert parse_tags(merged) == ["python c"]
    merged = merge_tags("abi", '"c, c++", abi', "abi, gpu").text
    assert sorted(parse_tags(merged)) == ["abi", "c, c++", "gpu"]
