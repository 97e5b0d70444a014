"""A read-only JSON API."""

from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from topics.models import Reference, Topic


def _topic_summary(request: HttpRequest, topic: Topic) -> dict:
    return {
        "slug": topic.slug,
        "title": topic.title,
        "section": topic.section.slug if topic.section_id else None,
        "parent": None,
        "url": request.build_absolute_uri(topic.get_absolute_url()),
        "summary": topic.summary,
        "tags": [tag.name for tag in topic.tags.all()],
        "created": topic.created_at.isoformat(),
        "updated": topic.updated_at.isoformat(),
    }


def _published_parent(topic: Topic) -> str | None:
    """A parent's slug, unless the parent is not public (a draft must not leak)."""
    parent = topic.parent
    return parent.slug if parent and parent.status == Topic.Status.PUBLISHED else None


@require_safe
def topic_list(request: HttpRequest) -> JsonResponse:
    topics = Topic.objects.published().for_list().select_related("parent").in_nav_order()
    items = []
    for topic in topics:
        item = _topic_summary(request, topic)
        item["parent"] = _published_parent(topic)
        items.append(item)
    return JsonResponse({"count": len(items), "results": items})


@require_safe
def topic_detail(request: HttpRequest, slug: str) -> JsonResponse:
    topic = get_object_or_404(
        Topic.objects.published().select_related("section", "parent").prefetch_related("tags"),
        slug=slug,
    )
    data = _topic_summary(request, topic)
    data["parent"] = _published_parent(topic)
    data["body_markdown"] = topic.body
    data["body_html"] = topic.body_html
    data["references"] = [
        {"url": r.url, "title": r.title, "kind": r.kind}
        for r in Reference.objects.filter(citations__topic=topic).order_by("kind", "title")
    ]
    return JsonResponse(data)


@require_safe
def reference_list(request: HttpRequest) -> JsonResponse:
    references = Reference.objects.cited().with_citing_topics().order_by("kind", "title")
    items = [
        {
            "url": r.url,
            "title": r.title,
            "kind": r.kind,
            "topics": [t.slug for t in r.citing_topics],
        }
        for r in references
    ]
    return JsonResponse({"count": len(items), "results": items})
