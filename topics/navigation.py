"""The site's navigation tree, built from one query over published topics.

Each process keeps the newest tree it built until a write changes what the
navigation shows (its token, `list_version("nav")`, moves with every topic or
section write, every closed round and every bulk write: topics/page_cache.py)
or the minute turns (a round closing at its date reorders its section). A
body-only publish elsewhere keeps it, so the reader pages that a change misses
in the page cache do not pay for it again.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db import router, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from topics.models import Section, Topic
from topics.services.voting import SiteRanking, site_rankings


@dataclass
class NavNode:
    """A topic in the navigation, with its sub-pages."""

    topic: Topic
    number: str = ""
    children: list[NavNode] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.topic.nav_title or self.topic.title

    @cached_property
    def url(self) -> str:
        """Where the navigation links to: the home page for the home topic (reversed once)."""
        return reverse("home") if self.topic.is_home else self.topic.get_absolute_url()


@dataclass
class NavEntry:
    """A top-level entry: a section with its topics, or a page of its own."""

    section: Section | None
    nodes: list[NavNode]
    order: int


def build_nav(
    topics: Iterable[Topic], rankings: dict[int, SiteRanking] | None = None
) -> list[NavEntry]:
    """Arrange topics (with `section` loaded) into ordered sections and top-level pages.

    In a numbered section that follows a ranking (`rankings`: section id ->
    ranking), top-level topics come in the order of that round, numbered by
    their place ("2=" when tied); topics the round did not rank follow in
    their manual order.
    """
    rankings = rankings or {}
    children: dict[int | None, list[Topic]] = defaultdict(list)
    for topic in topics:
        children[topic.parent_id].append(topic)

    def nodes_for(
        parent_id: int | None,
        members: list[Topic],
        numbered: bool,
        ranking: SiteRanking | None = None,
    ) -> list[NavNode]:
        nodes = []
        key = _ranked_key(ranking.positions) if ranking else _topic_key
        places = ranking.places if ranking else {}
        for position, topic in enumerate(sorted(members, key=key), start=1):
            kids = children.get(topic.pk, [])
            nodes.append(
                NavNode(
                    topic=topic,
                    number=(places.get(topic.pk) or str(position)) if numbered else "",
                    children=nodes_for(topic.pk, kids, numbered=False),
                )
            )
        return nodes

    by_section: dict[int | None, list[Topic]] = defaultdict(list)
    sections: dict[int, Section] = {}
    for topic in children.get(None, []):
        by_section[topic.section_id].append(topic)
        if topic.section_id:
            sections[topic.section_id] = topic.section
    entries = [
        NavEntry(section=None, nodes=nodes_for(None, [topic], False), order=topic.order)
        for topic in by_section.get(None, [])
    ]
    for section_id, members in by_section.items():
        if section_id is None:
            continue
        section = sections[section_id]
        follows = section.numbered and section.follow_ranking
        entries.append(
            NavEntry(
                section=section,
                nodes=nodes_for(
                    None, members, section.numbered, rankings.get(section_id) if follows else None
                ),
                order=section.order,
            )
        )
    entries.sort(key=lambda entry: (entry.order, entry.section is not None))
    return entries


def _topic_key(topic: Topic) -> tuple[int, str]:
    return (topic.order, topic.title.lower())


def _ranked_key(ranks: dict[int, int]):
    unranked = len(ranks) + 1

    def key(topic: Topic) -> tuple[int, int, str]:
        return (ranks.get(topic.pk, unranked), topic.order, topic.title.lower())

    return key


def flatten(entries: list[NavEntry]) -> list[NavNode]:
    """Every node in reading order (for previous / next links)."""
    flat: list[NavNode] = []

    def walk(nodes: list[NavNode]) -> None:
        for node in nodes:
            flat.append(node)
            walk(node.children)

    for entry in entries:
        walk(entry.nodes)
    return flat


@dataclass
class Navigation:
    """The navigation entries, and a signature that changes whenever they do.

    The signature is derived from the rows themselves, so every process
    computes the same cache key for the rendered navigation without any
    invalidation message between workers.
    """

    entries: list[NavEntry]
    signature: str
    rankings: dict[int, SiteRanking] = field(default_factory=dict)
    _derived: dict = field(default_factory=dict, repr=False, compare=False)

    def __iter__(self):
        return iter(self.entries)

    def derived(self, key: Any, compute: Callable[[], Any]) -> Any:
        """What `compute` makes of this navigation alone, kept as long as it is.

        `published_nav` keeps one navigation per process until a write moves it,
        so HTML and values derived from it are made once per process and change,
        not once per page. Keys are few and fixed (the caller's), so this stays small.
        """
        try:
            return self._derived[key]
        except KeyError:
            value = self._derived[key] = compute()
            return value

    def _reading_order(self) -> tuple[list[NavNode], dict[int, int]]:
        """Every node in reading order, and each topic's position in it."""
        flat = self.derived("flat", lambda: flatten(self.entries))
        return flat, self.derived("places", lambda: {n.topic.pk: i for i, n in enumerate(flat)})

    def neighbours(self, topic: Topic) -> tuple[NavNode | None, NavNode | None, str]:
        """The topics before and after `topic` in reading order, and its number ("" if none)."""
        flat, places = self._reading_order()
        position = places.get(topic.pk)
        if position is None:
            return None, None, ""
        previous = flat[position - 1] if position else None
        following = flat[position + 1] if position + 1 < len(flat) else None
        return previous, following, flat[position].number

    def tree_html(self, current: Topic | None = None) -> SafeString:
        """The navigation tree as HTML, with `current`'s link marked as the page being read.

        Rendered once (`derived`); marking the current page is a string replacement
        of its link's unique opening tag, as every topic appears once in the tree.
        """
        html = self.derived("tree", lambda: render_to_string("_partials/nav.html", {"nav": self}))
        flat, places = self._reading_order()
        position = places.get(current.pk) if current else None
        if position is None:
            return html
        node = flat[position]
        link = f'<a href="{escape(node.url)}">'
        return mark_safe(html.replace(link, f'{link[:-1]} aria-current="page">', 1))  # noqa: S308

    def ranking_of(self, topic: Topic) -> SiteRanking | None:
        """The ranking that places `topic` (a top-level topic of a ranked section), if any."""
        ranking = self.rankings.get(topic.section_id) if topic.parent_id is None else None
        return ranking if ranking and topic.pk in ranking.places else None


class _Latest:
    """This process's newest navigation, and the key it was built under."""

    key: tuple | None = None
    nav: Navigation | None = None


def published_nav() -> Navigation:
    """The navigation of the published site, each ranked section in its round's order.

    Kept per process until its token moves or the minute turns; never inside a
    transaction, which may see rows no other request sees (and may roll back).
    """
    from topics.page_cache import current_minute, list_version

    alias = router.db_for_read(Topic)
    if transaction.get_connection(alias).in_atomic_block:
        return build_published_nav()
    key = (alias, list_version("nav"), current_minute())
    latest = _Latest.nav
    if latest is None or _Latest.key != key:
        latest = build_published_nav()
        _Latest.key, _Latest.nav = key, latest
    return latest


def forget_nav() -> None:
    """Drop this process's navigation (tests: the next test's rows are new ones)."""
    _Latest.key = _Latest.nav = None


def build_published_nav() -> Navigation:
    """The navigation, read from the database now."""
    topics = list(Topic.objects.published().for_nav())
    sections = {
        t.section.pk: t.section
        for t in topics
        if t.section and t.section.numbered and t.section.follow_ranking
    }
    rankings = site_rankings(list(sections.values()))
    places = {pk: label for r in rankings.values() for pk, label in r.places.items()}
    rows = [
        (
            t.pk,
            t.slug,
            t.title,
            t.nav_title,
            t.summary,
            t.order,
            t.parent_id,
            t.is_home,
            t.section_id,
            t.section.slug if t.section else "",
            t.section.title if t.section else "",
            t.section.order if t.section else 0,
            t.section.numbered if t.section else False,
            t.section.follow_ranking if t.section else False,
            places.get(t.pk),
        )
        for t in topics
    ]
    signature = hashlib.blake2b(repr(sorted(rows)).encode(), digest_size=12).hexdigest()
    return Navigation(entries=build_nav(topics, rankings), signature=signature, rankings=rankings)
