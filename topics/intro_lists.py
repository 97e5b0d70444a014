"""The home page's introduction never contradicts the live order of a section.

An imported introduction (pypackaging-native's index.md) may list a
section's topics itself, numbered 1–7 as they were when it was written,
while the section now follows a vote. Such a list is shown in the live
order instead: each item keeps its own words (and any sub-list), items are
moved into the section's current order and numbered as the navigation
numbers them, topics no longer published are dropped and newly published
ones are added at the end; when a vote orders the section, a line under the
list says which. The home page's Contents then leaves that section out, so
each section is listed once.

A list counts as a section's list when the first link of each of its items
points to a topic page, and at least two of those are published top-level
topics of one section, none of another. Pure: HTML and plain values in,
HTML out.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser

TOPIC_URL = re.compile(r"^/topics/[^/?#]+/$")


@dataclass(frozen=True)
class LiveTopic:
    """A published top-level topic of a section, in its live place."""

    url: str
    title: str
    number: str = ""  # "3", or "2=" for a shared place; empty in an unnumbered section


@dataclass(frozen=True)
class LiveSection:
    """A section's top-level topics in the order readers see them everywhere else."""

    key: int
    topics: tuple[LiveTopic, ...]
    numbered: bool = False
    round_title: str = ""  # the vote that orders it, if any
    round_url: str = ""


@dataclass
class _Item:
    start: int
    open_end: int
    end: int = -1
    href: str | None = None


@dataclass
class _List:
    tag: str
    start: int
    open_end: int
    end: int = -1
    items: list[_Item] = field(default_factory=list)


class _ListFinder(HTMLParser):
    """Every `<ul>`/`<ol>` with its own items and each item's first link (not a sub-list's)."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.text = text
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.lists: list[_List] = []
        self.open: list[_List | _Item] = []

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag, attrs) -> None:
        start = self._offset()
        open_end = start + len(self.get_starttag_text() or "")
        if tag in {"ul", "ol"}:
            found = _List(tag=tag, start=start, open_end=open_end)
            self.lists.append(found)
            self.open.append(found)
        elif tag == "li" and self.open and isinstance(self.open[-1], _List):
            item = _Item(start=start, open_end=open_end)
            self.open[-1].items.append(item)
            self.open.append(item)
        elif tag == "a" and self.open and isinstance(self.open[-1], _Item):
            item = self.open[-1]
            if item.href is None:
                item.href = dict(attrs).get("href") or ""

    def handle_endtag(self, tag) -> None:
        if tag not in {"ul", "ol", "li"}:
            return
        wanted = _List if tag in {"ul", "ol"} else _Item
        while self.open:
            element = self.open.pop()
            element.end = self.text.index(">", self._offset()) + 1
            if isinstance(element, wanted):
                break


def live_sections(nav, results_url: Callable[[str], str]) -> list[LiveSection]:
    """The sections of the navigation (`topics.navigation.Navigation`), as plain values."""
    sections = []
    for entry in nav:
        if entry.section is None:
            continue
        ranking = nav.rankings.get(entry.section.pk) if entry.section.follow_ranking else None
        topics = tuple(
            LiveTopic(url=node.topic.get_absolute_url(), title=node.title, number=node.number)
            for node in entry.nodes
        )
        sections.append(
            LiveSection(
                key=entry.section.pk,
                numbered=entry.section.numbered,
                topics=topics,
                round_title=ranking.round_title if ranking else "",
                round_url=results_url(ranking.round_slug) if ranking else "",
            )
        )
    return sections


def _path(href: str | None) -> str:
    return (href or "").split("#", 1)[0].split("?", 1)[0]


def _section_of(found: _List, places: Mapping[str, int]) -> int | None:
    """The section whose list this is, if it is one (see the module's docstring)."""
    paths = [_path(item.href) for item in found.items]
    if not paths or found.end < 0 or not all(TOPIC_URL.match(path) for path in paths):
        return None
    sections = {places[path] for path in paths if path in places}
    live = sum(path in places for path in paths)
    return sections.pop() if len(sections) == 1 and live >= 2 else None


def _numbered_item(item_html: str, number: str) -> str:
    value = re.match(r"\d+", number)
    return f'<li value="{value.group(0)}"' + item_html[3:] if value else item_html


def _live_list(text: str, found: _List, section: LiveSection) -> str:
    by_path = {_path(item.href): item for item in found.items}
    items = []
    for topic in section.topics:
        item = by_path.get(topic.url)
        if item is not None:
            item_html = text[item.start : item.end]
        else:
            item_html = (
                f'<li><a href="{html.escape(topic.url)}">{html.escape(topic.title)}</a></li>'
            )
        items.append(_numbered_item(item_html, topic.number) if section.numbered else item_html)
    opening = '<ol class="live-order">' if section.numbered else text[found.start : found.open_end]
    closing = "</ol>" if section.numbered else f"</{found.tag}>"
    lines = [opening, *items, closing]
    if section.round_title:
        vote = f'<a href="{html.escape(section.round_url)}">{html.escape(section.round_title)}</a>'
        lines.append(
            f'<p class="live-order-note">In the order stakeholders ranked them: {vote}.</p>'
        )
    return "\n".join(lines)


def follow_live_order(text: str, sections: Iterable[LiveSection]) -> tuple[str, set[int]]:
    """The introduction's HTML with each section's list in the live order, and those sections."""
    sections = {section.key: section for section in sections}
    places = {topic.url: key for key, s in sections.items() for topic in s.topics}
    finder = _ListFinder(text)
    finder.feed(text)
    finder.close()
    replaced: list[tuple[_List, LiveSection]] = []
    for found in finder.lists:  # outer lists come first: an inner one inside a replaced is kept
        if any(done.start < found.start < done.end for done, _ in replaced):
            continue
        key = _section_of(found, places)
        if key is not None:
            replaced.append((found, sections[key]))
    for found, section in sorted(replaced, key=lambda pair: -pair[0].start):
        text = text[: found.start] + _live_list(text, found, section) + text[found.end :]
    return text, {section.key for _, section in replaced}
