"""Pages for readers: home, sections, topics, references, tags, search, health."""

from collections.abc import Callable
from itertools import groupby

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Case, Count, Exists, OuterRef, Q, When, Window
from django.db.models.functions import Lower
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_safe

from topics.intro_lists import follow_live_order, live_sections
from topics.models import Feedback, Image, Reference, Section, Tag, Topic, TopicFollow
from topics.navigation import published_nav
from topics.page_cache import add_page_tags, cached_for_readers, list_version
from topics.search import MAX_QUERY_LENGTH, search_topics
from topics.views.changes import slug_urls


@require_safe
@cached_for_readers
def home(request: HttpRequest) -> HttpResponse:
    """The introduction, then Contents: every section it does not already list (one order)."""
    nav = published_nav()
    add_page_tags(request, "nav")
    intro = Topic.objects.published().filter(is_home=True).first()
    intro_html, listed = ("", set())
    if intro:
        sections = nav.derived(
            "live_sections",
            lambda: live_sections(nav, lambda slug: reverse("round_results", args=[slug])),
        )
        intro_html, listed = follow_live_order(intro.body_html, sections)
    overview = [
        entry
        for entry in nav
        if (entry.section.pk not in listed if entry.section else not entry.nodes[0].topic.is_home)
    ]
    overview_key = tuple(sorted(listed))
    overview_html = nav.derived(
        ("overview", overview_key),
        lambda: render_to_string(
            "_partials/overview.html", {"overview": overview, "overview_key": overview_key}
        ),
    )
    return render(
        request,
        "topics/home.html",
        {
            "nav": nav,
            "intro": intro,
            # The stored, sanitised HTML, its lists reordered (topics.intro_lists escapes titles).
            "intro_html": mark_safe(intro_html),  # noqa: S308
            "overview": overview,
            "overview_html": overview_html,
        },
    )


@require_safe
@cached_for_readers
def section_detail(request: HttpRequest, slug: str) -> HttpResponse:
    section = get_object_or_404(Section, slug=slug)
    nav = published_nav()
    add_page_tags(request, "nav", f"section-{section.pk}")
    entry = next((e for e in nav if e.section and e.section.pk == section.pk), None)
    return render(
        request, "topics/section_detail.html", {"section": section, "nav": nav, "entry": entry}
    )


@require_safe
@cached_for_readers
def topic_detail(request: HttpRequest, slug: str) -> HttpResponse:
    public = Feedback.objects.filter(Feedback.PUBLIC)
    # Most topics have no public feedback: the topic's own query says so, saving one.
    topic = get_object_or_404(
        Topic.objects.for_page().annotate(
            has_public_feedback=Exists(public.filter(topic=OuterRef("pk")))
        ),
        slug=slug,
    )
    if not topic.visible_to(request.user):
        raise Http404("No such topic.")
    nav = published_nav()
    add_page_tags(request, "nav", f"topic-{topic.pk}")
    previous_node, next_node, number = nav.neighbours(topic)
    references = Reference.objects.cited_by(topic)
    user = request.user
    ranking = nav.ranking_of(topic)
    rank = ranking.places[topic.pk] if ranking else None
    following = (
        user.is_authenticated and TopicFollow.objects.filter(user=user, topic=topic).exists()
    )
    public_feedback = (
        public.filter(topic=topic).select_related("author__profile")
        if topic.has_public_feedback
        else ()
    )
    return render(
        request,
        "topics/topic_detail.html",
        {
            "topic": topic,
            "following": following,
            "rank": rank,
            "ranking": ranking,
            "public_feedback": public_feedback,
            "can_confirm_review": user.has_perm("topics.confirm_review"),
            "nav": nav,
            "number": number,
            "tags": topic.tags.all(),
            "references": references,
            "previous": previous_node,
            "next": next_node,
        },
    )


# pypackaging-native's 373 references fit on one page; at 5,000, a page is built in ~20 ms.
REFERENCES_PER_PAGE = 400
REFERENCE_PAGE_SECONDS = 3600


@require_safe
@cached_for_readers(params=("page",))
def reference_list(request: HttpRequest) -> HttpResponse:
    total, groups_html = reference_page(request.GET.get("page"))
    imported_page = (
        Topic.objects.published().filter(source_path="references.md").only("slug", "title").first()
    )
    page = Paginator(range(total), REFERENCES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "topics/reference_list.html",
        {"groups_html": groups_html, "total": total, "page": page, "imported_page": imported_page},
    )


def reference_page(number: str | None) -> tuple[int, SafeString]:
    """How many references are cited, and one page of them grouped by kind, as HTML.

    Kept in the cache until a write touches what the list shows (a reference,
    a citation, a topic: `list_version`), rendered, so a render after any other
    change costs two cache reads and the page around it.
    """
    version = list_version("reference_list")
    total = cache.get(f"references:v2:{version}:total")
    if total is None:
        total, _ = _reference_groups(version, 1)  # the first page says how many there are
    page = Paginator(range(total), REFERENCES_PER_PAGE).get_page(number)
    return total, _reference_groups(version, page.number)[1]


