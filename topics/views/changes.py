"""/changes/: every published change to the knowledge base, newest first (as MediaWiki's)."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import quote

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from topics.diffing import DiffStats, diff_context
from topics.models import Revision, Topic
from topics.page_cache import cached_for_readers

CHANGES_PAGE_SIZE = 50
# Measuring a change diffs two whole texts; a page load measures at most this many
# changes nobody has measured yet, and starts none after SIZE_BUDGET seconds.
SIZES_PER_PAGE = 10
SIZE_BUDGET = 0.3
SIZE_CACHE_SECONDS = 30 * 24 * 60 * 60


def published_changes() -> QuerySet[Revision]:
    """Published revisions of published topics, newest first, each with `previous_id`.

    `previous_id` is the topic's revision published just before (None for its
    first), in the order of the history page, so each change can link to its diff.
    """
    published = Q(status=Revision.Status.PUBLISHED)
    earlier = Q(created_at__lt=OuterRef("created_at")) | Q(
        created_at=OuterRef("created_at"), pk__lt=OuterRef("pk")
    )
    previous = (
        Revision.objects.filter(published, earlier, topic=OuterRef("topic"))
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    return (
        Revision.objects.filter(published, topic__status=Topic.Status.PUBLISHED)
        .annotate(previous_id=Subquery(previous))
        .select_related("topic", "author__profile")
        .only(
            "created_at",
            "message",
            "author_name",
            "topic__title",
            "topic__slug",
            "author__username",
            "author__first_name",
            "author__last_name",
            "author__is_active",
            "author__is_staff",
            "author__is_superuser",
            "author__profile__display_name",
        )
        .order_by("-created_at", "-pk")
    )


def slug_urls(name: str) -> Callable[[str], str]:
    """`reverse(name, kwargs={"slug": slug})` for any number of slugs, for one reverse.

    A list links each row to a topic page or two; reversing each link costs
    more than the rest of its row.
    """
    marker = "0slug0"
    before, after = reverse(name, kwargs={"slug": marker}).split(marker)
    return lambda slug: f"{before}{quote(slug)}{after}"


def attach_urls(changes: list[Revision]) -> None:
    """Give each change its links: `url` (what changed), `topic_url` and `history_url`."""
    topic_url, history_url = slug_urls("topic_detail"), slug_urls("topic_history")
    compare_url = slug_urls("topic_compare")
    for change in changes:
        slug = change.topic.slug
        change.topic_url, change.history_url = topic_url(slug), history_url(slug)
        change.url = change_url(change, compare_url)


def change_url(change: Revision, compare_url: Callable[[str], str] | None = None) -> str:
    """Where a change is shown: its diff against the one before, or the first version itself."""
    slug = change.topic.slug
    if change.previous_id is None:
        return reverse("revision_detail", kwargs={"slug": slug, "pk": change.pk})
    compare = compare_url(slug) if compare_url else reverse("topic_compare", kwargs={"slug": slug})
    return f"{compare}?a={change.previous_id}&b={change.pk}"


def _size_key(change: Revision) -> str:
    # Revisions never change, so the words a change added and removed are kept by their ids.
    return f"change-size:v1:{change.previous_id or 0}:{change.pk}"


def attach_sizes(changes: list[Revision]) -> None:
    """Give each change its `size` (DiffStats) when known, measuring a bounded few that are not.

    Sizes come from the cache; the unmeasured ones are diffed (through the compare
    page's cached `diff_context`, so their diffs are ready when opened), newest
    first, at most SIZES_PER_PAGE of them and none started after SIZE_BUDGET.
    """
    keys = {change.pk: _size_key(change) for change in changes}
    known = cache.get_many(keys.values())
    unknown = [change for change in changes if keys[change.pk] not in known][:SIZES_PER_PAGE]
    if unknown:
        ids = {c.pk for c in unknown} | {c.previous_id for c in unknown if c.previous_id}
        texts = Revision.objects.only("title", "summary", "body", "tags").in_bulk(ids)
        started, measured = time.monotonic(), {}
        for change in unknown:
            if time.monotonic() - started > SIZE_BUDGET:
                break
            stats = diff_context(texts.get(change.previous_id), texts[change.pk])["stats"]
            measured[keys[change.pk]] = (stats.inserted, stats.deleted)
        cache.set_many(measured, SIZE_CACHE_SECONDS)
        known.update(measured)
    for change in changes:
        stored = known.get(keys[change.pk])
        change.size = DiffStats(*stored) if stored else None


@require_safe
@cached_for_readers(params=("page",))
def recent_changes(request: HttpRequest) -> HttpResponse:
    page = Paginator(published_changes(), CHANGES_PAGE_SIZE).get_page(request.GET.get("page"))
    changes = list(page)
    attach_sizes(changes)
    attach_urls(changes)
    return render(request, "changes/recent_changes.html", {"page": page, "changes": changes})
