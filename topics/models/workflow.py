"""The editorial loop: review events, feedback, suggested references, follows."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from topics.models.content import Reference, Revision, Topic
from topics.models.site import ContentQuerySet


class ReviewEvent(models.Model):
    """One decision on a piece of input (a revision, feedback or a suggested reference)."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        RESUBMITTED = "resubmitted", _("Revised and resubmitted")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        PUBLISHED = "published", _("Published")
        REJECTED = "rejected", _("Rejected")
        MERGED = "merged", _("Merged into a newer text")
        RESTORED = "restored", _("Restored")
        EDITED = "edited", _("Edited directly")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    revision = models.ForeignKey(
        Revision, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    feedback = models.ForeignKey(
        "Feedback", null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    reference_suggestion = models.ForeignKey(
        "ReferenceSuggestion",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="events",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="review_events",
    )
    action = models.CharField(max_length=30, choices=Action)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="review_event_has_one_subject",
                condition=(
                    models.Q(revision__isnull=False, feedback=None, reference_suggestion=None)
                    | models.Q(revision=None, feedback__isnull=False, reference_suggestion=None)
                    | models.Q(revision=None, feedback=None, reference_suggestion__isnull=False)
                ),
            )
        ]

    def __str__(self) -> str:
        subject = self.revision_id or self.feedback_id or self.reference_suggestion_id
        return f"{self.get_action_display()} #{subject}"


class Input(models.Model):
    """What feedback and a suggested reference share: one status vocabulary, one answer."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting an editor")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    status = models.CharField(max_length=20, choices=Status, default=Status.PENDING, db_index=True)
    answer = models.TextField(
        blank=True, help_text=_("The editor's answer; a reason when declined.")
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    @property
    def is_pending(self) -> bool:
        return self.status == Input.Status.PENDING


class Feedback(Input):
    """A comment on a topic to the editors; public once accepted, if its author wants."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="feedback")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feedback"
    )
    body = models.TextField()
    body_html = models.TextField(blank=True, editable=False)
    wants_public = models.BooleanField(
        default=False, help_text=_("Show it under the topic once an editor accepts it.")
    )

    # Shown under its topic: `is_public`, as a filter.
    PUBLIC = models.Q(wants_public=True, status=Input.Status.ACCEPTED)

    objects = ContentQuerySet.as_manager()

    class Meta(Input.Meta):
        verbose_name_plural = _("feedback")

    def __str__(self) -> str:
        return f"Feedback on {self.topic}"

    @property
    def is_public(self) -> bool:
        return self.wants_public and self.status == Input.Status.ACCEPTED


class ReferenceSuggestion(Input):
    """A stakeholder's proposal that a topic should cite a source."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="reference_suggestions")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reference_suggestions"
    )
    url = models.URLField("web address", max_length=1000)
    title = models.CharField(max_length=500)
    kind = models.CharField(max_length=20, choices=Reference.Kind, default=Reference.Kind.OTHER)
    note = models.TextField(blank=True, help_text=_("Why the topic should cite it."))
    reference = models.ForeignKey(Reference, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta(Input.Meta):
        pass

    def __str__(self) -> str:
        return self.title


class TopicFollow(models.Model):
    """A user who wants an email when a topic changes."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "topic"], name="follow_unique")]

    def __str__(self) -> str:
        return f"{self.user} follows {self.topic}"
