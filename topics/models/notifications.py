"""Who wants which emails, and the notifications kept for a daily digest."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EmailPreference(models.Model):
    """How often a person wants email from the site (no row: at once)."""

    class Frequency(models.TextChoices):
        IMMEDIATE = "immediate", _("At once, one email for each event")
        DAILY = "daily", _("One digest a day")
        NONE = "none", _("Never")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_preference"
    )
    frequency = models.CharField(max_length=20, choices=Frequency, default=Frequency.IMMEDIATE)

    def __str__(self) -> str:
        return f"{self.user}: {self.get_frequency_display()}"


class Notification(models.Model):
    """One event kept for a person's daily digest until `send_digests` sends it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    subject = models.CharField(max_length=300)
    body = models.TextField()
    # What the person needed to be told this (an editor's, for private input): a digest
    # leaves it out if they no longer hold it when it is sent.
    permission = models.CharField(
        max_length=100, blank=True, default="", db_default="", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["user", "sent_at"])]

    def __str__(self) -> str:
        return self.subject
