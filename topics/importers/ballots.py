"""Ballots as CSV: `voter,group,ranking` with rankings like `simd-support > abi = gpus`.

Import checks the whole file first and reports every problem with its line
number; only a file without problems is stored, in one transaction.
Export writes the same format with anonymous voters, so anyone can recount.
"""

from __future__ import annotations

import csv
import hmac
import io
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from topics import ranking
from topics.models import Ballot, Round, Topic
from topics.page_cache import bump_version
from topics.services.voting import slug_ranking

HEADER = ["voter", "group", "ranking"]


class BallotFileError(Exception):
    """The file cannot be imported; `errors` lists each problem with its line."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class ParsedBallot:
    line: int
    voter: str
    group: str
    ranking: ranking.Ranking


def parse_ballots_csv(text: str) -> list[ParsedBallot]:
    """Read and check a ballots file (no database); raise BallotFileError listing every problem."""
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(rows, None)
    if header is None or [cell.strip().lower() for cell in header] != HEADER:
        raise BallotFileError([f"line 1: the header must be {','.join(HEADER)}, not {header!r}"])
    errors: list[str] = []
    parsed: list[ParsedBallot] = []
    voters: dict[str, int] = {}
    for row in rows:
        line = rows.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != 3:
            errors.append(
                f"line {line}: expected 3 columns (voter, group, ranking), found {len(row)}"
            )
            continue
        voter, group, text_ranking = (cell.strip() for cell in row)
        if not voter:
            errors.append(f"line {line}: the voter is empty")
            continue
        if voter in voters:
            errors.append(f"line {line}: voter {voter!r} already voted on line {voters[voter]}")
            continue
        voters[voter] = line
        try:
            parsed_ranking = ranking.parse_ranking(text_ranking)
        except ranking.RankingSyntaxError as exc:
            errors.append(f"line {line}: {exc}")
            continue
        parsed.append(ParsedBallot(line, voter, group, parsed_ranking))
    if errors:
        raise BallotFileError(errors)
    if not parsed:
        raise BallotFileError(["the file has no ballots"])
    return parsed


@dataclass
class BallotImport:
    round: Round
    created_round: bool
    ballots: int


@transaction.atomic
def import_ballots(*, text: str, round_slug: str, title: str = "") -> BallotImport:
    """Store the ballots of a file in a round (created, closed, when it does not exist)."""
    parsed = parse_ballots_csv(text)
    named = sorted({slug for b in parsed for group in b.ranking for slug in group})
    topics = {t.slug: t for t in Topic.objects.filter(slug__in=named)}
    errors = [
        f"line {b.line}: unknown topic {slug!r}"
        for b in parsed
        for group in b.ranking
        for slug in group
        if slug not in topics
    ]
    round_ = Round.objects.filter(slug=round_slug).first()
    created = round_ is None
    if round_ is not None:
        if round_.ballots.exists():
            errors.append(f"round {round_slug!r} already has ballots; a round is counted once")
        if not round_.is_closed:
            errors.append(
                f"round {round_slug!r} is {round_.state}: imported ballots go into a closed round, "
                "never mixed into a live vote"
            )
        allowed = set(round_.candidates.values_list("slug", flat=True))
        errors += [
            f"line {b.line}: {slug!r} is not a candidate of round {round_slug!r}"
            for b in parsed
            for group in b.ranking
            for slug in group
            if slug in topics and slug not in allowed
        ]
    if errors:
        raise BallotFileError(errors)
    if round_ is None:
        now = timezone.now()
        round_ = Round.objects.create(
            slug=round_slug,
            title=title or round_slug.replace("-", " ").capitalize(),
            description="Ballots imported from a file.",
            opens_at=now - timedelta(seconds=1),
            closes_at=now,
        )
        round_.candidates.set(topics.values())
    bump_version()
    Ballot.objects.bulk_create(
        Ballot(
            round=round_,
            voter_label=b.voter,
            group_name=b.group,
            ranking=[[topics[slug].pk for slug in group] for group in b.ranking],
        )
        for b in parsed
    )
    return BallotImport(round=round_, created_round=created, ballots=len(parsed))


def export_ballots_csv(round_: Round) -> str:
    """The round's ballots in the import format, voters replaced by anonymous numbers.

    Ballots are listed in an order derived from a hash, not from who voted
    first, so the file says nothing about its voters beyond their group.
    """
    slugs = dict(round_.candidates.values_list("pk", "slug"))
    rows = []
    for pk, groups, group_name in round_.ballots.values_list("pk", "ranking", "group_name"):
        # Keyed with the secret key: nobody can recover the order ballots were cast in.
        key = hmac.new(
            settings.SECRET_KEY.encode(), f"{round_.pk}:{pk}".encode(), "sha256"
        ).hexdigest()
        rows.append((key, group_name, ranking.format_ranking(slug_ranking(groups, slugs))))
    rows.sort()
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\n")
    writer.writerow(HEADER)
    for number, (_, group_name, text) in enumerate(rows, start=1):
        writer.writerow([f"voter-{number}", group_name, text])
    return output.getvalue()
