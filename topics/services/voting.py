"""Casting ballots and computing a round's results (the arithmetic lives in topics.ranking)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from topics import ranking
from topics.models import Ballot, Profile, Round, StakeholderGroup, Topic

BOOTSTRAP_SAMPLES = 200
BOOTSTRAP_SEED = 20221220
UNGROUPED = "No stakeholder group"


class VotingError(Exception):
    """A ballot that cannot be accepted; the message says why."""


class RoundNotOpen(VotingError):
    pass


class NotEligible(VotingError):
    pass


class InvalidBallot(VotingError):
    pass


def ranking_from_ranks(ranks: dict[int, int | None]) -> list[list[int]]:
    """Rank numbers per candidate (equal numbers tie, None is unranked) -> tie groups."""
    by_rank: dict[int, list[int]] = {}
    for candidate, rank in ranks.items():
        if rank is not None:
            by_rank.setdefault(rank, []).append(candidate)
    return [sorted(by_rank[rank]) for rank in sorted(by_rank)]


def ranks_from_ranking(ranking_groups: list[list[int]]) -> dict[int, int]:
    """Tie groups -> rank numbers (1 for the first group, 2 for the next, ...)."""
    return {candidate: n for n, group in enumerate(ranking_groups, start=1) for candidate in group}


def _validate(round_: Round, groups: list[list[int]]) -> list[list[int]]:
    allowed = set(round_.candidates.values_list("pk", flat=True))
    seen: set[int] = set()
    cleaned = []
    for group in groups:
        members = [int(candidate) for candidate in group]
        for candidate in members:
            if candidate not in allowed:
                raise InvalidBallot("The ballot names a topic that is not a candidate.")
            if candidate in seen:
                raise InvalidBallot("The ballot names a topic twice.")
            seen.add(candidate)
        if members:
            cleaned.append(sorted(members))
    if not cleaned:
        raise InvalidBallot("Rank at least one topic.")
    return cleaned


def cast_ballot(*, round_: Round, voter, groups: list[list[int]]) -> Ballot:
    """Record or replace `voter`'s ballot in an open round; exactly one per voter.

    The voter's row is locked for the transaction, so simultaneous submissions
    from one stakeholder run one after the other: the first creates the
    ballot, the others update it. The unique constraint backs this up.
    """
    if round_.state != Round.State.OPEN:
        raise RoundNotOpen(f"This round is {round_.get_state_display().lower()}: no ballots now.")
    profile = Profile.objects.filter(user=voter).select_related("group").first()
    if profile is None or not profile.is_verified:
        raise NotEligible("Only verified stakeholders can vote; an editor verifies accounts.")
    cleaned = _validate(round_, groups)
    for attempt in range(2):
        try:
            with transaction.atomic():
                get_user_model().objects.select_for_update().filter(pk=voter.pk).first()
                ballot, _ = Ballot.objects.update_or_create(
                    round=round_,
                    voter=voter,
                    defaults={
                        "ranking": cleaned,
                        "group_name": profile.group.name if profile.group else "",
                        "updated_at": timezone.now(),
                    },
                )
                return ballot
        except IntegrityError:
            # Another worker created it between our check and insert: update it instead.
            if attempt:
                raise
    raise AssertionError("unreachable")


def slug_ranking(groups: list[list[int]], slugs: dict[int, str]) -> tuple[tuple[str, ...], ...]:
    """Tie groups of topic ids -> tie groups of slugs (ids no longer candidates are dropped)."""
    named = (tuple(sorted(slugs[c] for c in group if c in slugs)) for group in groups)
    return tuple(group for group in named if group)


@dataclass
class GroupParticipation:
    name: str
    ballots: int
    eligible: int | None
    ranking: list[list[str]]

    @property
    def share(self) -> float | None:
        return self.ballots / self.eligible if self.eligible else None


@dataclass
class RoundResults:
    """Everything the results page and the API show, as plain values (cacheable)."""

    round_id: int
    candidates: list[str]
    titles: dict[str, str]
    tally: ranking.Tally
    step_support: list[float]
    groups: list[GroupParticipation]
    previous_round: tuple[str, str] | None = None  # (slug, title)
    movement: dict[str, int | None] = field(default_factory=dict)

    @property
    def ranking(self) -> list[list[str]]:
        return self.tally.schulze.ranking

    @property
    def balanced_ranking(self) -> list[list[str]]:
        return self.tally.balanced.ranking


def round_results(round_: Round) -> RoundResults:
    """The tally of a round, cached until a ballot changes (closed rounds never change)."""
    stats = round_.ballots.aggregate(count=Count("pk"), latest=Max("updated_at"))
    latest = stats["latest"].timestamp() if stats["latest"] else 0
    key = f"round-results:v1:{round_.pk}:{stats['count']}:{latest}"
    results = cache.get(key)
    if results is None:
        results = _compute(round_)
        cache.set(key, results, None if round_.is_closed else 300)
    return results


def _compute(round_: Round) -> RoundResults:
    topics = list(round_.candidates.only("pk", "slug", "title").order_by("slug"))
    slugs = {topic.pk: topic.slug for topic in topics}
    candidates = [topic.slug for topic in topics]
    ballots = [
        ranking.Ballot(slug_ranking(groups, slugs), group=group_name or UNGROUPED)
        for groups, group_name in round_.ballots.values_list("ranking", "group_name")
    ]
    tally = ranking.tally(candidates, ballots)
    support = (
        ranking.bootstrap_step_support(
            candidates,
            ballots,
            tally.schulze.ranking,
            samples=BOOTSTRAP_SAMPLES,
            seed=BOOTSTRAP_SEED,
        )  # fmt: skip
        if ballots
        else []
    )
    results = RoundResults(
        round_id=round_.pk,
        candidates=candidates,
        titles={topic.slug: topic.title for topic in topics},
        tally=tally,
        step_support=support,
        groups=_participation(tally),
    )
    previous = previous_round(round_)
    if previous is not None:
        earlier = round_results(previous)
        shared = set(earlier.candidates) & set(candidates)
        results.previous_round = (previous.slug, previous.title)
        results.movement = ranking.compare_rankings(
            [[c for c in group if c in shared] for group in earlier.ranking],
            tally.schulze.ranking,
        )
    return results


def _participation(tally: ranking.Tally) -> list[GroupParticipation]:
    eligible = dict(
        StakeholderGroup.objects.annotate(
            verified=Count("members", filter=Q(members__verified_at__isnull=False))
        ).values_list("name", "verified")
    )
    names = list(eligible) + sorted(set(tally.groups) - set(eligible))
    return [
        GroupParticipation(
            name=name,
            ballots=tally.groups[name].ballot_count if name in tally.groups else 0,
            # Unknown (None) when no member is verified here, as with imported ballots.
            eligible=eligible.get(name) or None,
            ranking=tally.groups[name].ranking if name in tally.groups else [],
        )
        for name in names
    ]


def previous_round(round_: Round) -> Round | None:
    """The latest closed round before this one that ranked at least two of the same topics."""
    candidates = round_.candidates.values_list("pk", flat=True)
    return (
        Round.objects.closed()
        .filter(closes_at__lte=round_.opens_at)
        .exclude(pk=round_.pk)
        .filter(candidates__in=candidates)
        .annotate(shared=Count("candidates", distinct=True))
        .filter(shared__gte=2)
        .order_by("-closes_at", "-pk")
        .first()
    )


@dataclass(frozen=True)
class SiteRanking:
    """The order the site shows: positions from the latest closed round."""

    round_slug: str
    round_title: str
    positions: dict[int, int]  # topic id -> 1-based position (ties share a position)
    total: int


def site_ranking() -> SiteRanking | None:
    """Positions of topics in the latest closed round, or None when no round has closed."""
    latest = Round.objects.latest_closed()
    if latest is None:
        return None
    stats = latest.ballots.aggregate(count=Count("pk"), changed=Max("updated_at"))
    changed = stats["changed"].timestamp() if stats["changed"] else 0
    key = f"site-ranking:v2:{latest.pk}:{latest.closes_at.timestamp()}:{stats['count']}:{changed}"
    found = cache.get(key)
    if found is None:
        results = round_results(latest)
        ids = dict(Topic.objects.filter(slug__in=results.candidates).values_list("slug", "pk"))
        positions, position = {}, 1
        for group in results.ranking:
            for slug in group:
                if slug in ids:
                    positions[ids[slug]] = position
            position += len(group)
        found = SiteRanking(latest.slug, latest.title, positions, len(results.candidates))
        cache.set(key, found, None)
    return found
