"""Three-way merges of a suggestion with the text published since it was written (pure).

A suggestion remembers the revision it was written from (the base). When
another text was published since, both are merged line by line with
merge3 (the three-way merge of Breezy): changes to different places are
combined; where both changed the same lines, the result holds a conflict,
both sides between markers, for the editor to resolve. Text that still
holds a marker cannot be published, so the newer published text is never
dropped silently.

merge3's default matcher is difflib's, which is quadratic on texts with
many repeated lines (41 s at the size limit); ours is a Myers diff with a
deadline (topics/diffing.py), so a merge is bounded, and past the deadline
only coarser (more conflicts), never wrong.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from merge3 import Merge3

from topics.diffing import matching_blocks, normalise_newlines

MERGE_BUDGET = 0.5
PUBLISHED_MARKER = "<<<<<<< published text"
SEPARATOR_MARKER = "======="
SUGGESTION_MARKER = ">>>>>>>"  # then the suggested side's label: "suggestion", "your text"
_MARKER_LINE = re.compile(r"^(<{7}|={7}|>{7})(?: |$)", re.MULTILINE)


@dataclass(frozen=True)
class Merged:
    """The merged text and how many conflicts it holds."""

    text: str
    conflicts: int

    @property
    def clean(self) -> bool:
        return self.conflicts == 0


def has_conflict_markers(text: str) -> bool:
    """True when a line of `text` is a conflict marker (<<<<<<<, =======, >>>>>>>)."""
    return bool(_MARKER_LINE.search(normalise_newlines(text)))


def merge_texts(base: str, published: str, suggested: str, *, label: str = "suggestion") -> Merged:
    """Merge the changes base→published and base→suggested, line by line.

    `label` names the suggested side in a conflict (`>>>>>>> suggestion`).
    """
    base, published, suggested = (normalise_newlines(text) for text in (base, published, suggested))
    if published in (base, suggested):
        return Merged(suggested, 0)
    if suggested == base:
        return Merged(published, 0)
    deadline = time.time() + MERGE_BUDGET

    class Matcher:
        def __init__(self, isjunk, old, new) -> None:
            self.old, self.new = old, new

        def get_matching_blocks(self):
            return matching_blocks(self.old, self.new, deadline)

    lines = [_lines(text) for text in (base, published, suggested)]
    out: list[str] = []
    conflicts = 0
    for group in Merge3(*lines, sequence_matcher=Matcher).merge_groups():
        kind = group[0]
        if kind == "conflict":
            _, _, ours, theirs = group
            conflicts += 1
            out += [PUBLISHED_MARKER + "\n", *_ended(ours), SEPARATOR_MARKER + "\n"]
            out += [*_ended(theirs), f"{SUGGESTION_MARKER} {label}\n"]
        else:
            out += group[1]
    text = "".join(out)
    if not suggested.endswith("\n") and not published.endswith("\n"):
        text = text.removesuffix("\n")
    return Merged(text, conflicts)


def merge_line(base: str, published: str, suggested: str, *, label: str = "suggestion") -> Merged:
    """Merge a one-line field (a title): either side's change, or a marked conflict."""
    if published in (base, suggested):
        return Merged(suggested, 0)
    if suggested == base:
        return Merged(published, 0)
    return Merged(
        f"{PUBLISHED_MARKER} {published} {SEPARATOR_MARKER} {suggested} {SUGGESTION_MARKER} "
        f"{label}",
        1,
    )


def merge_tags(base: str, published: str, suggested: str) -> Merged:
    """Merge two tag lists as sets: the published ones, plus what the suggestion added,
    less what it removed (never a conflict; names as `parse_tags` reads them)."""
    from topics.tagging import parse_tags, tags_string

    old, theirs, ours = (set(parse_tags(text)) for text in (base, published, suggested))
    return Merged(tags_string((theirs | (ours - old)) - (old - ours)), 0)


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _ended(lines: list[str]) -> list[str]:
    """The lines, the last one ending in a newline so a marker starts its own line."""
    if lines and not lines[-1].endswith("\n"):
        return [*lines[:-1], lines[-1] + "\n"]
    return lines
