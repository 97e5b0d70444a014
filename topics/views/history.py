"""A topic's history: every revision, comparisons, restoring, freshness."""

from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from topics import permissions
from topics.diffing import diff_context
from topics.forms import RestoreForm, rebound
from topics.markdown import MarkdownError
from topics.models import Revision, Topic
from topics.services import workflow

HISTORY_PAGE_SIZE = 100


def visible_topic(request: HttpRequest, slug: str) -> Topic:
    topic = get_object_or_404(
        Topic.objects.select_related("section", "current_revision"), slug=slug
    )
    if not topic.visible_to(request.user):
        raise Http404("No such topic.")
    return topic


def visible_revisions(request: HttpRequest, topic: Topic) -> QuerySet[Revision]:
    return topic.revisions.select_related("author__profile").visible_to(request.user)


@require_safe
def topic_history(request: HttpRequest, slug: str) -> HttpResponse:
    topic = visible_topic(request, slug)
    revisions = visible_revisions(request, topic).defer("body").order_by("-created_at", "-id")
    page = Paginator(revisions, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "history/history.html",
        {"topic": topic, "page": page, "can_restore": request.user.has_perm(permissions.RESTORE)},
    )


@require_safe
def compare(request: HttpRequest, slug: str) -> HttpResponse:
    """Two revisions side by side as a word-level diff (?a=older&b=newer)."""
    topic = visible_topic(request, slug)
    try:
        ids = [int(request.GET["a"]), int(request.GET["b"])]
    except (KeyError, ValueError) as exc:
        raise Http404("Choose two revisions to compare.") from exc
    if not all(0 < pk < 2**63 for pk in ids):
        raise Http404("No such revision of this topic.")
    found = {r.pk: r for r in visible_revisions(request, topic).filter(pk__in=ids)}
    if len(found) != len(set(ids)):
        raise Http404("No such revision of this topic.")
    old, new = sorted((found[ids[0]], found[ids[1]]), key=lambda r: (r.created_at, r.pk))
    return render(
        request,
        "history/compare.html",
        {"topic": topic, "old": old, "new": new, "diff": diff_context(old, new)},
    )


@require_safe
def revision_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    topic = visible_topic(request, slug)
    revision = get_object_or_404(visible_revisions(request, topic), pk=pk)
    html = cache.get(f"revision-html:{revision.pk}")
    if html is None:
        # Revisions never change, so their rendering is cached for good.
        try:
            html = Topic(body=revision.body, source_path=topic.source_path).render().html
        except MarkdownError as error:
            html = format_html('<p class="render-error">{}</p>', error)
        cache.set(f"revision-html:{revision.pk}", html, None)
    return render(
        request,
        "history/revision.html",
        {
            "topic": topic,
            "revision": revision,
            "html": html,
            "can_restore": request.user.has_perm(permissions.RESTORE),
        },
    )


@require_http_methods(["GET", "POST"])
@permissions.require(permissions.RESTORE)
def restore(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Ask for confirmation and a reason, then publish an old text again as a new revision."""
    topic = visible_topic(request, slug)
    revision = get_object_or_404(
        Revision.objects.select_related("author__profile"), pk=pk, topic=topic
    )
    form = RestoreForm(request.POST or None, initial={"seen": topic.current_revision_id})
    if request.method == "POST" and form.is_valid():
        try:
            workflow.restore_revision(
                revision=revision,
                by=request.user,
                reason=form.cleaned_data["reason"],
                seen=form.cleaned_data["seen"],
            )
        except workflow.PublishedMeanwhile as error:
            # The page shows what restoring would change now; the reason typed is kept.
            topic.refresh_from_db()
            form = rebound(form, seen=topic.current_revision_id)
            form.is_valid()
            form.add_error(None, str(error))
        except workflow.WorkflowError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "The old text is published again, as a new revision.")
            return redirect(topic)
    current = topic.current_revision
    return render(
        request,
        "history/restore.html",
        {
            "topic": topic,
            "revision": revision,
            "form": form,
            "diff": diff_context(current, revision) if current else None,
        },
        status=400 if form.errors else 200,
    )


@require_POST
@permissions.require(permissions.CONFIRM_REVIEW)
def confirm_reviewed(request: HttpRequest, slug: str) -> HttpResponse:
    topic = visible_topic(request, slug)
    workflow.confirm_reviewed(topic=topic, by=request.user)
    messages.success(request, f"“{topic.title}” is marked as reviewed today.")
    target = request.POST.get("next", "")
    # A path on this site, or the topic: never a view name (redirect() would try to reverse
    # "foo" and fail, after the mark was saved) nor another host.
    local = target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    )
    return HttpResponseRedirect(target if local else topic.get_absolute_url())
