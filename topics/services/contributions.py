"""Feedback, suggested references, follows and stakeholder verification."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from topics import permissions
from topics.markdown import render
from topics.models import (
    Citation,
    Feedback,
    Input,
    Profile,
    ReferenceSuggestion,
    ReviewEvent,
    Topic,
    TopicFollow,
)
from topics.reference_kinds import normalise_url
from topics.services import notifications
from topics.services.content import reference_for
from topics.services.workflow import InvalidTransition, WorkflowError, check_allowed


@transaction.atomic
def give_feedback(*, author, topic: Topic, body: str, wants_public: bool) -> Feedback:
    """Leave a comment for the editors about a topic (Markdown, rendered and sanitised once)."""
    feedback = Feedback.objects.create(
        topic=topic,
        author=author,
        body=body,
        body_html=render(body).html,
        wants_public=wants_public,
    )
    notifications.notify_editors_of_feedback(feedback=feedback)
    return feedback


def _lock_pending(item: Input, what: str, *, accept: bool, answer: str) -> Input:
    """Lock a piece of input for a decision; refuse one already decided or a bare refusal."""
    item = type(item).objects.select_for_update().get(pk=item.pk)
    if not item.is_pending:
        raise InvalidTransition(f"This {what} was already reviewed.")
    if not accept and not answer.strip():
        raise WorkflowError(f"Say why the {what} is declined: its author sees it.")
    return item


def _decide(item: Input, *, by, accept: bool, answer: str, subject: str) -> Input:
    """Record an editor's decision on `item`, as a review event its author hears of."""
    item.status = Input.Status.ACCEPTED if accept else Input.Status.DECLINED
    item.answer, item.reviewed_by, item.reviewed_at = answer, by, timezone.now()
    item.save()
    event = ReviewEvent.objects.create(
        actor=by,
        comment=answer,
        action=ReviewEvent.Action.ACCEPTED if accept else ReviewEvent.Action.DECLINED,
        **{subject: item},
    )
    notifications.notify_input_decision(item=item, event=event)
    return item


@transaction.atomic
def review_feedback(*, feedback: Feedback, by, accept: bool, answer: str = "") -> Feedback:
    """Accept (and publish, if its author asked) or decline a piece of feedback."""
    check_allowed(by, permissions.REVIEW, "review feedback")
    feedback = _lock_pending(feedback, "feedback", accept=accept, answer=answer)
    return _decide(feedback, by=by, accept=accept, answer=answer, subject="feedback")


@transaction.atomic
def suggest_reference(
    *, author, topic: Topic, url: str, title: str, kind: str, note: str = ""
) -> ReferenceSuggestion:
    """Propose that `topic` cite a source."""
    suggestion = ReferenceSuggestion.objects.create(
        topic=topic, author=author, url=normalise_url(url), title=title, kind=kind, note=note
    )
    notifications.notify_editors_of_reference(suggestion=suggestion)
    return suggestion


@transaction.atomic
def review_reference_suggestion(
    *, suggestion: ReferenceSuggestion, by, accept: bool, answer: str = ""
) -> ReferenceSuggestion:
    """Accept a suggested reference (the topic then cites it) or decline it with a reason."""
    check_allowed(by, permissions.REVIEW, "review suggested references")
    suggestion = _lock_pending(suggestion, "suggestion", accept=accept, answer=answer)
    if accept:
        reference = reference_for(url=suggestion.url, title=suggestion.title, kind=suggestion.kind)
        Citation.objects.get_or_create(
            topic=suggestion.topic,
            reference=reference,
            defaults={"text": suggestion.title, "from_body": False},
        )
        suggestion.reference = reference
    return _decide(suggestion, by=by, accept=accept, answer=answer, subject="reference_suggestion")


def follow_topic(*, user, topic: Topic) -> None:
    """Email `user` when `topic` changes (following twice is harmless)."""
    try:
        with transaction.atomic():
            TopicFollow.objects.create(user=user, topic=topic)
    except IntegrityError:
        pass


def unfollow_topic(*, user, topic: Topic) -> None:
    TopicFollow.objects.filter(user=user, topic=topic).delete()


@transaction.atomic
def verify_stakeholder(*, profile: Profile, by) -> Profile:
    """Mark a stakeholder as verified (their ballots count in votes), never by themselves."""
    check_allowed(by, permissions.VERIFY, "verify stakeholders")
    if by is not None and profile.user_id == by.pk:
        raise WorkflowError("Another editor verifies you: nobody verifies themselves.")
    if profile.verified_at is None:
        profile.verified_at, profile.verified_by = timezone.now(), by
        profile.save(update_fields=["verified_at", "verified_by"])
        notifications.notify_verified(profile=profile)
    return profile
