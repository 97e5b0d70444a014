"""Emails about the editorial loop, sent once the transaction that caused them commits.

Everyone is told what concerns them: editors of new input and of sign-ups
waiting for verification, authors of every decision on their input,
stakeholders when they are verified, followers of every published change.
Each person chooses (EmailPreference) to get these at once, in one daily
digest (``manage.py send_digests``, run by cron), or not at all. Links are
built from ``KB_SITE_URL``, never from a request's Host header.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from topics import permissions
from topics.models import (
    EmailPreference,
    Feedback,
    Notification,
    Profile,
    ReferenceSuggestion,
    ReviewEvent,
    Revision,
    Topic,
    TopicFollow,
    display_name,
)


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    permission: str = ""  # what a recipient must still hold when a digest sends it


def absolute(path: str) -> str:
    """An absolute link on the configured site address."""
    return f"{settings.KB_SITE_URL.rstrip('/')}{path}"


def _subject(text: str) -> str:
    return f"[{settings.KB_SITE_NAME}] {text}"[:300]


def _footer() -> str:
    return (
        "\n\n--\nChoose how often you get these emails (at once, a daily digest, or never): "
        f"{absolute(reverse('account_following'))}"
    )


def deliver(users: Iterable, message: Message, *, exclude_user_id: int | None = None) -> int:
    """Send `message` to each user as they chose: now, in the daily digest, or not at all.

    Returns how many people will hear of it. Emails go out when the current
    transaction commits, so a rolled-back change tells nobody.
    """
    recipients = {
        user.pk: user
        for user in users
        if user.email and user.is_active and user.pk != exclude_user_id
    }
    if not recipients:
        return 0
    chosen = dict(
        EmailPreference.objects.filter(user_id__in=recipients).values_list("user_id", "frequency")
    )
    now, later = [], []
    for pk, user in recipients.items():
        frequency = chosen.get(pk, EmailPreference.Frequency.IMMEDIATE)
        if frequency == EmailPreference.Frequency.IMMEDIATE:
            now.append(user.email)
        elif frequency == EmailPreference.Frequency.DAILY:
            later.append(
                Notification(
                    user=user,
                    subject=message.subject,
                    body=message.body,
                    permission=message.permission,
                )
            )
    Notification.objects.bulk_create(later)
    if now:
        mails = [(message.subject, message.body + _footer(), None, [email]) for email in now]
        transaction.on_commit(lambda: send_mass_mail(mails, fail_silently=True))
    return len(now) + len(later)


def editors(permission: str = permissions.REVIEW):
    """Active users who hold `permission` (through a group, directly, or as superusers)."""
    users = get_user_model().objects.with_perm(
        permission, backend="django.contrib.auth.backends.ModelBackend"
    )
    return users.filter(is_active=True).exclude(email="")


# --- To editors -------------------------------------------------------------------------


def notify_editors_of_revision(*, revision: Revision, event: ReviewEvent) -> None:
    """A new suggestion, proposal or revised suggestion waits for review."""
    kind = {
        ReviewEvent.Action.RESUBMITTED: "A revised suggestion",
    }.get(event.action, "A new topic is proposed" if revision.topic.status == "draft" else "")
    kind = kind or "A suggested edit"
    message = Message(
        _subject(f"{kind}: {revision.topic.title}"),
        f"{kind} for “{revision.topic.title}” by {revision.author_display}: "
        f"{revision.message or 'no message'}.\n\n"
        f"Review it: {absolute(reverse('review_revision', kwargs={'pk': revision.pk}))}",
        permissions.REVIEW,
    )
    deliver(editors(), message, exclude_user_id=revision.author_id)


def notify_editors_of_feedback(*, feedback: Feedback) -> None:
    who = display_name(feedback.author) if feedback.author else "Someone"
    message = Message(
        _subject(f"New feedback on {feedback.topic.title}"),
        f"{who} left feedback on “{feedback.topic.title}”:\n\n"
        f"{feedback.body[:2000]}\n\nReview it: {absolute(reverse('review_queue'))}",
        permissions.REVIEW,
    )
    deliver(editors(), message, exclude_user_id=feedback.author_id)


def notify_editors_of_reference(*, suggestion: ReferenceSuggestion) -> None:
    who = display_name(suggestion.author) if suggestion.author else "Someone"
    message = Message(
        _subject(f"A suggested reference for {suggestion.topic.title}"),
        f"{who} suggests that “{suggestion.topic.title}” cite "
        f"“{suggestion.title}” ({suggestion.url}).\n\n"
        f"Review it: {absolute(reverse('review_queue'))}",
        permissions.REVIEW,
    )
    deliver(editors(), message, exclude_user_id=suggestion.author_id)


def notify_editors_of_signup(*, profile: Profile) -> None:
    """A new stakeholder waits for verification."""
    group = profile.group.name if profile.group else "no group"
    message = Message(
        _subject(f"A new stakeholder to verify: {profile.display_name}"),
        f"{profile.display_name} ({profile.user.email}; {profile.affiliation or 'no affiliation'}; "
        f"{group}) signed up and waits for verification.\n\n"
        f"Verify: {absolute(reverse('review_stakeholders'))}",
        permissions.VERIFY,
    )
    deliver(editors(permissions.VERIFY), message, exclude_user_id=profile.user_id)


# --- To authors and stakeholders ----------------------------------------------------------


def notify_author(*, revision: Revision, event: ReviewEvent) -> None:
    """Tell a revision's author what an editor did with it, and why."""
    author = revision.author
    if author is None or event.actor_id == author.pk:
        return
    lines = [
        f"Your change to “{revision.topic.title}” ({revision.message or 'no message'}) "
        f"was marked: {event.get_action_display()}.",
    ]
    if event.comment:
        lines += ["", "The editor wrote:", event.comment]
    lines += ["", f"Your contributions: {absolute(reverse('account_contributions'))}"]
    message = Message(
        _subject(f"{revision.topic.title}: {event.get_action_display()}"), "\n".join(lines)
    )
    deliver([author], message)


