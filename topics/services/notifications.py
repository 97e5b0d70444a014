"""Emails about the editorial loop, sent once the transaction that caused them commits."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail, send_mass_mail
from django.db import transaction
from django.urls import reverse

from topics.models import ReviewEvent, Revision, Topic, TopicFollow


def _absolute(path: str) -> str:
    return f"{settings.KB_SITE_URL.rstrip('/')}{path}"


def notify_author(*, revision: Revision, event: ReviewEvent) -> None:
    """Tell a revision's author what an editor did with it, and why."""
    author = revision.author
    if author is None or not author.email or event.actor_id == author.pk:
        return
    subject = f"[{settings.KB_SITE_NAME}] {revision.topic.title}: {event.get_action_display()}"
    lines = [
        f"Your change to “{revision.topic.title}” ({revision.message or 'no message'}) "
        f"was marked: {event.get_action_display()}.",
    ]
    if event.comment:
        lines += ["", "The editor wrote:", event.comment]
    lines += ["", f"Your contributions: {_absolute(reverse('my_contributions'))}"]
    message = "\n".join(lines)
    transaction.on_commit(
        lambda: send_mail(subject, message, None, [author.email], fail_silently=True)
    )


def notify_followers(*, topic: Topic, revision: Revision, exclude_user_id: int | None) -> None:
    """Email everyone who follows `topic` that it changed."""
    follows = (
        TopicFollow.objects.filter(topic=topic)
        .exclude(user__email="")
        .exclude(user_id=exclude_user_id)
        .select_related("user")
    )
    subject = f"[{settings.KB_SITE_NAME}] {topic.title} was updated"
    body = (
        f"“{topic.title}” has a new published version: {revision.message or 'no message'}.\n\n"
        f"Read it: {_absolute(topic.get_absolute_url())}\n"
        f"What changed: {_absolute(reverse('topic_history', kwargs={'slug': topic.slug}))}\n\n"
        "You get this because you follow the topic; unfollow on its page."
    )
    messages = [(subject, body, None, [follow.user.email]) for follow in follows]
    if messages:
        transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=True))
