"""Casting ballots and computing a round's results (the arithmetic lives in topics.ranking)."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from topics import ranking
from topics.models import (
    Ballot,
    Profile,
    Round,
    RoundEligibility,
    Section,
    StakeholderGroup,
    Topic,
    VoterSecret,
)

BOOTSTRAP_SAMPLES = 200
BOOTSTRAP_SEED = 20221220
UNGROUPED = "No stakeholder group"
OTHER_GROUPS = "Other groups"
# No 0/O or 1/I/L: a receipt is read and typed by people.
RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


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


@dataclass(frozen=True)
class CastBallot:
    """A saved ballot and its receipt code (shown to the voter once, never stored)."""

    ballot: Ballot
    receipt: str


def voter_key(user, round_: Round) -> str:
    """The key that links `user` to their ballot in `round_`, and nothing else.

    A hash of a random secret only this account holds (created on first
    use) and the round: one ballot per voter and "change my ballot" work,
    but no table, admin page or export says whose ballot is whose.
    """
    secret, _ = VoterSecret.objects.get_or_create(
        user=user, defaults={"secret": secrets.token_hex(32)}
    )
    return hashlib.sha256(f"{secret.secret}:{round_.pk}".encode()).hexdigest()


def imported_voter_key(round_: Round, label: str) -> str:
    """The voter key of a ballot imported from a file (one per voter label in the file)."""
    return hashlib.sha256(f"import:{round_.pk}:{label}".encode()).hexdigest()


def new_receipt() -> str:
    """A random receipt code: 20 letters and digits (100 bits), in groups of four."""
    code = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(20))
    return "-".join(code[i : i + 4] for i in range(0, 20, 4))


def receipt_hash(code: str) -> str:
    """The SHA-256 (hex) of a receipt code as printed, the value the ballots CSV publishes."""
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


@contextmanager
def filling_closed_round():
    """Within the block, let the current transaction store ballots in a closed round.

    On PostgreSQL a trigger refuses any insert, update or delete of a closed
    round's ballots; this transaction-local setting, switched off again at
    the end of the block, is the one way past it. Only the ballot importer
    (and demo data) use it.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('kb.filling_closed_round', 'on', true)")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('kb.filling_closed_round', 'off', true)")


def own_ballot(*, round_: Round, voter) -> Ballot | None:
    """`voter`'s ballot in `round_`, if they cast one."""
    if not VoterSecret.objects.filter(user=voter).exists():
        return None
    return Ballot.objects.filter(round=round_, voter_key=voter_key(voter, round_)).first()


def cast_ballot(*, round_: Round, voter, groups: list[list[int]]) -> CastBallot:
    """Record or replace `voter`'s ballot in an open round; exactly one per voter.

    The round's row is locked for the transaction, then the voter's: a ballot
    and a maintainer's *Close now*, or a count of its partial results, run one
    after the other. A ballot cast while the round is closed that way waits and
    is refused (never written after the close), and one cast during a count is
    stamped after it, so it counts toward the next batch and never toward both.
    (A round that closes by its clock is checked against that clock here, in the
    same transaction as the write.)
    Simultaneous submissions from one stakeholder run one after the other: the
    first creates the ballot, the others update it. The unique constraint backs
    this up. Each save gets a new receipt: only the latest one is in the count.
    """
    if round_.state != Round.State.OPEN:
        raise RoundNotOpen(f"This round is {round_.get_state_display().lower()}: no ballots now.")
    profile = Profile.objects.filter(user=voter).select_related("group").first()
    if profile is None or not profile.is_verified:
        raise NotEligible("Only verified stakeholders can vote; an editor verifies accounts.")
    if profile.is_demo and not round_.is_demo:
        raise NotEligible("Demo accounts vote only in demo rounds.")
    cleaned = _validate(round_, groups)
    receipt = new_receipt()
    group_name = profile.group.name if profile.group else ""
    for attempt in range(2):
        try:
            with transaction.atomic():
                locked = Round.objects.select_for_update().get(pk=round_.pk)
                if locked.state != Round.State.OPEN:
                    raise RoundNotOpen("This round has just closed: your ballot was not saved.")
                get_user_model().objects.select_for_update().filter(pk=voter.pk).first()
                key = voter_key(voter, round_)
                before = Ballot.objects.filter(round=round_, voter_key=key).first()
                defaults = {
                    "ranking": cleaned,
                    "group_name": group_name,
                    "receipt_hash": receipt_hash(receipt),
                }
                # Saved again unchanged, a ballot is not a change: it does not count toward
                # the next batch of partial results (see partial_results).
                if before is None or (before.ranking, before.group_name) != (
                    json.loads(json.dumps(cleaned)),
                    group_name,
                ):
                    defaults["updated_at"] = timezone.now()
                ballot, _ = Ballot.objects.update_or_create(
                    round=round_, voter_key=key, defaults=defaults
                )
                return CastBallot(ballot=ballot, receipt=receipt)
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
    # Groups with fewer ballots than this are shown together as OTHER_GROUPS.
    min_group_ballots: int = 3
    # An open round's results: when they were computed (see partial_results).
    as_of: datetime | None = None

    @property
    def inseparable_ranking(self) -> list[list[str]]:
        """The ranking with topics the voters did not separate (margin 0) shown as tied."""
        return ranking.inseparable_groups(self.tally.schulze)

    @property
    def places(self) -> dict[str, str]:
        """Each candidate's place: "1", "2=", "2=", "4"."""
        return ranking.place_labels(self.inseparable_ranking)

    @property
    def ranking(self) -> list[list[str]]:
        return self.tally.schulze.ranking

    @property
    def balanced_ranking(self) -> list[list[str]]:
        return self.tally.balanced.ranking


