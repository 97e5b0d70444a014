"""The editors' side: the review queue, decisions, merges, freshness, verification."""

from django.conf import settings
from django.contrib import messages
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from topics import permissions
from topics.diffing import diff_context
from topics.forms import DecisionForm, MergeForm, rebound
from topics.models import Feedback, Input, Profile, ReferenceSuggestion, Revision, Topic
from topics.services import contributions, workflow

QUEUE_LIMIT = 200
# A suggestion is behind when the topic has a published text it was not written from.
BEHIND = ExpressionWrapper(
    Q(topic__current_revision__isnull=False)
    & (Q(based_on__isnull=True) | ~Q(based_on=F("topic__current_revision"))),
    output_field=BooleanField(),
)


@require_safe
@permissions.require(permissions.REVIEW)
def queue(request: HttpRequest) -> HttpResponse:
    """Everything waiting for an editor, oldest first."""
    revisions = (
        Revision.objects.filter(status__in=Revision.OPEN_STATUSES)
        .select_related("topic", "author__profile")
        .annotate(behind=BEHIND)
        .defer("body")
        .order_by("created_at")[:QUEUE_LIMIT]
    )
    feedback = (
        Feedback.objects.filter(status=Input.Status.PENDING)
        .select_related("topic", "author__profile")
        .order_by("created_at")[:QUEUE_LIMIT]
    )
    suggestions = (
        ReferenceSuggestion.objects.filter(status=Input.Status.PENDING)
        .select_related("topic", "author__profile")
        .order_by("created_at")[:QUEUE_LIMIT]
    )
    return render(
        request,
        "review/queue.html",
        {"revisions": revisions, "feedback": feedback, "suggestions": suggestions},
    )


@require_http_methods(["GET", "POST"])
@permissions.require(permissions.REVIEW)
def review_revision(request: HttpRequest, pk: int) -> HttpResponse:
    """One suggestion against the published text, with the editor's decision."""
    revision = get_object_or_404(
        Revision.objects.select_related("topic__current_revision", "author__profile", "based_on"),
        pk=pk,
    )
    topic = revision.topic
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        action, comment = form.cleaned_data["action"], form.cleaned_data["comment"]
        if action == "publish" and not request.user.has_perm(permissions.PUBLISH):
            form.add_error("action", "You may review but not publish.")
        else:
            try:
                if action == "publish":
                    workflow.publish_revision(revision=revision, by=request.user, note=comment)
                    messages.success(request, f"Published: “{topic.title}” now shows this text.")
                    return redirect(topic)
                if action == "request_changes":
                    workflow.request_changes(revision=revision, by=request.user, comment=comment)
                    messages.success(request, "Changes requested; the author has been told.")
                else:
                    workflow.reject_revision(revision=revision, by=request.user, reason=comment)
                    messages.success(request, "Rejected; the author has been told why.")
                return redirect("review_queue")
            except workflow.Conflict as error:
                messages.warning(request, str(error))
                return redirect("review_merge", pk=revision.pk)
            except workflow.WorkflowError as error:
                form.add_error(None, str(error))
    behind = workflow.is_behind(revision)
    context = {
        "revision": revision,
        "topic": topic,
        "form": form,
        "behind": behind,
        "events": revision.events.select_related("actor__profile"),
        "diff": diff_context(topic.current_revision, revision),
    }
    if behind:
        merged, conflicts = workflow.merge_with_published(revision)
        context["conflicts"] = conflicts
        context["merged"] = diff_context(topic.current_revision, merged)
        context["published_since"] = diff_context(revision.based_on, topic.current_revision)
        context["suggested"] = diff_context(revision.based_on, revision)
    return render(request, "review/revision.html", context)