def notify_input_decision(*, item: Feedback | ReferenceSuggestion, event: ReviewEvent) -> None:
    """Tell the author of feedback or a suggested reference what an editor decided."""
    author = item.author
    if author is None or event.actor_id == author.pk:
        return
    what = "feedback" if isinstance(item, Feedback) else f"suggested reference “{item.title}”"
    lines = [
        f"Your {what} on “{item.topic.title}” was {event.get_action_display().lower()}.",
    ]
    if event.comment:
        lines += ["", "The editor wrote:", event.comment]
    lines += ["", f"Your contributions: {absolute(reverse('account_contributions'))}"]
    short = "feedback" if isinstance(item, Feedback) else "suggested reference"
    decided = event.get_action_display().lower()
    message = Message(_subject(f"{item.topic.title}: your {short} was {decided}"), "\n".join(lines))
    deliver([author], message)


def notify_verified(*, profile: Profile) -> None:
    message = Message(
        _subject("Your account is verified"),
        f"Hello {profile.display_name},\n\nAn editor verified your account"
        f"{f' as a member of {profile.group.name}' if profile.group else ''}: your ballots now "
        f"count in votes.\n\nOpen rounds: {absolute(reverse('round_list'))}",
    )
    deliver([profile.user], message)


def send_receipt(*, user, round_, receipt: str) -> None:
    """Email a voter the receipt of the ballot they just cast (always at once: it is shown once)."""
    if not user.email:
        return
    csv_url = absolute(reverse("round_ballots_csv", kwargs={"slug": round_.slug}))
    body = (
        f"Your ballot in “{round_.title}” is saved.\n\n"
        f"Your receipt: {receipt}\n\n"
        "Keep it: the site stores only its SHA-256, and shows it to nobody. When the round "
        f"closes, the anonymised ballots are published at {csv_url} with the SHA-256 of each "
        "receipt beside its ballot, so you can check that your ballot was counted as you cast "
        f"it. How: {absolute(reverse('round_verify'))}\n\n"
        "If you change your ballot, you get a new receipt and this one no longer counts."
    )
    message = Message(_subject(f"Your receipt for {round_.title}"), body)
    transaction.on_commit(
        lambda: send_mass_mail(
            [(message.subject, message.body, None, [user.email])], fail_silently=True
        )
    )


# --- To followers ---------------------------------------------------------------------


def notify_followers(*, topic: Topic, revision: Revision, exclude_user_id: int | None) -> None:
    """Tell everyone who follows `topic` that a new text is published (admin edits too)."""
    follows = TopicFollow.objects.filter(topic=topic).select_related("user")
    previous = (
        Revision.objects.filter(topic=topic, status=Revision.Status.PUBLISHED)
        .filter(
            Q(created_at__lt=revision.created_at)
            | Q(created_at=revision.created_at, pk__lt=revision.pk)
        )
        .exclude(pk=revision.pk)
        .order_by("-created_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    slug = {"slug": topic.slug}
    changed = (
        f"{absolute(reverse('topic_compare', kwargs=slug))}?a={previous}&b={revision.pk}"
        if previous
        else absolute(reverse("topic_history", kwargs=slug))
    )
    message = Message(
        _subject(f"{topic.title} was updated"),
        f"“{topic.title}” has a new published version by {revision.author_display}: "
        f"{revision.message or 'no message'}.\n\n"
        f"Read it: {absolute(topic.get_absolute_url())}\n"
        f"What changed: {changed}\n\n"
        f"You get this because you follow the topic; stop following it here: "
        f"{absolute(reverse('account_following'))}",
    )
    deliver((follow.user for follow in follows), message, exclude_user_id=exclude_user_id)


def send_digests(*, now=None) -> int:
    """Send each person one email with their kept notifications; return how many were sent."""
    now = now or timezone.now()
    sent = 0
    users = Notification.objects.filter(sent_at=None).values_list("user_id", flat=True).distinct()
    for user_id in list(users):
        with transaction.atomic():
            pending = list(
                Notification.objects.select_for_update(skip_locked=True)
                .filter(user_id=user_id, sent_at=None)
                .select_related("user")
                .order_by("created_at", "pk")
            )
            if not pending:
                continue
            user = pending[0].user
            Notification.objects.filter(pk__in=[n.pk for n in pending]).update(sent_at=now)
            # Kept for a role the person no longer holds (private input for editors): dropped.
            pending = [n for n in pending if not n.permission or user.has_perm(n.permission)]
            if not pending or not user.email or not user.is_active:
                continue
            parts = [
                f"{n.created_at:%Y-%m-%d %H:%M} UTC · {n.subject}\n\n{n.body}" for n in pending
            ]
            count = len(pending)
            subject = _subject(f"Your daily digest: {count} update{'s' if count > 1 else ''}")
            body = ("\n\n" + "=" * 60 + "\n\n").join(parts) + _footer()
            # Sent inside the transaction: if the mail server refuses, nothing is marked sent.
            send_mass_mail([(subject, body, None, [user.email])], fail_silently=False)
            sent += 1
    return sent