def round_results(round_: Round) -> RoundResults | None:
    """The tally of a round: an open one's as last computed for readers (partial_results;
    None before the first batch), a closed one's cached for good."""
    if not round_.is_closed:
        return partial_results(round_)
    return current_results(round_)


# Stored partial results carry this: a release that stores them differently changes it,
# and older ones then wait for the next batch (never counted early).
PARTIAL_RESULTS_VERSION = 2


def partial_batch() -> int:
    """How many new or changed ballots move an open round's partial results (at least 2)."""
    return max(2, settings.KB_VOTING_MIN_GROUP_BALLOTS)


def partial_results(round_: Round) -> RoundResults | None:
    """An open round's results as last counted, counted again only once `partial_batch()`
    ballots were cast or changed since (None until the first batch is in).

    Ballots are secret: if every ballot showed at once, subtracting the pairwise
    matrix seen before a vote from the one seen after would give that voter's
    ranking. A batch shows only the sum of several, and pages show only the
    ranking until the round closes. The ballots counted are kept on the round
    (anonymised, sorted, as JSON), so every process counts the same ones.
    """
    batch = partial_batch()

    def waiting(row: Round) -> bool:
        since = row.partial_results_at or row.opens_at
        return row.ballots.filter(updated_at__gt=since).count() < batch

    def counted(row: Round) -> RoundResults | None:
        stored = row.partial_results
        if not isinstance(stored, dict) or stored.get("version") != PARTIAL_RESULTS_VERSION:
            return None
        candidates = str(sorted(row.candidates.values_list("pk", flat=True))).encode()
        digest = hashlib.blake2b(candidates, digest_size=8).hexdigest()
        key = f"partial-results:v1:{row.pk}:{row.partial_results_at.timestamp()}:{digest}"
        results = cache.get(key)
        if results is None:
            rows = [(ranking_, group) for ranking_, group in stored["ballots"]]
            results = _compute(row, rows)
            results.as_of = row.partial_results_at
            cache.set(key, results, 300)
        return results

    if waiting(round_):
        return counted(round_)
    with transaction.atomic():
        row = Round.objects.select_for_update().get(pk=round_.pk)
        if not waiting(row):  # unless another request has just counted them
            now = timezone.now()  # a ballot written from now on counts toward the next batch
            rows = sorted(
                row.ballots.values_list("ranking", "group_name"), key=lambda r: json.dumps(r)
            )
            # A plain UPDATE: what the next count starts from is not a change readers see.
            Round._base_manager.filter(pk=row.pk).update(
                partial_results={"version": PARTIAL_RESULTS_VERSION, "ballots": rows},
                partial_results_at=now,
            )
            row.partial_results = {"version": PARTIAL_RESULTS_VERSION, "ballots": rows}
            row.partial_results_at = now
    return counted(row)


def current_results(round_: Round) -> RoundResults:
    """The tally of a round's ballots as they are, cached until a ballot changes."""
    stats = round_.ballots.aggregate(count=Count("pk"), latest=Max("updated_at"))
    latest = stats["latest"].timestamp() if stats["latest"] else 0
    # "What moved" depends on the round before this one, which an import can add later.
    previous = previous_round(round_)
    key = (
        f"round-results:v2:{round_.pk}:{round_.closes_at.timestamp()}:{stats['count']}:{latest}:"
        f"{previous.pk if previous else 0}:{settings.KB_VOTING_MIN_GROUP_BALLOTS}"
    )
    results = cache.get(key)
    if results is None:
        results = _compute(round_)
        cache.set(key, results, None if round_.is_closed else 300)
    return results


