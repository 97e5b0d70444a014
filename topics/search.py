"""Full-text search over published topics.

PostgreSQL: a ranked search over the stored, GIN-indexed vector, with
websearch syntax so no user input can make the query fail. SQLite: every
word must appear in the title, summary or text; title hits rank first.
Snippets are always built from plain text, escaped, and only then marked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, Q
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from topics.models import Topic

MAX_QUERY_LENGTH = 200
SNIPPET_WIDTH = 240
MAX_RESULTS = 50


@dataclass
class SearchHit:
    topic: Topic
    snippet: SafeString


def query_terms(query: str) -> list[str]:
    """The words of a query, without search operators or quotes."""
    words = re.findall(r"\w[\w+#.-]*", query.lower())
    return [word for word in words if word not in {"or", "and"}][:10]


def search_topics(query: str) -> list[SearchHit]:
    """Published topics matching `query`, best first, each with a highlighted snippet."""
    query = query.strip()[:MAX_QUERY_LENGTH]
    terms = query_terms(query)
    if not terms:
        return []
    topics = Topic.objects.published().select_related("section")
    if connection.vendor == "postgresql":
        search = SearchQuery(query, search_type="websearch", config="english")
        topics = (
            topics.filter(search_vector=search)
            .annotate(rank=SearchRank(F("search_vector"), search))
            .order_by("-rank", "title")
        )
    else:
        condition = Q()
        for term in terms:
            condition &= (
                Q(title__icontains=term)
                | Q(summary__icontains=term)
                | Q(plain_text__icontains=term)
            )
        topics = topics.filter(condition)
        topics = sorted(
            topics[:500],
            key=lambda t: (-sum(term in t.title.lower() for term in terms), t.title.lower()),
        )
    return [SearchHit(topic=t, snippet=snippet(t.plain_text, terms)) for t in topics[:MAX_RESULTS]]


def snippet(text: str, terms: list[str], width: int = SNIPPET_WIDTH) -> SafeString:
    """An escaped excerpt of `text` around the first term found, terms wrapped in <mark>."""
    lowered = text.lower()
    positions = [lowered.find(term) for term in terms if term in lowered]
    start = max(0, min(positions) - width // 3) if positions else 0
    excerpt = text[start : start + width]
    if start > 0:
        excerpt = "…" + excerpt.split(" ", 1)[-1]
    if start + width < len(text):
        excerpt = excerpt.rsplit(" ", 1)[0] + "…"
    pattern = re.compile(
        "|".join(re.escape(term) for term in sorted(set(terms), key=len, reverse=True)),
        re.IGNORECASE,
    )
    # Every piece of the user's text is escaped; the marks are the only markup.
    pieces, last = [], 0
    for match in pattern.finditer(excerpt):
        pieces.append(escape(excerpt[last : match.start()]))
        pieces.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    pieces.append(escape(excerpt[last:]))
    return mark_safe("".join(pieces))  # noqa: S308