def _reference_groups(version: str, number: int) -> tuple[int, SafeString]:
    """How many there are, and page `number` grouped by kind as HTML (stored under `version`)."""
    key = f"references:v2:{version}:page:{number}"
    stored = cache.get(key)
    if stored is None:
        # Kinds in their declared order (PEPs first), titles alphabetically within a kind;
        # the total comes with the page (a window), so a page costs one query at any size.
        kind_order = Case(
            *[When(kind=kind, then=index) for index, kind in enumerate(Reference.Kind.values)],
            default=len(Reference.Kind.values),
        )
        start = (number - 1) * REFERENCES_PER_PAGE
        rows = list(
            Reference.objects.filter(pk__in=Reference.objects.cited().values("pk"))
            .annotate(kind_order=kind_order, total=Window(Count("pk")))
            .order_by("kind_order", Lower("title"), "pk")
            .values_list("pk", "url", "title", "kind", "total")[start : start + REFERENCES_PER_PAGE]
        )
        citing = Reference.objects.filter(pk__in=[row[0] for row in rows]).citing_topics()
        topic_url = slug_urls("topic_detail")
        labels = dict(Reference.Kind.choices)
        groups = [
            (
                kind,
                labels.get(kind, kind),
                [
                    _reference_item(url, title, citing[pk], topic_url)
                    for pk, url, title, *_ in items
                ],
            )
            for kind, items in groupby(rows, key=lambda row: row[3])
        ]
        html = render_to_string("topics/_reference_groups.html", {"groups": groups})
        stored = (rows[0][4] if rows else 0, str(html))
        cache.set(key, stored, REFERENCE_PAGE_SECONDS)
        if number == 1:
            cache.set(f"references:v2:{version}:total", stored[0], REFERENCE_PAGE_SECONDS)
    # Rendered from escaped values by our own template just above (or by an earlier request).
    return stored[0], mark_safe(stored[1])  # noqa: S308


def _reference_item(
    url: str, title: str, citing: list[tuple[str, str]], topic_url: Callable[[str], str]
) -> SafeString:
    """One reference in the list: its link, then the topics citing it (title, slug)."""
    links = [format_html('<a href="{}">{}</a>', topic_url(slug), name) for name, slug in citing]
    return format_html(
        '<li><a href="{}" rel="noopener noreferrer">{}</a> <span class="cited-by">cited by {}'
        "</span></li>",
        url,
        title,
        mark_safe(", ".join(links)),  # noqa: S308 (each link built by format_html)
    )


@require_safe
@cached_for_readers
def tag_list(request: HttpRequest) -> HttpResponse:
    """Every tag on a published topic, with how many published topics carry it."""
    published = Q(tagged_topics__content_object__status=Topic.Status.PUBLISHED)
    tags = Tag.objects.annotate(topic_count=Count("tagged_topics", filter=published))
    tags = tags.filter(topic_count__gt=0).order_by("name")
    return render(request, "topics/tag_list.html", {"tags": tags})


@require_safe
@cached_for_readers
def tag_detail(request: HttpRequest, slug: str) -> HttpResponse:
    tag = get_object_or_404(Tag, slug=slug)
    topics = Topic.objects.published().filter(tags=tag).for_list().in_nav_order()
    return render(request, "topics/tag_detail.html", {"tag": tag, "topics": topics})


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    too_long = len(query) > MAX_QUERY_LENGTH
    hits = search_topics(query) if query else []
    return render(
        request,
        "topics/search.html",
        {"query": query, "hits": hits, "too_long": too_long, "max_length": MAX_QUERY_LENGTH},
    )


@require_safe
def legacy_page(request: HttpRequest, path: str) -> HttpResponse:
    """Answer an imported site's original URLs with a permanent redirect.

    A page answers at its directory URL (``/a/b/``) and at the forms a static
    host also serves or a link may use: ``/a/b``, ``/a/b/index.html``,
    ``/a/b.html``, ``/a/b.md``. The site's own ``index.md`` is the home page.
    """
    stem = legacy_stem(path)
    candidates = [f"{stem}.md", f"{stem}/index.md"] if stem else ["index.md"]
    topic = Topic.objects.published().filter(source_path__in=candidates).first()
    if topic:
        return redirect("home" if topic.is_home else topic.get_absolute_url(), permanent=True)
    if not stem:
        return redirect("home", permanent=True)
    section = Section.objects.filter(slug=stem).first()
    if section:
        return redirect(section, permanent=True)
    image = Image.objects.filter(source_path=path.strip("/")).only("file").first()
    if image:
        return redirect(image.file.url, permanent=True)
    raise Http404("No page here.")


def legacy_stem(path: str) -> str:
    """An original URL's page path: "a/b/", "a/b/index.html", "a/b.html", "a/b.md" -> "a/b"."""
    stem = path.strip("/")
    name = stem.rpartition("/")[2]
    if name in {"index.html", "index.htm", "index.md"}:
        return stem.rpartition("/")[0]
    for suffix in (".md", ".html", ".htm"):
        if name.endswith(suffix):
            return stem.removesuffix(suffix)
    return stem


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """No icon, said cheaply and cacheably (our pages declare an empty one; the admin's do not)."""
    response = HttpResponse(status=204)
    response["Cache-Control"] = "public, max-age=86400"
    return response