def group_labels(round_: Round) -> dict[str, str]:
    """How each group of the round's ballots is shown: its name, or OTHER_GROUPS.

    A group with fewer ballots than KB_VOTING_MIN_GROUP_BALLOTS would reveal
    its voters' rankings (one ballot is one person's vote), so such groups
    are merged, on the page, in the JSON and in the CSV.
    """
    counts = round_.ballots.values_list("group_name").annotate(count=Count("pk"))
    return _labels(dict(counts))


def _labels(counts: dict[str, int]) -> dict[str, str]:
    least = settings.KB_VOTING_MIN_GROUP_BALLOTS
    return {
        name: (name or UNGROUPED) if count >= least else OTHER_GROUPS
        for name, count in counts.items()
    }


def _compute(round_: Round, rows: list[tuple[list, str]] | None = None) -> RoundResults:
    """The tally of `rows` (ranking, group name), or of the round's ballots as they are."""
    topics = list(round_.candidates.only("pk", "slug", "title").order_by("slug"))
    slugs = {topic.pk: topic.slug for topic in topics}
    candidates = [topic.slug for topic in topics]
    if rows is None:
        rows = list(round_.ballots.values_list("ranking", "group_name"))
    labels = _labels(Counter(group_name for _, group_name in rows))
    ballots = [
        ranking.Ballot(slug_ranking(groups, slugs), group=labels.get(group_name, OTHER_GROUPS))
        for groups, group_name in rows
    ]
    tally = ranking.tally(candidates, ballots)
    support = (
        ranking.bootstrap_step_support(
            candidates,
            ballots,
            tally.schulze.ranking,
            samples=BOOTSTRAP_SAMPLES,
            seed=BOOTSTRAP_SEED,
        )
        if ballots
        else []
    )
    least = settings.KB_VOTING_MIN_GROUP_BALLOTS
    results = RoundResults(
        round_id=round_.pk,
        candidates=candidates,
        titles={topic.slug: topic.title for topic in topics},
        tally=tally,
        step_support=support,
        groups=_participation(round_, tally, least),
        min_group_ballots=least,
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


def _participation(round_: Round, tally: ranking.Tally, least: int) -> list[GroupParticipation]:
    eligible = eligibility(round_)
    names = list(StakeholderGroup.objects.values_list("name", flat=True))
    # A closed round's snapshot keeps the names groups had then: a group renamed since
    # still counts among "Other groups" by its old name.
    names += sorted((set(tally.groups) | set(eligible or {})) - set(names) - {OTHER_GROUPS})
    shown, others = [], []
    for name in names:
        if name in tally.groups and name != OTHER_GROUPS:
            shown.append(name)
        else:
            others.append(name)
    rows = [
        GroupParticipation(
            name=name,
            ballots=tally.groups[name].ballot_count,
            eligible=eligible.get(name) if eligible is not None else None,
            ranking=tally.groups[name].ranking,
        )
        for name in shown
    ]
    other = tally.groups.get(OTHER_GROUPS)
    if other is not None or others:
        count = other.ballot_count if other else 0
        rows.append(
            GroupParticipation(
                name=OTHER_GROUPS,
                ballots=count,
                eligible=sum(eligible.get(name, 0) for name in others)
                if eligible is not None
                else None,
                # Shown only when it is itself no longer one or two people's ranking.
                ranking=other.ranking if other and count >= least else [],
            )
        )
    for row in rows:
        row.eligible = row.eligible or None  # unknown rather than "0 eligible"
    return rows


def group_renamed(*, old: str, new: str) -> int:
    """A stakeholder group was renamed: ballots of rounds not yet closed follow it.

    Ballots carry their group's name; without this, a rename during a round split the
    group in two (the later ballots under the new name). A closed round's ballots
    are final and keep the name the group had then. Returns the ballots moved.
    """
    if old == new:
        return 0
    still_open = Round.objects.exclude(pk__in=Round.objects.closed())
    return Ballot.objects.filter(round__in=still_open, group_name=old).update(group_name=new)


def eligibility(round_: Round) -> dict[str, int] | None:
    """Verified stakeholders per group who could vote: as at closing for a closed round.

    None for an imported round: who could vote in a survey held elsewhere is unknown.
    """
    if round_.imported:
        return None
    if not round_.is_closed:
        return current_eligibility(round_)
    snapshot_eligibility(round_)
    return dict(round_.eligibility.values_list("group_name", "eligible"))


def current_eligibility(round_: Round) -> dict[str, int]:
    """Verified stakeholders per group who may vote in `round_` now (demo accounts vote
    only in demo rounds, so they count only there)."""
    could_vote = Q(members__verified_at__isnull=False)
    if not round_.is_demo:
        could_vote &= Q(members__is_demo=False)
    return dict(
        StakeholderGroup.objects.annotate(verified=Count("members", filter=could_vote)).values_list(
            "name", "verified"
        )
    )


def snapshot_eligibility(round_: Round) -> None:
    """Keep, once, who could vote in `round_` (at its closing, or at the first look after)."""
    if round_.imported or round_.eligibility.exists():
        return
    RoundEligibility.objects.bulk_create(
        [
            RoundEligibility(round=round_, group_name=name, eligible=count)
            for name, count in current_eligibility(round_).items()
        ],
        ignore_conflicts=True,
    )


@transaction.atomic
def open_round_now(*, round_: Round, by) -> Round:
    """Open an upcoming round at once."""
    round_ = Round.objects.select_for_update().get(pk=round_.pk)
    if round_.state != Round.State.UPCOMING:
        raise VotingError(
            f"“{round_.title}” is {round_.get_state_display().lower()}, not upcoming."
        )
    round_.opens_at = timezone.now()
    if round_.closes_at <= round_.opens_at:
        raise VotingError(f"“{round_.title}” would close before it opens: change its closing time.")
    round_.save(update_fields=["opens_at"])
    return round_


@transaction.atomic
def close_round_now(*, round_: Round, by) -> Round:
    """Close an open round at once; its ballots are final and who could vote is kept."""
    round_ = Round.objects.select_for_update().get(pk=round_.pk)
    if round_.state != Round.State.OPEN:
        raise VotingError(f"“{round_.title}” is {round_.get_state_display().lower()}, not open.")
    round_.closes_at = timezone.now()
    round_.save(update_fields=["closes_at"])
    snapshot_eligibility(round_)
    return round_


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
    """The order one section shows: places from the round chosen for it."""

    round_slug: str
    round_title: str
    positions: dict[int, int]  # topic id -> sort position (ties share one)
    places: dict[int, str]  # topic id -> place as shown: "1", "2=", "2=", "4"
    total: int


def section_rounds(sections: list[Section]) -> dict[int, Round]:
    """The closed round that orders each section (section id -> round).

    A maintainer may pick the round for a section; otherwise it is the most
    recently closed round, by its own dates, whose candidates (two or more)
    are all topics of that section. A round over other topics never
    reorders a section, and an imported survey only does if it is the newest.
    A demo round (load_demo's) only ever orders a demo section.
    """
    if not sections:
        return {}
    closed = {r.pk: r for r in Round.objects.closed().by_date()}
    section_of, demo_sections = {}, set()
    for topic_id, section_id, section_is_demo in Topic.objects.values_list(
        "pk", "section_id", "section__is_demo"
    ):
        section_of[topic_id] = section_id
        if section_is_demo:
            demo_sections.add(section_id)

    def may_order(round_: Round, section_id: int) -> bool:
        return not round_.is_demo or section_id in demo_sections

    chosen = {
        section.pk: closed[section.ranking_round_id]
        for section in sections
        if section.ranking_round_id in closed
        and may_order(closed[section.ranking_round_id], section.pk)
    }
    # A section whose chosen round has not closed yet keeps its manual order meanwhile.
    waiting = {section.pk for section in sections if section.ranking_round_id}
    candidate_sections: dict[int, list[int | None]] = {}
    through = Round.candidates.through.objects.filter(round_id__in=closed)
    for round_id, topic_id in through.values_list("round_id", "topic_id"):
        candidate_sections.setdefault(round_id, []).append(section_of.get(topic_id))
    for round_ in closed.values():  # newest first, by the rounds' own dates
        members = candidate_sections.get(round_.pk, [])
        if len(members) < 2 or len(set(members)) != 1:
            continue
        section_id = members[0]
        if (
            section_id is not None
            and section_id not in chosen
            and section_id not in waiting
            and may_order(round_, section_id)
        ):
            chosen[section_id] = round_
    return {section.pk: chosen[section.pk] for section in sections if section.pk in chosen}


def site_rankings(sections: list[Section]) -> dict[int, SiteRanking]:
    """The ranking each of `sections` follows (section id -> ranking)."""
    rankings = {}
    for section_id, round_ in section_rounds(sections).items():
        results = round_results(round_)
        ids = dict(Topic.objects.filter(slug__in=results.candidates).values_list("slug", "pk"))
        places = results.places
        positions = {
            ids[slug]: int(places[slug].rstrip("=")) for slug in results.candidates if slug in ids
        }
        rankings[section_id] = SiteRanking(
            round_slug=round_.slug,
            round_title=round_.title,
            positions=positions,
            places={ids[slug]: places[slug] for slug in results.candidates if slug in ids},
            total=len(results.candidates),
        )
    return rankings
