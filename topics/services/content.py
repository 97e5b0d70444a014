"""Writing a topic's content: render, cite, index, in one place."""

from __future__ import annotations

from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction
from django.db.models import TextField, Value

from topics.markdown import Rendered
from topics.models import Citation, Reference, Topic
from topics.page_cache import bump_version
from topics.reference_kinds import classify_url, normalise_url

REFERENCE_TITLE_MAX = 500


def apply_rendering(topic: Topic, rendered: Rendered) -> None:
    """Copy a rendering onto the topic's stored HTML fields (not saved)."""
    topic.body_html = rendered.html
    topic.toc_html = rendered.toc_html
    topic.plain_text = rendered.text


@transaction.atomic
def save_topic(*, topic: Topic, links: dict[str, str] | None = None) -> Topic:
    """Render `topic`'s body, save it, and bring its citations and search index up to date."""
    rendered = topic.render(links)
    apply_rendering(topic, rendered)
    topic.save()
    sync_citations(topic=topic, rendered=rendered)
    index_topic(topic=topic)
    return topic


def sync_citations(*, topic: Topic, rendered: Rendered) -> None:
    """Make the topic's citations exactly the external links in its rendered body."""
    wanted: dict[str, str] = {}
    for link in rendered.links:
        url = normalise_url(link.url)
        if url and len(url) <= 1000:
            wanted.setdefault(url, link.text[:REFERENCE_TITLE_MAX])
    existing = {r.url: r for r in Reference.objects.filter(url__in=wanted)}
    new = [
        Reference(url=url, title=text or url[:REFERENCE_TITLE_MAX], kind=classify_url(url))
        for url, text in wanted.items()
        if url not in existing
    ]
    # ignore_conflicts: a concurrent import may have added the same URL.
    Reference.objects.bulk_create(new, ignore_conflicts=True)
    references = {r.url: r for r in Reference.objects.filter(url__in=wanted)}
    # Citations an editor added from a suggestion are not the body's to remove.
    Citation.objects.filter(topic=topic, from_body=True).exclude(reference__url__in=wanted).delete()
    bump_version()  # bulk writes send no signals
    Citation.objects.bulk_create(
        [
            Citation(topic=topic, reference=references[url], text=text)
            for url, text in wanted.items()
        ],
        ignore_conflicts=True,
    )


def index_topic(*, topic: Topic) -> None:
    """Refresh the stored full-text search vector (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        return
    vector = (
        SearchVector(_searchable(topic.title), weight="A", config="english")
        + SearchVector(_searchable(topic.summary), weight="B", config="english")
        + SearchVector(_searchable(topic.plain_text), weight="C", config="english")
    )
    Topic.objects.filter(pk=topic.pk).update(search_vector=vector)


def _searchable(text: str) -> Value:
    """Text for to_tsvector: its parser drops anything that looks like a tag, words included."""
    return Value(text.replace("<", " ").replace(">", " "), output_field=TextField())
