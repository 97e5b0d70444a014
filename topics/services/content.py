"""Writing a topic's content: render, cite, index, in one place."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction
from django.db.models import TextField, Value

from topics.markdown import Rendered
from topics.models import Citation, Reference, Revision, Topic
from topics.reference_kinds import (
    classify_url,
    clean_link_text,
    is_generic_text,
    normalise_url,
    reference_key,
    reference_title,
    url_variants,
)

REFERENCE_TITLE_MAX = 500


def free_slug(slug: str) -> str:
    """`slug` if no topic has it, else the first free `slug-2`, `slug-3`, …"""
    candidate, number = slug, 2
    while Topic.objects.filter(slug=candidate).exists():
        candidate, number = f"{slug}-{number}", number + 1
    return candidate


def apply_rendering(topic: Topic, rendered: Rendered) -> None:
    """Copy a rendering onto the topic's stored HTML fields (not saved)."""
    topic.body_html = rendered.html
    topic.toc_html = rendered.toc_html
    topic.plain_text = rendered.text


@transaction.atomic
def create_published_topic(
    *, topic: Topic, tags=(), message: str = "First version", author=None, author_name: str = ""
) -> Topic:
    """Save a new topic as published, with its tags and its first revision.

    The one way a published topic comes into being outside the editorial
    workflow (demo content, tests); the workflow publishes proposals itself.
    """
    topic.status = Topic.Status.PUBLISHED
    save_topic(topic=topic)
    if tags:
        topic.tags.set(tags)
    topic.current_revision = Revision.objects.create(
        topic=topic,
        title=topic.title,
        summary=topic.summary,
        body=topic.body,
        tags=", ".join(tags),
        author=author,
        author_name=author_name,
        message=message,
    )
    topic.save(update_fields=["current_revision"])
    return topic


@transaction.atomic
def save_topic(*, topic: Topic, links: dict[str, str] | None = None) -> Topic:
    """Render `topic`'s body, save it, and bring its citations and search index up to date."""
    rendered = topic.render(links)
    apply_rendering(topic, rendered)
    topic.save()
    sync_citations(topic=topic, rendered=rendered)
    index_topic(topic=topic)
    return topic


@dataclass
class _Cited:
    """One reference a body links to, from the first link to it and the best text of all."""

    url: str
    text: str
    context: str
    title: str = ""


def sync_citations(*, topic: Topic, rendered: Rendered) -> None:
    """Make the topic's citations exactly the external links in its rendered body.

    URLs that differ only by fragment, ``www.`` or a trailing slash are one
    reference. A reference's title is the first link text that names it,
    else one made from its URL; the citation keeps the text and sentence.
    References imported before these rules had placeholder or generic
    titles, or no kind: those are repaired here, nothing a maintainer set.
    """
    wanted: dict[str, _Cited] = {}
    for link in rendered.links:
        url = normalise_url(link.url)
        if not url or len(url) > 1000:
            continue
        text = clean_link_text(link.text)[:REFERENCE_TITLE_MAX]
        cited = wanted.setdefault(
            reference_key(url), _Cited(url=url, text=text, context=link.context)
        )
        if not cited.title and text and not is_generic_text(text, url):
            cited.title = text
    for cited in wanted.values():
        cited.title = (cited.title or reference_title(cited.text, cited.url))[
            :REFERENCE_TITLE_MAX
        ] or cited.url[:REFERENCE_TITLE_MAX]
    references = _references_for(wanted)
    Reference.objects.bulk_create(
        [
            Reference(url=cited.url, title=cited.title, kind=classify_url(cited.url))
            for key, cited in wanted.items()
            if key not in references
        ],
        # A concurrent import may have added the same URL.
        ignore_conflicts=True,
    )
    references = _references_for(wanted)
    _repair_references(references.values(), wanted)
    # Citations an editor added from a suggestion are not the body's to remove.
    ids = {reference.pk for reference in references.values()}
    Citation.objects.filter(topic=topic, from_body=True).exclude(reference_id__in=ids).delete()
    existing = {c.reference_id: c for c in Citation.objects.filter(topic=topic)}
    new, changed = [], []
    for key, cited in wanted.items():
        reference = references[key]
        citation = existing.get(reference.pk)
        fresh = (cited.text, cited.context)
        if citation is None:
            new.append(Citation(topic=topic, reference=reference, text=fresh[0], context=fresh[1]))
        elif citation.from_body and (citation.text, citation.context) != fresh:
            citation.text, citation.context = fresh
            changed.append(citation)
    Citation.objects.bulk_create(new, ignore_conflicts=True)
    Citation.objects.bulk_update(changed, ["text", "context"])


def reference_for(*, url: str, title: str, kind: str) -> Reference:
    """The stored reference for `url` under any of its forms (www., a trailing slash), or a
    new one: a suggested source the site already cites is that same reference."""
    existing = Reference.objects.filter(url__in=url_variants(url)).order_by("pk").first()
    if existing is not None:
        return existing
    reference, _ = Reference.objects.get_or_create(
        url=normalise_url(url), defaults={"title": title, "kind": kind}
    )
    return reference


def _references_for(wanted: dict[str, _Cited]) -> dict[str, Reference]:
    """The stored reference for each key of `wanted` (the oldest, if older imports kept two)."""
    forms = {form for cited in wanted.values() for form in url_variants(cited.url)}
    found: dict[str, Reference] = {}
    for reference in Reference.objects.filter(url__in=forms).order_by("pk"):
        found.setdefault(reference_key(reference.url), reference)
    return found


def _repair_references(references, wanted: dict[str, _Cited]) -> None:
    """Titles with Python-Markdown's placeholders or generic texts, and kinds never guessed."""
    changed = []
    for reference in references:
        cited = wanted[reference_key(reference.url)]
        title, kind = reference.title, reference.kind
        if "\x02" in title or "\x03" in title or is_generic_text(title, reference.url):
            title = cited.title
        if kind == Reference.Kind.OTHER:
            kind = classify_url(reference.url)
        if (title, kind) != (reference.title, reference.kind):
            reference.title, reference.kind = title, kind
            changed.append(reference)
    Reference.objects.bulk_update(changed, ["title", "kind"])


def index_topic(*, topic: Topic) -> None:
    """Refresh the stored full-text search vector (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        return
    vector = (
        SearchVector(_searchable(topic.title), weight="A", config="english")
        + SearchVector(_searchable(topic.summary), weight="B", config="english")
        + SearchVector(_searchable(topic.plain_text), weight="C", config="english")
    )
    Topic.objects.filter(pk=topic.pk).derived_update(search_vector=vector)


def _searchable(text: str) -> Value:
    """Text for to_tsvector: its parser drops anything that looks like a tag, words included."""
    return Value(text.replace("<", " ").replace(">", " "), output_field=TextField())