@require_http_methods(["GET", "POST"])
@permissions.require(permissions.REVIEW, permissions.PUBLISH)
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish a suggestion that is behind by merging it with the text published since."""
    revision = get_object_or_404(
        Revision.objects.select_related("topic__current_revision", "based_on"), pk=pk
    )
    topic = revision.topic
    if not workflow.is_behind(revision) or revision.status not in Revision.OPEN_STATUSES:
        messages.info(request, "This suggestion has no conflict to merge: review it directly.")
        return redirect("review_revision", pk=revision.pk)
    merged, conflicts = workflow.merge_with_published(revision)
    initial = {
        "title": merged.title,
        "summary": merged.summary,
        "body": merged.body,
        "tags": merged.tags,
        "seen": topic.current_revision_id,
    }
    form = MergeForm(request.POST or None, initial=initial)
    meanwhile = None
    if request.method == "POST" and form.is_valid():
        try:
            workflow.publish_revision(
                revision=revision,
                by=request.user,
                note=form.cleaned_data["note"],
                merged=form.text(),
                seen=form.cleaned_data["seen"],
            )
        except workflow.PublishedMeanwhile as error:
            # Nothing was published: the editor's text, merged with the newer one, comes back.
            form, conflicts, meanwhile = _merge_again(form, topic, error)
            messages.warning(request, str(error))
        except workflow.WorkflowError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "The merged text is published; the suggestion is kept.")
            return redirect(topic)
    return render(
        request,
        "review/merge.html",
        {
            "form": form,
            "revision": revision,
            "topic": topic,
            "conflicts": conflicts,
            "meanwhile": meanwhile,
            "published_since": diff_context(revision.based_on, topic.current_revision),
            "suggested": diff_context(revision.based_on, revision),
        },
    )


def _merge_again(form: MergeForm, topic: Topic, error: workflow.PublishedMeanwhile):
    """The editor's merged text merged again with what was published while they worked.

    Returns the form holding it (everything else they typed kept), its number of
    conflicts, and the diff of what was published meanwhile.
    """
    text, conflicts, seen, current = workflow.merge_published_meanwhile(
        topic=topic, seen=error.seen, text=form.text()
    )
    topic.refresh_from_db()
    form = rebound(
        form,
        title=text.title,
        summary=text.summary,
        body=text.body,
        tags=text.tags,
        seen=topic.current_revision_id,
    )
    return form, conflicts, diff_context(seen, current)


def _decide(request: HttpRequest, decide, *, text_field: str, done: tuple[str, str]):
    """Accept or decline a queued item with the editor's text; report the outcome."""
    accept = request.POST.get("decision") == "accept"
    text = request.POST.get(text_field, "").replace("\x00", "")
    try:
        decide(by=request.user, accept=accept, text=text)
    except workflow.WorkflowError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done[0] if accept else done[1])
    return redirect("review_queue")


@require_POST
@permissions.require(permissions.REVIEW)
def review_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    feedback = get_object_or_404(Feedback, pk=pk)

    def decide(*, by, accept, text):
        contributions.review_feedback(feedback=feedback, by=by, accept=accept, answer=text)

    return _decide(
        request, decide, text_field="answer", done=("Feedback accepted.", "Feedback declined.")
    )


@require_POST
@permissions.require(permissions.REVIEW)
def review_reference(request: HttpRequest, pk: int) -> HttpResponse:
    suggestion = get_object_or_404(ReferenceSuggestion, pk=pk)

    def decide(*, by, accept, text):
        contributions.review_reference_suggestion(
            suggestion=suggestion, by=by, accept=accept, answer=text
        )

    return _decide(
        request, decide, text_field="answer", done=("Reference added.", "Suggestion declined.")
    )


@require_safe
@permissions.require(permissions.CONFIRM_REVIEW)
def due_for_review(request: HttpRequest) -> HttpResponse:
    """Published topics nobody has confirmed within the review period, oldest first."""
    topics = (
        Topic.objects.due_for_review()
        .select_related("section")
        .only("title", "slug", "section__title", "last_reviewed_at", "updated_at")
    )
    return render(
        request,
        "review/due_for_review.html",
        {"topics": topics, "period": settings.KB_REVIEW_PERIOD_DAYS},
    )


@require_http_methods(["GET", "POST"])
@permissions.require(permissions.VERIFY)
def stakeholders(request: HttpRequest) -> HttpResponse:
    """Verify stakeholders so that their ballots count."""
    if request.method == "POST":
        profile_id = request.POST.get("profile", "")
        # Only plain ASCII digits that fit a bigint: str.isdigit() also accepts "²"
        # (which int() refuses) and "٣" (which int() reads as 3).
        if not (profile_id.isascii() and profile_id.isdigit() and len(profile_id) <= 18):
            raise Http404("No such stakeholder.")
        profile = get_object_or_404(Profile, pk=int(profile_id))
        try:
            contributions.verify_stakeholder(profile=profile, by=request.user)
        except workflow.WorkflowError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"{profile.display_name} is verified.")
        return redirect("review_stakeholders")
    profiles = (
        Profile.objects.select_related("user", "group", "verified_by__profile")
        .annotate(contributions=Count("user__revisions"))
        .order_by(F("verified_at").asc(nulls_first=True), "display_name")
    )
    return render(request, "review/stakeholders.html", {"profiles": profiles})
