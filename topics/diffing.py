"""Readable, bounded word-level diffs of two texts: plain strings in, escaped HTML out.

Lines are compared first, then words only inside the blocks of lines that
changed. Both steps use diff-match-patch's Myers diff, which is O(N·D)
rather than difflib's quadratic matching and stops at a deadline: past it,
the rest of a block is shown as removed and added whole. So two texts at
the body size limit are compared in well under a second, whatever they
hold (``"a " * 20000`` with one word changed took difflib over 30 s).

Line endings are normalised first (browsers send CRLF, imported files are
LF), and whitespace inside a paragraph is compared as one space, so
re-wrapping a paragraph is not a change; a paragraph break still is.

`diff_context` diffs every field of two stored texts (revisions) for the
compare, review and recent-changes pages, and keeps the result in the
cache by a digest of the texts, since revisions never change.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

from diff_match_patch import diff_match_patch
from django.core.cache import cache
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Seconds for one whole diff (lines, then words in every changed block).
DIFF_BUDGET = 0.4
# Word diffs of blocks with more operations than this skip the semantic clean-up.
CLEANUP_MAX_OPS = 2000

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")
_SAME, _CHANGED = "same", "changed"


@dataclass(frozen=True)
class DiffStats:
    inserted: int
    deleted: int

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.deleted)


def normalise_newlines(text: str) -> str:
    """CRLF and CR become LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def word_diff(
    old: str, new: str, *, context: int | None = 3, budget: float = DIFF_BUDGET
) -> tuple[SafeString, DiffStats]:
    """HTML of `new` with words removed from `old` in <del> and added ones in <ins>.

    Unchanged stretches longer than 2 x `context` lines are folded to their
    first and last `context` lines (None shows everything). The work stops
    at `budget` seconds: what is left is shown as whole removed and added
    lines, never wrong, only coarser.
    """
    deadline = time.time() + budget
    old_lines = normalise_newlines(old).splitlines(keepends=True)
    new_lines = normalise_newlines(new).splitlines(keepends=True)
    out: list[str] = []
    inserted = deleted = 0
    blocks = _diff_sequences(old_lines, new_lines, deadline, key=lambda line: line)
    for index, (kind, old_part, new_part) in enumerate(blocks):
        if kind == _SAME:
            first, last = index == 0, index == len(blocks) - 1
            out.append(_folded(new_part, context, first=first, last=last))
            continue
        words, plus, minus = _word_changes("".join(old_part), "".join(new_part), deadline)
        out.append(words)
        inserted, deleted = inserted + plus, deleted + minus
    return mark_safe("".join(out)), DiffStats(inserted=inserted, deleted=deleted)  # noqa: S308


def _folded(lines: list[str], context: int | None, *, first: bool, last: bool) -> str:
    if context is None or len(lines) <= 2 * context + 1:
        return str(escape("".join(lines)))
    head = [] if first else lines[:context]
    tail = [] if last else lines[-context:]
    hidden = len(lines) - len(head) - len(tail)
    return (
        f"{escape(''.join(head))}"
        f'<span class="diff-skip">… {hidden} unchanged lines …</span>\n'
        f"{escape(''.join(tail))}"
    )


def _word_changes(old: str, new: str, deadline: float) -> tuple[str, int, int]:
    """The HTML of one changed block, word by word, with the words added and removed."""
    old_words, new_words = _TOKEN.findall(old), _TOKEN.findall(new)
    out: list[str] = []
    inserted = deleted = 0
    for kind, old_part, new_part in _diff_sequences(
        old_words, new_words, deadline, key=_compared_as
    ):
        if kind == _SAME:
            out.append(str(escape("".join(new_part))))
            continue
        words_out = sum(1 for token in old_part if _counts(token))
        words_in = sum(1 for token in new_part if _counts(token))
        if old_part and (words_out or not new_part):
            out.append(f"<del>{escape(''.join(old_part))}</del>")
            deleted += words_out
        if new_part:
            out.append(f"<ins>{escape(''.join(new_part))}</ins>")
            inserted += words_in
    return "".join(out), inserted, deleted


def _counts(token: str) -> bool:
    """A word, a sign or a paragraph break counts as a change; other whitespace does not."""
    return not token.isspace() or _compared_as(token) == "\n\n"


def _compared_as(token: str) -> str:
    """Whitespace within a paragraph compares as one space; a blank line stays a break."""
    if token.isspace():
        return "\n\n" if token.count("\n") >= 2 else " "
    return token


