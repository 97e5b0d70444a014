"""Voting rounds and ranked ballots."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import ProtectedError, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from topics.models.content import Topic
from topics.models.site import ContentQuerySet


class RoundQuerySet(ContentQuerySet):
    def closed(self) -> RoundQuerySet:
        return self.filter(closes_at__lte=timezone.now())

    def open(self) -> RoundQuerySet:
        now = timezone.now()
        return self.filter(opens_at__lte=now, closes_at__gt=now)

    def latest_closed(self) -> Round | None:
        return self.closed().order_by("-closes_at", "-pk").first()

    def by_date(self) -> RoundQuerySet:
        """Newest first by the round's own dates (when it closed, then opened)."""
        return self.order_by("-closes_at", "-opens_at", "-pk")


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
    imported = models.BooleanField(
        default=False,
        editable=False,
        help_text=_("Ballots collected elsewhere and imported: who could vote is unknown."),
    )
    is_demo = models.BooleanField(
        default=False,
        editable=False,
        help_text=_("Demo content from load_demo; remove_demo deletes it."),
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The ballots an open round's partial results were last counted from, anonymised
    # (topics.services.voting.partial_results).
    partial_results = models.JSONField(null=True, editable=False)
    partial_results_at = models.DateTimeField(null=True, editable=False)

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
        if self.pk and self.closes_at and self.closes_at <= timezone.now():
            # It would be closed as of a moment before ballots already cast, with the
            # candidates this same save sets: "Close now" closes it at this moment.
            raise ValidationError(
                {
                    "closes_at": _(
                        "A round cannot be given a closing time in the past: use the "
                        "“Close now” action to close it at once."
                    )
                }
            )


def closed_rounds_holding(topics) -> RoundQuerySet:
    """The closed rounds that have any of `topics` among their candidates."""
    return Round.objects.closed().filter(candidates__in=topics).distinct()


def keep_closed_rounds_candidates(sender, instance: Topic, **kwargs) -> None:
    """A topic a closed round ranked cannot be deleted (connected to Topic's pre_delete).

    Deleting it would take it out of the round's candidates, and so out of results
    and a ballot file whose hash was published as final. Archive it instead.
    The admin says so before anything is deleted; this stops every other path.
    """
    rounds = list(closed_rounds_holding([instance]))
    if rounds:
        titles = ", ".join(f"'{round_.title}'" for round_ in rounds)
        raise ProtectedError(
            f"Topic '{instance.title}' is a candidate of the closed round {titles}, whose "
            "results are final: archive it instead of deleting it.",
            set(rounds),
        )


class Ballot(models.Model):
    """One ranking in one round: tie groups of topic ids, best first. Secret.

    The ballot does not name its voter. `voter_key` is a one-way hash of a
    secret only the voter's account holds (VoterSecret) and the round, so
    the site can keep one ballot per voter and let voters change their own,
    while nobody reading the table, the admin or an export can tell whose
    ranking is whose. `receipt_hash` is the SHA-256 of the receipt shown to
    the voter once; it is published beside the ballot so they can check it.
    """

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="ballots")
    voter_key = models.CharField(max_length=64, editable=False)
    group_name = models.CharField(
        max_length=200, blank=True, help_text=_("The voter's stakeholder group when voting.")
    )
    ranking = models.JSONField(help_text=_("Tie groups of topic ids, best first."))
    receipt_hash = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ContentQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["round", "voter_key"], name="ballot_one_per_voter"),
        ]

    def __str__(self) -> str:
        return f"Ballot #{self.pk} in {self.round}"

    def save(self, *args, **kwargs):
        if Round.objects.closed().filter(pk=self.round_id).exists():
            raise ValidationError(_("The round is closed: its ballots are final."))
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if Round.objects.closed().filter(pk=self.round_id).exists():
            raise ValidationError(_("The round is closed: its ballots are final."))
        return super().delete(*args, **kwargs)


class VoterSecret(models.Model):
    """A random secret per account from which its ballots' voter keys are derived.

    Never shown anywhere (not in the admin either); deleting the account
    deletes it, and the account's ballots can no longer be linked to anyone.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="voter_secret"
    )
    secret = models.CharField(max_length=64, editable=False)

    def __str__(self) -> str:
        return f"Voter secret of user #{self.user_id}"


class RoundEligibility(models.Model):
    """How many verified stakeholders of a group could vote when the round closed."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="eligibility")
    group_name = models.CharField(max_length=200)
    eligible = models.PositiveIntegerField()

    objects = ContentQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "group_name"], name="eligibility_once")
        ]

    def __str__(self) -> str:
        return f"{self.group_name}: {self.eligible} eligible in {self.round}"
