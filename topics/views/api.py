"""A read-only JSON API."""

from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_safe

from topics.models import Reference, Round, Topic
from topics.page_cache import add_page_tags, cached_for_readers
from topics.services import voting


def _topic_summary(request: HttpRequest, topic: Topic) -> dict:
    return {
        "slug": topic.slug,
        "title": topic.title,
        "section": topic.section.slug if topic.section_id else None,
        "parent": None,
        "url": request.build_absolute_uri(topic.get_absolute_url()),
        "summary": topic.summary,
        "tags": [tag.name for tag in topic.tag_list],
        "created": topic.created_at.isoformat(),
        "updated": topic.updated_at.isoformat(),
    }


def _published_parent(topic: Topic) -> str | None:
    """A parent's slug, unless the parent is not public (a draft must not leak)."""
    parent = topic.parent
    return parent.slug if parent and parent.status == Topic.Status.PUBLISHED else None


@require_safe
@cached_for_readers
def topic_list(request: HttpRequest) -> JsonResponse:
    topics = Topic.objects.published().for_list().select_related("parent").in_nav_order()
    items = []
    for topic in topics:
        item = _topic_summary(request, topic)
        item["parent"] = _published_parent(topic)
        items.append(item)
    return JsonResponse({"count": len(items), "results": items})


@require_safe
@cached_for_readers
def topic_detail(request: HttpRequest, slug: str) -> JsonResponse:
    topic = get_object_or_404(
        Topic.objects.published().select_related("section", "parent").with_tags(),
        slug=slug,
    )
    # Purged with the topic's page, and with its section's or parent's when their slugs change.
    shown = [topic.pk, topic.parent_id]
    add_page_tags(request, *(f"topic-{pk}" for pk in shown if pk))
    if topic.section_id:
        add_page_tags(request, f"section-{topic.section_id}")
    data = _topic_summary(request, topic)
    data["parent"] = _published_parent(topic)
    data["body_markdown"] = topic.body
    data["body_html"] = topic.body_html
    data["references"] = [
        {"url": r.url, "title": r.title, "kind": r.kind} for r in Reference.objects.cited_by(topic)
    ]
    return JsonResponse(data)


@require_safe
@cached_for_readers
def reference_list(request: HttpRequest) -> JsonResponse:
    references = Reference.objects.cited().order_by("kind", "title", "pk")
    citing = references.citing_topics()
    items = [
        {
            "url": url,
            "title": title,
            "kind": kind,
            "topics": [slug for _, slug in citing[pk]],
        }
        for pk, url, title, kind in references.values_list("pk", "url", "title", "kind")
    ]
    return JsonResponse({"count": len(items), "results": items})


@require_safe
def round_list(request: HttpRequest) -> JsonResponse:
    rounds = Round.objects.order_by("-closes_at")
    items = [
        {
            "slug": r.slug,
            "title": r.title,
            "state": r.state,
            "opens": r.opens_at.isoformat(),
            "closes": r.closes_at.isoformat(),
            "results": request.build_absolute_uri(
                reverse("api_round_results", kwargs={"slug": r.slug})
            ),
        }
        for r in rounds
    ]
    return JsonResponse({"count": len(items), "results": items})


@require_safe
def round_results(request: HttpRequest, slug: str) -> JsonResponse:
    round_ = get_object_or_404(Round, slug=slug)
    if not round_.results_visible():
        return JsonResponse({"detail": "Results are shown when the round closes."}, status=403)
    results = voting.round_results(round_)
    if not round_.is_closed:
        return JsonResponse(_partial(round_, results))
    tally = results.tally
    return JsonResponse(
        {
            "round": round_.slug,
            "state": round_.state,
            "ballots": tally.ballot_count,
            "candidates": results.candidates,
            "ranking": results.ranking,
            "places": results.places,
            "pairwise": tally.pairwise,
            "strongest_paths": tally.schulze.strongest_paths,
            "steps": [
                {
                    "above": s.winner_group,
                    "below": s.loser_group,
                    "margin": s.margin,
                    "support": results.step_support[i] if i < len(results.step_support) else None,
                }
                for i, s in enumerate(tally.schulze.steps)
            ],
            "first_preferences": tally.first_preferences,
            "borda": tally.borda,
            "groups": {
                g.name: {"ballots": g.ballots, "eligible": g.eligible, "ranking": g.ranking}
                for g in results.groups
            },
            "balanced_ranking": results.balanced_ranking,
            "previous_round": results.previous_round[0] if results.previous_round else None,
            "movement": results.movement,
        }
    )


def _partial(round_: Round, results: voting.RoundResults | None) -> dict:
    """An open round's partial results: the ranking only, counted again every few ballots
    (the counts behind it would let a reader subtract one from the next; see
    voting.partial_results)."""
    return {
        "round": round_.slug,
        "state": round_.state,
        "ballots": results.tally.ballot_count if results else None,
        "candidates": results.candidates if results else [],
        "ranking": results.ranking if results else [],
        "places": results.places if results else {},
        "as_of": results.as_of.isoformat() if results else None,
        "recounted_every": voting.partial_batch(),
    }