def _diff_sequences(old: list[str], new: list[str], deadline: float, *, key):
    """Align two sequences as [(same or changed, old items, new items)], in order.

    Each distinct item (by `key`) becomes one character, so diff-match-patch
    diffs the sequences as strings; it stops at `deadline`.
    """
    diffs = _diff_main(old, new, deadline, key=key, cleanup=True)
    blocks: list[tuple[str, list[str], list[str]]] = []
    i = j = 0
    for op, chars in diffs:
        size = len(chars)
        if op == diff_match_patch.DIFF_EQUAL:
            blocks.append((_SAME, old[i : i + size], new[j : j + size]))
            i, j = i + size, j + size
            continue
        if not blocks or blocks[-1][0] == _SAME:
            blocks.append((_CHANGED, [], []))
        if op == diff_match_patch.DIFF_DELETE:
            blocks[-1][1].extend(old[i : i + size])
            i += size
        else:
            blocks[-1][2].extend(new[j : j + size])
            j += size
    return blocks


def matching_blocks(
    old: Sequence[str], new: Sequence[str], deadline: float
) -> list[tuple[int, int, int]]:
    """difflib's get_matching_blocks() for two sequences, found by a Myers diff with a deadline.

    (i, j, n) means old[i:i+n] == new[j:j+n]; the list ends with (len(old), len(new), 0).
    Past the deadline fewer matches are found, never wrong ones.
    """
    blocks: list[tuple[int, int, int]] = []
    i = j = 0
    for op, chars in _diff_main(old, new, deadline, key=lambda item: item, cleanup=False):
        size = len(chars)
        if op == diff_match_patch.DIFF_EQUAL:
            blocks.append((i, j, size))
            i, j = i + size, j + size
        elif op == diff_match_patch.DIFF_DELETE:
            i += size
        else:
            j += size
    blocks.append((len(old), len(new), 0))
    return blocks


def _diff_main(old: Sequence[str], new: Sequence[str], deadline: float, *, key, cleanup: bool):
    """diff-match-patch over two sequences, each distinct item (by `key`) one character."""
    codes: dict[str, str] = {}

    def encode(items: Sequence[str]) -> str:
        chars = []
        for item in items:
            compared = key(item)
            code = codes.get(compared)
            if code is None:
                code = codes[compared] = _char(len(codes))
            chars.append(code)
        return "".join(chars)

    engine = diff_match_patch()
    diffs = engine.diff_main(encode(old), encode(new), False, deadline)
    if cleanup and len(diffs) <= CLEANUP_MAX_OPS and time.time() < deadline:
        engine.diff_cleanupSemantic(diffs)
    return diffs


def _char(number: int) -> str:
    """The `number`th character that is not a surrogate (diffs never encode these)."""
    number += 1
    return chr(number + 0x800 if number >= 0xD800 else number)


# --- Diffs of stored texts, for pages (kept in the cache) -------------------------------

DIFF_CACHE_SECONDS = 24 * 60 * 60
DIFFED_FIELDS = ("title", "summary", "body", "tags")


def text_digest(*texts: str) -> str:
    """A digest of a sequence of texts (each length-prefixed), for keys of computed results."""
    digest = hashlib.blake2b(digest_size=20)
    for text in texts:
        encoded = text.encode("utf-8", "surrogatepass")
        digest.update(len(encoded).to_bytes(8, "big") + encoded)
    return digest.hexdigest()


def diff_context(old, new) -> dict:
    """Diffs of every field of two revisions, for the compare and review pages.

    Kept in the cache by a digest of both texts: revisions never change, and
    the same pair is shown again and again in the review queue.
    """
    pairs = [
        (getattr(old, field, "") if old else "", getattr(new, field)) for field in DIFFED_FIELDS
    ]
    key = f"diff:v2:{text_digest(*(text for pair in pairs for text in pair))}"
    stored = cache.get(key)
    if stored is None:
        diffs = [word_diff(before, after) for before, after in pairs]
        stored = [str(html) for html, _ in diffs], diffs[2][1]
        cache.set(key, stored, DIFF_CACHE_SECONDS)
    htmls, stats = stored
    context = {
        f"{field}_diff": mark_safe(html)  # noqa: S308 - word_diff's escaped output
        for field, html in zip(DIFFED_FIELDS, htmls, strict=True)
    }
    return {**context, "stats": stats}
