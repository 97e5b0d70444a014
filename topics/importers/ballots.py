"""Ballots as CSV: `voter,group,ranking` with rankings like `simd-support > abi = gpus`.

Import checks the whole file first and reports every problem with its line
number; only a file without problems is stored, in one transaction.
Export writes the same format with anonymous voters, so anyone can recount.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from topics import ranking
from topics.models import Ballot, Round, Topic
from topics.services.voting import filling_closed_round, imported_voter_key, slug_ranking

HEADER = ["voter", "group", "ranking"]
HEADER_TEXT = ",".join(HEADER)
# Exports add each ballot's receipt hash; imports accept it (a published file re-imports).
RECEIPT_COLUMN = "receipt_sha256"
EXPORT_HEADER = [*HEADER, RECEIPT_COLUMN]
# A spreadsheet runs a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
RECEIPT_HASH = re.compile(r"[0-9a-f]{64}")
MAX_PROBLEM_CHARS = 300
VOTER_MAX = 200
GROUP_MAX = Ballot._meta.get_field("group_name").max_length
SLUG_MAX = Round._meta.get_field("slug").max_length
TITLE_MAX = Round._meta.get_field("title").max_length
SLUG_PATTERN = re.compile(r"[-a-zA-Z0-9_]+")
# Slugs looked up per query: SQLite allows only so many parameters in one.
LOOKUP_BATCH = 500


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
    receipt_hash: str = ""


def safe_cell(value: str) -> str:
    """A CSV cell that no spreadsheet runs as a formula (a leading ' is shown as text)."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def unsafe_cell(value: str) -> str:
    """The value of a cell written by safe_cell."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value


def decode_ballots_file(data: bytes) -> str:
    """The text of a ballots file; raise BallotFileError naming every line that is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    errors = []
    for number, line in enumerate(data.splitlines(), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            errors.append(f"line {number}: not UTF-8 text (byte {exc.start + 1} of the line)")
    raise BallotFileError(errors or ["the file is not UTF-8 text"])


def _brief(problem: str) -> str:
    # A message quotes what it found; a field can be 131,072 characters long.
    return problem if len(problem) <= MAX_PROBLEM_CHARS else problem[: MAX_PROBLEM_CHARS - 1] + "…"


def _records(text: str):
    """(line, cells or None, problem) for each record, continuing past unreadable ones."""
    rows = csv.reader(io.StringIO(text, newline=""))
    while True:
        line = rows.line_num + 1  # where this record starts
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            problem = str(exc)
            if "field larger than field limit" in problem:
                problem = f"a field is longer than {csv.field_size_limit()} characters"
            yield line, None, problem
            continue
        if any("\x00" in cell for cell in row):
            # PostgreSQL cannot store text containing NUL.
            yield line, None, "contains a NUL character"
            continue
        yield line, row, ""


def _length_problem(what: str, value: str, limit: int) -> str:
    if len(value) > limit:
        return f"the {what} is {len(value)} characters long; at most {limit}"
    return ""


def parse_ballots_csv(text: str) -> list[ParsedBallot]:
    """Read and check a ballots file (no database); raise BallotFileError listing every problem."""
    records = _records(text.lstrip("\ufeff"))
    first = next(records, None)
    if first is None:
        raise BallotFileError(
            [f"the file is empty: its first line must be the header {HEADER_TEXT}"]
        )
    errors: list[str] = []
    line, header, problem = first
    if problem:
        errors.append(f"line {line}: {problem}")
    columns = [cell.strip().lower() for cell in header] if not problem else HEADER
    if not problem and columns not in (HEADER, EXPORT_HEADER):
        errors.append(f"line {line}: the header must be {HEADER_TEXT}, not {','.join(header)!r}")
        columns = HEADER
    parsed: list[ParsedBallot] = []
    voters: dict[str, int] = {}
    for line, row, problem in records:
        if problem:
            errors.append(f"line {line}: {problem}")
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            errors.append(
                f"line {line}: expected {len(columns)} columns ({', '.join(columns)}), "
                f"found {len(row)}"
            )
            continue
        voter, group, text_ranking, *rest = (unsafe_cell(cell.strip()) for cell in row)
        receipt = rest[0].lower() if rest else ""
        if receipt and not RECEIPT_HASH.fullmatch(receipt):
            errors.append(f"line {line}: {RECEIPT_COLUMN} must be 64 hexadecimal digits")
            continue
        if not voter:
            errors.append(f"line {line}: the voter is empty")
            continue
        too_long = _length_problem("voter name", voter, VOTER_MAX) or _length_problem(
            "group name", group, GROUP_MAX
        )
        if too_long:
            errors.append(f"line {line}: {too_long}")
            continue
        if voter in voters:
            errors.append(f"line {line}: voter {voter!r} already voted on line {voters[voter]}")
            continue
        voters[voter] = line
        try:
            # An empty ranking is a blank ballot: one that ranked none of the candidates
            # left in the round (a published file holds one when a candidate was removed).
            parsed_ranking = ranking.parse_ranking(text_ranking) if text_ranking else ()
        except ranking.RankingSyntaxError as exc:
            errors.append(f"line {line}: {exc}")
            continue
        parsed.append(ParsedBallot(line, voter, group, parsed_ranking, receipt))
    if errors:
        raise BallotFileError([_brief(error) for error in errors])
    if not parsed:
        raise BallotFileError(["the file has no ballots"])
    return parsed


def _round_problems(round_slug: str, title: str) -> list[str]:
    """What keeps `--round` and `--title` from being stored, before any query."""
    problems = [
        _length_problem("round slug", round_slug, SLUG_MAX),
        _length_problem("title", title, TITLE_MAX),
    ]
    if round_slug and not SLUG_PATTERN.fullmatch(round_slug):
        problems.append(
            f"the round slug may only hold letters, digits, '-' and '_', not {round_slug!r}"
        )
    elif not round_slug:
        problems.append("the round slug is empty")
    if "\x00" in title:
        problems.append("the title contains a NUL character")
    return [_brief(problem) for problem in problems if problem]


@dataclass
class BallotImport:
    round: Round
    created_round: bool
    ballots: int


@transaction.atomic
def import_ballots(
    *, text: str, round_slug: str, title: str = "", opened=None, closed=None
) -> BallotImport:
    """Store the ballots of a file in a round (created, closed, when it does not exist).

    A new round takes the real dates of the vote (`opened`, `closed`), so it
    only orders the site if it is really the newest; dates in the future are
    refused (imported ballots never go into a live vote).
    """
    problems = _round_problems(round_slug, title)
    now = timezone.now()
    if closed is None or opened is None:
        if not Round.objects.filter(slug=round_slug).exists():
            problems.append(
                "give the dates the vote was held: --opened YYYY-MM-DD --closed YYYY-MM-DD"
            )
    elif closed > now:
        problems.append(f"--closed {closed:%Y-%m-%d %H:%M} is in the future")
    elif opened >= closed:
        problems.append("--opened must be before --closed")
    try:
        parsed = parse_ballots_csv(text)
    except BallotFileError as exc:
        raise BallotFileError(problems + exc.errors) from None
    if problems:
        raise BallotFileError(problems)
    named = sorted({slug for b in parsed for group in b.ranking for slug in group})
    topics = {
        topic.slug: topic
        for start in range(0, len(named), LOOKUP_BATCH)
        for topic in Topic.objects.filter(slug__in=named[start : start + LOOKUP_BATCH])
    }
    errors = [
        f"line {b.line}: unknown topic {slug!r}"
        for b in parsed
        for group in b.ranking
        for slug in group
        if slug not in topics
    ]
    round_ = Round.objects.filter(slug=round_slug).first()
    created = round_ is None
    if created:
        # A new round's candidates are the topics named; results show their titles to
        # everyone, so a draft or an archived topic would leak: only published ones.
        errors += [
            f"topic {slug!r} is {topics[slug].get_status_display().lower()}, not published: "
            "publish it, or leave it out of the file"
            for slug in named
            if slug in topics and not topics[slug].is_published
        ]
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
        raise BallotFileError([_brief(error) for error in errors])
    if round_ is None:
        round_ = Round.objects.create(
            slug=round_slug,
            title=title or round_slug.replace("-", " ").capitalize(),
            description="Ballots imported from a file.",
            opens_at=opened,
            closes_at=closed,
            imported=True,
        )
        round_.candidates.set(topics.values())
    with filling_closed_round():
        Ballot.objects.bulk_create(
            Ballot(
                round=round_,
                voter_key=imported_voter_key(round_, b.voter),
                group_name=b.group,
                receipt_hash=b.receipt_hash,
                ranking=[[topics[slug].pk for slug in group] for group in b.ranking],
            )
            for b in parsed
        )
    return BallotImport(round=round_, created_round=created, ballots=len(parsed))


def export_ballots_csv(round_: Round, *, group_names: dict[str, str] | None = None) -> str:
    """The round's ballots in the import format, with each ballot's receipt hash.

    Voters are replaced by numbers. Ballots are listed in the order of their
    voter keys (secret-derived hashes), not in the order they were cast, so
    the file says nothing about its voters beyond their group; `group_names`
    maps groups too small to be shown on their own to "Other groups". The
    same round always gives the same bytes, so its SHA-256 can be published.
    """
    slugs = dict(round_.candidates.values_list("pk", "slug"))
    group_names = group_names or {}
    rows = sorted(round_.ballots.values_list("voter_key", "group_name", "ranking", "receipt_hash"))
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\n")
    writer.writerow(EXPORT_HEADER)
    for number, (_, group_name, groups, receipt) in enumerate(rows, start=1):
        text = ranking.format_ranking(slug_ranking(groups, slugs))
        group = group_names.get(group_name, group_name)
        writer.writerow([f"voter-{number}", safe_cell(group), safe_cell(text), receipt])
    return output.getvalue()
