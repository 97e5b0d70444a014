"""Readable word-level diffs of two texts (pure: plain strings in, escaped HTML out)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass(frozen=True)
class DiffStats:
    inserted: int
    deleted: int

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.deleted)


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def word_diff(old: str, new: str, *, context: int | None = 3) -> tuple[SafeString, DiffStats]:
    """HTML of `new` with words removed from `old` in <del> and added ones in <ins>.

    Lines are matched first and only changed stretches are compared word by
    word, which keeps long texts fast (a line diff is nearly linear in practice)
    while showing exactly which words changed inside a paragraph. Unchanged
    stretches longer than 2 x `context` lines are folded to their first and
    last `context` lines (None shows everything).
    """
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    out: list[str] = []
    inserted = deleted = 0
    lines = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in lines.get_opcodes():
        if tag == "equal":
            same = old_lines[i1:i2]
            if context is not None and len(same) > 2 * context + 1:
                head = same[:context] if i1 > 0 else []
                tail = same[-context:] if i2 < len(old_lines) else []
                hidden = len(same) - len(head) - len(tail)
                out.append(str(escape("".join(head))))
                out.append(f'<span class="diff-skip">… {hidden} unchanged lines …</span>\n')
                out.append(str(escape("".join(tail))))
            else:
                out.append(str(escape("".join(same))))
            continue
        old_words = _tokens("".join(old_lines[i1:i2]))
        new_words = _tokens("".join(new_lines[j1:j2]))
        words = difflib.SequenceMatcher(None, old_words, new_words, autojunk=False)
        for wtag, a1, a2, b1, b2 in words.get_opcodes():
            if wtag == "equal":
                out.append(str(escape("".join(old_words[a1:a2]))))
                continue
            if a2 > a1:
                removed = "".join(old_words[a1:a2])
                deleted += sum(1 for t in old_words[a1:a2] if not t.isspace())
                out.append(f"<del>{escape(removed)}</del>")
            if b2 > b1:
                added = "".join(new_words[b1:b2])
                inserted += sum(1 for t in new_words[b1:b2] if not t.isspace())
                out.append(f"<ins>{escape(added)}</ins>")
    return mark_safe("".join(out)), DiffStats(inserted=inserted, deleted=deleted)  # noqa: S308
