"""Stakeholder input: propose a topic, suggest an edit, give feedback, suggest a reference."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from topics import permissions
from topics.forms import (
    EmailPreferenceForm,
    FeedbackForm,
    ProposalForm,
    ReferenceSuggestionForm,
    RevisionForm,
    SuggestEditForm,
)
from topics.models import EmailPreference, Revision, Section, Topic, TopicFollow
from topics.services import contributions, workflow

WRITE_RATE = "30/h"


def _published_topic(slug: str) -> Topic:
    return get_object_or_404(Topic.objects.published().select_related("section"), slug=slug)


@require_http_methods(["GET", "POST"])
@permissions.require(permissions.SUGGEST)
@ratelimit(key="user", rate=WRITE_RATE, method="POST", block=True)
def propose_topic(request: HttpRequest) -> HttpResponse:
    """Propose a new topic, starting from its section's template.

    "Load this section's template" posts the form too, so what was typed is
    kept; the form replaces a text only when nothing typed would be lost or the
    writer ticked "Replace my text with the template".
    """
    if request.method == "POST" and "load_template" in request.POST:
        form, note = ProposalForm.reloaded(request.POST)
        return render(request, "contributing/propose.html", {"form": form, "note": note})
    section = Section.objects.filter(slug=request.GET.get("section", "")).first()
    body = ProposalForm.starting_text(section.topic_template) if section else ""
    form = ProposalForm(request.POST or None, initial={"section": section, "body": body})
    if request.method == "POST" and form.is_valid():
        revision = workflow.propose_topic(
            author=request.user,
            section=form.cleaned_data["section"],
            text=form.text(),
            message=form.cleaned_data["message"],
        )
        messages.success(request, "Thank you: your proposal is waiting for an editor.")
        return redirect(revision.topic)
    return render(request, "contributing/propose.html", {"form": form})


@require_http_methods(["GET", "POST"])
@permissions.require(permissions.SUGGEST)
@ratelimit(key="user", rate=WRITE_RATE, method="POST", block=True)
def suggest_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Suggest a change to a published topic; it waits for review beside the published text."""
    topic = _published_topic(slug)
    current = topic.current_revision
    initial = {
        "title": topic.title,
        "summary": topic.summary,
        "body": topic.body,
        "tags": ", ".join(sorted(tag.name for tag in topic.tags.all())),
        "base": topic.current_revision_id,
    }
    form = SuggestEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        base_id = form.cleaned_data["base"]
        # The version the author started from: one of this topic's published versions
        # (the merge takes it as the common text), never left out while one exists.
        published = topic.revisions.filter(status=Revision.Status.PUBLISHED)
        base = published.filter(pk=base_id).first() if base_id else None
        if base is None and (base_id or current is not None):
            form.add_error(None, "This form refers to a version of the topic that does not exist.")
        else:
            revision = workflow.suggest_edit(
                author=request.user,
                topic=topic,
                base=base,
                text=form.text(),
                message=form.cleaned_data["message"],
            )
            if workflow.is_behind(revision):
                messages.warning(
                    request,
                    "The topic was updated while you were writing. Your suggestion is saved; "
                    "the editor will see both changes.",
                )
            else:
                messages.success(request, "Thank you: your suggestion is waiting for an editor.")
            return redirect("account_contributions")
    pending = (
        topic.revisions.filter(status__in=Revision.OPEN_STATUSES)
        .select_related("author__profile")
        .defer("body")
        .order_by("created_at")
    )
    return render(
        request,
        "contributing/suggest_edit.html",
        {"form": form, "topic": topic, "current": current, "pending": pending},
    )


@require_http_methods(["GET", "POST"])
@permissions.require(permissions.SUGGEST)
@ratelimit(key="user", rate=WRITE_RATE, method="POST", block=True)
def revise(request: HttpRequest, pk: int) -> HttpResponse:
    """The author revises a suggestion after an editor asked for changes."""
    revision = get_object_or_404(Revision.objects.select_related("topic"), pk=pk)
    if revision.author_id != request.user.pk:
        raise Http404("No such suggestion of yours.")
    initial = {
        "title": revision.title,
        "summary": revision.summary,
        "body": revision.body,
        "tags": revision.tags,
        "message": revision.message,
    }
    form = RevisionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            workflow.revise(
                revision=revision,
                by=request.user,
                text=form.text(),
                message=form.cleaned_data["message"],
            )
        except workflow.WorkflowError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Your revised suggestion is waiting for an editor.")
            return redirect("account_contributions")
    events = revision.events.select_related("actor")
    return render(
        request,
        "contributing/revise.html",
        {"form": form, "revision": revision, "events": events},
    )


@require_http_methods(["GET", "POST"])
@permissions.require(permissions.FEEDBACK)
@ratelimit(key="user", rate=WRITE_RATE, method="POST", block=True)
def give_feedback(request: HttpRequest, slug: str) -> HttpResponse:
    topic = _published_topic(slug)
    form = FeedbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        contributions.give_feedback(
            author=request.user,
            topic=topic,
            body=form.cleaned_data["body"],
            wants_public=form.cleaned_data["wants_public"],
        )
        messages.success(request, "Thank you: the editors will read your feedback.")
        return redirect(topic)
    return render(request, "contributing/feedback.html", {"form": form, "topic": topic})


@require_http_methods(["GET", "POST"])
@permissions.require(permissions.SUGGEST_REFERENCE)
@ratelimit(key="user", rate=WRITE_RATE, method="POST", block=True)
def suggest_reference(request: HttpRequest, slug: str) -> HttpResponse:
    topic = _published_topic(slug)
    form = ReferenceSuggestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        contributions.suggest_reference(author=request.user, topic=topic, **form.cleaned_data)
        messages.success(request, "Thank you: an editor will look at the reference.")
        return redirect(topic)
    return render(request, "contributing/suggest_reference.html", {"form": form, "topic": topic})


@require_POST
@permissions.require(permissions.FOLLOW)
@ratelimit(key="user", rate="60/h", block=True)
def follow(request: HttpRequest, slug: str) -> HttpResponse:
    """Follow or unfollow a topic (emails when it changes).

    Only a published topic can be followed; one followed can be unfollowed
    whatever became of it since (archived, say).
    """
    if request.POST.get("follow") == "0":
        topic = get_object_or_404(Topic, slug=slug, follows__user=request.user)
        contributions.unfollow_topic(user=request.user, topic=topic)
        messages.success(request, f"You no longer follow “{topic.title}”.")
    else:
        topic = _published_topic(slug)
        contributions.follow_topic(user=request.user, topic=topic)
        messages.success(request, f"You will get an email when “{topic.title}” changes.")
    if request.POST.get("next") == "following" or not topic.is_published:
        return redirect("account_following")
    return redirect(topic)


@login_required
@require_http_methods(["GET", "POST"])
@ratelimit(key="user", rate="60/h", method="POST", block=True)
def following(request: HttpRequest) -> HttpResponse:
    """Every topic the user follows, each with a one-click unfollow, and how often to email."""
    preference = EmailPreference.objects.filter(user=request.user).first() or EmailPreference(
        user=request.user
    )
    form = EmailPreferenceForm(request.POST or None, instance=preference)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Emails: {preference.get_frequency_display().lower()}.")
        return redirect("account_following")
    # Topics archived since are listed too, so they can be unfollowed (not linked: no page).
    follows = (
        TopicFollow.objects.filter(user=request.user)
        .select_related("topic__section")
        .order_by("topic__title")
    )
    return render(request, "accounts/following.html", {"follows": follows, "form": form})
