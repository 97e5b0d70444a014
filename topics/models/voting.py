"""Voting rounds and ranked ballots."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from topics.models.content import Topic


class RoundQuerySet(models.QuerySet):
    def closed(self) -> RoundQuerySet:
        return self.filter(closes_at__lte=timezone.now())

    def open(self) -> RoundQuerySet:
        now = timezone.now()
        return self.filter(opens_at__lte=now, closes_at__gt=now)

    def latest_closed(self) -> Round | None:
        return self.closed().order_by("-closes_at", "-pk").first()


class Round(models.Model):
    """A vote in which stakeholders rank candidate topics."""

    class State(models.TextChoices):
        UPCOMING = "upcoming", _("Upcoming")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    candidates = models.ManyToManyField(Topic, related_name="rounds")
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    show_partial_results = models.BooleanField(
        default=False, help_text=_("Let everyone see the results while the round is open.")
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = RoundQuerySet.as_manager()

    class Meta:
        ordering = ["-closes_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="round_closes_after_opening"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if self.pk and Round.objects.closed().filter(pk=self.pk).exists():
            raise ValidationError(_("A closed round cannot be changed."))
        return super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("round_detail", kwargs={"slug": self.slug})

    @property
    def state(self) -> str:
        now = timezone.now()
        if now < self.opens_at:
            return Round.State.UPCOMING
        if now < self.closes_at:
            return Round.State.OPEN
        return Round.State.CLOSED

    def get_state_display(self) -> str:
        return str(Round.State(self.state).label)

    @property
    def is_closed(self) -> bool:
        return self.state == Round.State.CLOSED

    def results_visible(self) -> bool:
        return self.is_closed or (self.state == Round.State.OPEN and self.show_partial_results)

    def clean(self) -> None:
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": _("A round must close after it opens.")})


class Ballot(models.Model):
    """One stakeholder's ranking in one round: tie groups of topic ids, best first."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="ballots")
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="ballots",
    )  # fmt: skip
    voter_label = models.CharField(
        max_length=200, blank=True, help_text=_("For imported ballots: the voter in the file.")
    )
    group_name = models.CharField(
        max_length=200, blank=True, help_text=_("The voter's stakeholder group when voting.")
    )
    ranking = models.JSONField(help_text=_("Tie groups of topic ids, best first."))
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "voter"],
                condition=Q(voter__isnull=False),
                name="ballot_one_per_voter",
            ),  # fmt: skip
            models.UniqueConstraint(
                fields=["round", "voter_label"],
                condition=~Q(voter_label=""),
                name="ballot_one_per_imported_voter",
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return f"Ballot #{self.pk} in {self.round}"
