"""Tally ranked ballots for a voting round: Schulze ranking plus supporting statistics.

A ballot ranks candidates (topic slugs) as a sequence of tie groups, best first.
Candidates a ballot does not name are *unranked*: they rank below every named
candidate and tie with each other.  This module is pure standard-library Python
so it can run inside Django views, management commands and benchmarks alike.

Floating-point sums are rounded to ``_DECIMALS`` places before they are compared,
so weights such as 1/49 that should add up to exactly one do not create phantom
wins.
"""

from __future__ import annotations

import math
import random
import re
import sys
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate, chain, pairwise, repeat

__all__ = [
    "inseparable_groups",
    "place_labels",
    "Ballot",
    "GroupResult",
    "Ranking",
    "RankingSyntaxError",
    "SchulzeResult",
    "Step",
    "Tally",
    "UnknownCandidate",
    "bootstrap_step_support",
    "borda",
    "compare_rankings",
    "first_preferences",
    "format_ranking",
    "group_balanced_ballots",
    "pairwise_matrix",
    "parse_ranking",
    "schulze",
    "tally",
]

Ranking = tuple[tuple[str, ...], ...]

# Enough to hide accumulated float error while keeping any real difference in weight.
_DECIMALS = 9

# Ballots without a stakeholder group are pooled under this key.
_NO_GROUP = ""

_SLUG = re.compile(r"[a-z0-9_-]+")

# array typecode for each field width in bytes; looked up at import because the
# item sizes of 'I' and 'L' differ between platforms.
_TYPECODES: dict[int, str] = {}
for _code in "QLIHB":
    _TYPECODES[array(_code).itemsize] = _code

# Below this many distinct ballots in a weight class, adding to the matrix cell by
# cell is cheaper than packing and unpacking the big-integer rows.
_PACK_MIN = 4

# Largest precomputation (bytes) the bootstrap may keep; beyond it, it rebuilds
# each resample's matrix row by row instead.
_BOOTSTRAP_MEMORY = 128 * 1024 * 1024


class RankingSyntaxError(ValueError):
    """Raised when a textual ranking cannot be parsed."""


class UnknownCandidate(ValueError):
    """Raised when a ballot or ranking names a candidate that is not standing."""


@dataclass(frozen=True, slots=True)
class Ballot:
    """One voter's ranking (tie groups, best first) with a weight and stakeholder group."""

    ranking: Ranking
    weight: float = 1.0
    group: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.ranking, str):
            # A bare string would silently become one candidate per character.
            raise TypeError("Ballot.ranking must be a sequence of tie groups; use Ballot.parse()")
        groups: list[tuple[str, ...]] = []
        seen: set[str] = set()
        for group in self.ranking:
            if isinstance(group, str):
                raise TypeError(f"tie group {group!r} must be a sequence of candidate ids")
            names = tuple(group)
            if not names:
                raise ValueError("a ballot cannot contain an empty tie group")
            for name in names:
                if not isinstance(name, str):
                    raise TypeError(f"candidate id {name!r} is not a string")
                if name in seen:
                    raise ValueError(f"candidate {name!r} appears twice on the ballot")
                seen.add(name)
            groups.append(names)
        weight = float(self.weight)
        if not math.isfinite(weight) or weight < 0:
            raise ValueError(f"ballot weight must be a finite non-negative number, got {weight!r}")
        # Normalise to tuples so equal ballots hash equal and can be aggregated.
        object.__setattr__(self, "ranking", tuple(groups))
        object.__setattr__(self, "weight", weight)

    @classmethod
    def parse(cls, text: str, weight: float = 1.0, group: str | None = None) -> Ballot:
        """Build a ballot from text such as ``"a > b = c"``."""
        return cls(parse_ranking(text), weight, group)


@dataclass(frozen=True, slots=True)
class Step:
    """The boundary between two consecutive tie groups of a Schulze ranking.

    ``margin`` is the smallest ``p[a][b] - p[b][a]`` over the pairs straddling the
    boundary, ``pair`` is the (upper, lower) pair attaining it and ``direct`` its
    head-to-head counts ``(d[a][b], d[b][a])``.  A margin of 0 means some upper
    candidate does not strictly beat some lower one: the Schulze relation is a
    partial order, so a lower candidate can be incomparable with part of the group
    above it.
    """

    winner_group: list[str]
    loser_group: list[str]
    margin: float
    pair: tuple[str, str]
    direct: tuple[float, float]


@dataclass(frozen=True, slots=True)
class SchulzeResult:
    """A Schulze ranking with the path strengths and group boundaries that justify it."""

    ranking: list[list[str]]
    strongest_paths: dict[str, dict[str, float]]
    steps: list[Step]


@dataclass(frozen=True, slots=True)
class GroupResult:
    """How one stakeholder group ranked the candidates on its own."""

    ballot_count: int
    ranking: list[list[str]]


@dataclass(frozen=True, slots=True)
class Tally:
    """Everything a results page needs about one voting round."""

    candidates: list[str]
    ballot_count: int
    pairwise: dict[str, dict[str, float]]
    schulze: SchulzeResult
    first_preferences: dict[str, float]
    borda: dict[str, float]
    groups: dict[str, GroupResult]
    balanced: SchulzeResult
    balanced_pairwise: dict[str, dict[str, float]]


# --------------------------------------------------------------------------- text


def parse_ranking(text: str) -> Ranking:
    """Parse ``"a > b = c > d"`` (``>`` preferred to, ``=`` tied with) into tie groups."""
    if not text.strip():
        raise RankingSyntaxError("the ranking is empty")
    seen: set[str] = set()
    groups: list[tuple[str, ...]] = []
    for position, part in enumerate(text.split(">"), start=1):
        names: list[str] = []
        for raw in part.split("="):
            name = raw.strip()
            if not name:
                raise RankingSyntaxError(
                    f"empty candidate name in group {position} of {text.strip()!r}"
                )
            if not _SLUG.fullmatch(name):
                raise RankingSyntaxError(
                    f"invalid candidate name {name!r}: use lowercase letters, digits, "
                    "'-' and '_' only"
                )
            if name in seen:
                raise RankingSyntaxError(f"candidate {name!r} is named twice")
            seen.add(name)
            names.append(name)
        groups.append(tuple(names))
    return tuple(groups)


def format_ranking(ranking: Sequence[Sequence[str]]) -> str:
    """Render tie groups as ``"a > b = c"``, the inverse of :func:`parse_ranking`."""
    return " > ".join(" = ".join(group) for group in ranking)


# ------------------------------------------------------------------ compilation


@dataclass(slots=True)
class _Entry:
    # Identical ballots collapse into one entry so the expensive work runs once per
    # distinct ballot.  Candidates are indices, and the ranking is stored flat
    # (``order``) with tie-group ``sizes`` because building a tuple per tie group
    # dominated the cost of compiling large rounds.
    order: tuple[int, ...]
    sizes: tuple[int, ...]
    weight: float
    group: str
    count: int

    def groups(self) -> list[tuple[int, ...]]:
        """Return the tie groups as index tuples, best first."""
        groups = []
        start = 0
        for size in self.sizes:
            groups.append(self.order[start : start + size])
            start += size
        return groups


_Key = tuple[tuple[int, ...], tuple[int, ...], float, str]


def _index(candidates: Sequence[str]) -> dict[str, int]:
    index: dict[str, int] = {}
    for name in candidates:
        if name in index:
            raise ValueError(f"candidate {name!r} is listed twice")
        index[name] = len(index)
    return index


def _compile(
    candidates: Sequence[str], ballots: Iterable[Ballot]
) -> tuple[list[str], list[_Entry]]:
    names = list(candidates)
    lookup = _index(names).__getitem__
    merged: dict[_Key, int] = defaultdict(int)
    for ballot, count in Counter(ballots).items():
        if not isinstance(ballot, Ballot):
            raise TypeError(f"expected a Ballot, got {type(ballot).__name__}")
        try:
            order = tuple(map(lookup, chain.from_iterable(ballot.ranking)))
        except KeyError as exc:
            raise UnknownCandidate(f"ballot names unknown candidate {exc.args[0]!r}") from None
        sizes = tuple(map(len, ballot.ranking))
        group = _NO_GROUP if ballot.group is None else ballot.group
        merged[order, sizes, ballot.weight, group] += count
    # Sorting makes every float sum independent of the order the ballots arrived in.
    return names, [_Entry(*key, count) for key, count in sorted(merged.items())]


def _field_bytes(total: int) -> int:
    for width in (1, 2, 4, 8):
        if total < 1 << (8 * width):
            return width
    raise OverflowError("too many ballots to tally")


def _unpack(value: int, fields: int, width: int) -> array:
    counts = array(_TYPECODES[width])
    counts.frombytes(value.to_bytes(fields * width, sys.byteorder))
    return counts


def _rounded(matrix: list[list[float]]) -> list[list[float]]:
    return [[round(x, _DECIMALS) for x in row] for row in matrix]


# -------------------------------------------------------------------- pairwise


def _belows(entry: _Entry, full: int, unit: Sequence[int]) -> list[int]:
    # For each ranked position, the packed set of candidates strictly below it:
    # everything minus a running total of the candidates ranked so far.
    belows = [full - x for x in accumulate(map(unit.__getitem__, entry.order))]
    if len(entry.sizes) != len(entry.order):
        # Tied candidates do not beat each other, so they all share the set below
        # the last member of their group.
        start = 0
        for size in entry.sizes:
            if size > 1:
                belows[start : start + size] = repeat(belows[start + size - 1], size)
            start += size
    return belows


def _count_rows(n: int, entries: Iterable[_Entry], width: int) -> list[int]:
    # Each row is one big integer holding n fixed-width counters, so "a beats every
    # candidate below it" is a single integer addition instead of a Python loop.
    # Counters only grow and stay below 2**(8*width), so fields never carry.
    bits = 8 * width
    unit = [1 << (bits * j) for j in range(n)]
    full = sum(unit)
    rows = [0] * n
    for entry in entries:
        belows = _belows(entry, full, unit)
        count = entry.count
        if count == 1:
            for j, below in zip(entry.order, belows, strict=True):
                rows[j] += below
        else:
            for j, below in zip(entry.order, belows, strict=True):
                rows[j] += below * count
    return rows


def _add_direct(
    d: list[list[float]], n: int, groups: Sequence[tuple[int, ...]], amount: float
) -> None:
    ranked = {j for group in groups for j in group}
    below = [j for j in range(n) if j not in ranked]
    # Walk upwards so "below" grows by one tie group at a time.
    for group in reversed(groups):
        for a in group:
            row = d[a]
            for b in below:
                row[b] += amount
        below.extend(group)


# Maps a ballot class (stakeholder group, weight) to the factor its counts carry
# into one output matrix; 0 leaves the class out.
_Weighting = Callable[[str, float], float]


def _plain(group: str, weight: float) -> float:
    return weight


def _only(wanted: str) -> _Weighting:
    return lambda group, weight: weight if group == wanted else 0.0


def _balanced(totals: Mapping[str, float]) -> _Weighting:
    return lambda group, weight: weight / totals[group] if totals[group] else 0.0


def _pairwise_multi(
    n: int, entries: Iterable[_Entry], weightings: Sequence[_Weighting]
) -> list[list[list[float]]]:
    # Integer counts per (group, weight) class are exact and order-free, and one
    # pass over the ballots then serves the plain, per-group and balanced matrices.
    classes: dict[tuple[str, float], list[_Entry]] = defaultdict(list)
    for entry in entries:
        classes[entry.group, entry.weight].append(entry)
    outputs = [[[0.0] * n for _ in range(n)] for _ in weightings]
    for key in sorted(classes):
        items = classes[key]
        targets = [
            (output, factor)
            for output, weighting in zip(outputs, weightings, strict=True)
            if (factor := weighting(*key))
        ]
        if not targets:
            continue
        if len(items) < _PACK_MIN:
            for entry in items:
                groups = entry.groups()
                for output, factor in targets:
                    _add_direct(output, n, groups, factor * entry.count)
            continue
        width = _field_bytes(sum(entry.count for entry in items))
        rows = _count_rows(n, items, width)
        for a in range(n):
            counts = _unpack(rows[a], n, width)
            for output, factor in targets:
                output[a] = [x + factor * c for x, c in zip(output[a], counts, strict=True)]
    return [_rounded(output) for output in outputs]


def _pairwise_idx(n: int, entries: Iterable[_Entry]) -> list[list[float]]:
    return _pairwise_multi(n, entries, [_plain])[0]


def _as_dict(
    names: Sequence[str], matrix: Sequence[Sequence[float]]
) -> dict[str, dict[str, float]]:
    return {a: dict(zip(names, row, strict=True)) for a, row in zip(names, matrix, strict=True)}


def pairwise_matrix(
    candidates: Sequence[str], ballots: Iterable[Ballot]
) -> dict[str, dict[str, float]]:
    """Return ``d`` with ``d[a][b]`` the total weight of ballots preferring a to b."""
    names, entries = _compile(candidates, ballots)
    return _as_dict(names, _pairwise_idx(len(names), entries))


# --------------------------------------------------------------------- schulze


def _strongest_paths(n: int, d: Sequence[Sequence[float]]) -> list[list[float]]:
    # Widest paths with "winning votes" links (d[a][b] if it beats d[b][a], else
    # none).  This yields exactly the Floyd–Warshall matrix
    # p[i][j] = max(p[i][j], min(p[i][k], p[k][j])), but instead of O(n^3) min/max
    # steps it adds links strongest first while keeping reachability as bitsets:
    # the link that first connects a to b is the bottleneck of the widest a→b path.
    links = sorted(
        ((d[i][j], i, j) for i in range(n) for j in range(n) if d[i][j] > d[j][i]),
        reverse=True,
    )
    p = [[0.0] * n for _ in range(n)]
    reach = [0] * n  # reach[a]: candidates a has a path to, as a bitset
    sources = [1 << a for a in range(n)]  # sources[b]: b and candidates with a path to b
    for strength, u, v in links:
        if reach[u] >> v & 1:
            # Already connected by stronger links, and reach sets are transitively
            # closed, so nobody who reaches u gains anything.
            continue
        gained = reach[v] | 1 << v
        pending = sources[u]
        while pending:
            low = pending & -pending
            pending ^= low
            a = low.bit_length() - 1
            new = gained & ~reach[a]
            if not new:
                continue
            reach[a] |= new
            row = p[a]
            while new:
                bit = new & -new
                new ^= bit
                b = bit.bit_length() - 1
                row[b] = strength
                sources[b] |= low
    for i in range(n):
        # A cycle back to oneself is no path strength.
        p[i][i] = 0.0
    return p


def _schulze_idx(n: int, d: Sequence[Sequence[float]]) -> tuple[list[list[int]], list[list[float]]]:
    p = _strongest_paths(n, d)
    beaten_by = [{j for j in range(n) if p[j][i] > p[i][j]} for i in range(n)]
    remaining = set(range(n))
    ranking: list[list[int]] = []
    while remaining:
        # The Schulze relation is a strict partial order, so some remaining candidate
        # is always unbeaten; the fallback only guards against a broken invariant.
        top = [i for i in remaining if not beaten_by[i] & remaining] or list(remaining)
        ranking.append(top)
        remaining.difference_update(top)
    return ranking, p


def _schulze_named(names: Sequence[str], d: Sequence[Sequence[float]]) -> SchulzeResult:
    order, p = _schulze_idx(len(names), d)
    groups = [sorted(group, key=names.__getitem__) for group in order]
    steps: list[Step] = []
    for upper, lower in pairwise(groups):
        best: tuple[float, int, int] | None = None
        for a in upper:
            for b in lower:
                margin = p[a][b] - p[b][a]
                if best is None or margin < best[0]:
                    best = (margin, a, b)
        assert best is not None  # both groups are non-empty
        margin, a, b = best
        steps.append(
            Step(
                winner_group=[names[i] for i in upper],
                loser_group=[names[i] for i in lower],
                margin=round(margin, _DECIMALS),
                pair=(names[a], names[b]),
                direct=(d[a][b], d[b][a]),
            )
        )
    return SchulzeResult(
        ranking=[[names[i] for i in group] for group in groups],
        strongest_paths=_as_dict(names, p),
        steps=steps,
    )


def schulze(candidates: Sequence[str], d: Mapping[str, Mapping[str, float]]) -> SchulzeResult:
    """Rank candidates by the Schulze method (winning votes) from a pairwise matrix."""
    names = list(candidates)
    _index(names)
    matrix = [[0.0 if a == b else float(d.get(a, {}).get(b, 0.0)) for b in names] for a in names]
    return _schulze_named(names, matrix)


# ------------------------------------------------------------ other summaries


def _first_preferences_idx(n: int, entries: Iterable[_Entry]) -> list[float]:
    scores = [0.0] * n
    for entry in entries:
        # An empty ballot expresses no first preference; it abstains here.
        if entry.sizes:
            top = entry.order[: entry.sizes[0]]
            share = entry.weight * entry.count / len(top)
            for j in top:
                scores[j] += share
    return [round(x, _DECIMALS) for x in scores]


def first_preferences(candidates: Sequence[str], ballots: Iterable[Ballot]) -> dict[str, float]:
    """Return the weight of ballots ranking each candidate top; k tied at the top get 1/k each."""
    names, entries = _compile(candidates, ballots)
    return dict(zip(names, _first_preferences_idx(len(names), entries), strict=True))


def _borda_idx(n: int, d: Sequence[Sequence[float]], total_weight: float) -> list[float]:
    # On one ballot a candidate scores beats + ties/2 with beats + ties + losses = n - 1,
    # i.e. (n - 1)/2 + (beats - losses)/2; summed over ballots that needs only the
    # pairwise matrix, so no second pass over the ballots.
    base = (n - 1) * total_weight
    return [
        round(0.5 * (base + sum(d[a]) - sum(d[b][a] for b in range(n))), _DECIMALS)
        for a in range(n)
    ]


def _total_weight(entries: Iterable[_Entry]) -> float:
    return math.fsum(chain.from_iterable(repeat(e.weight, e.count) for e in entries))


def borda(candidates: Sequence[str], ballots: Iterable[Ballot]) -> dict[str, float]:
    """Return Borda scores: candidates strictly beaten plus half of those tied, times weight.

    Ties count half a point each way and unranked candidates tie with each other,
    so every ballot hands out exactly ``n(n-1)/2`` times its weight in total and an
    empty ballot gives every candidate ``(n-1)/2``.
    """
    names, entries = _compile(candidates, ballots)
    n = len(names)
    d = _pairwise_idx(n, entries)
    return dict(zip(names, _borda_idx(n, d, _total_weight(entries)), strict=True))


# ------------------------------------------------------------ group balancing


def group_balanced_ballots(ballots: Iterable[Ballot]) -> list[Ballot]:
    """Reweight ballots so every stakeholder group carries a total weight of exactly one.

    Within a group weights keep their proportions (``w / W_g``), which for unit
    weights is ``1 / n_g``.  Ballots with ``group=None`` form one group together
    with any ballots whose group is ``""``.
    """
    items = list(ballots)
    weights: dict[str, list[float]] = defaultdict(list)
    for ballot in items:
        weights[_NO_GROUP if ballot.group is None else ballot.group].append(ballot.weight)
    # fsum is exact, so the scale does not depend on ballot order.
    totals = {group: math.fsum(ws) for group, ws in weights.items()}
    balanced = _balanced(totals)
    return [
        Ballot(
            ballot.ranking,
            balanced(_NO_GROUP if ballot.group is None else ballot.group, ballot.weight),
            ballot.group,
        )
        for ballot in items
    ]


def _group_totals(entries: Iterable[_Entry]) -> dict[str, float]:
    weights: dict[str, list[float]] = defaultdict(list)
    for entry in entries:
        weights[entry.group].extend(repeat(entry.weight, entry.count))
    return {group: math.fsum(ws) for group, ws in weights.items()}


def tally(candidates: Sequence[str], ballots: Iterable[Ballot]) -> Tally:
    """Tally a round: pairwise, Schulze, first preferences, Borda, per-group and balanced."""
    names, entries = _compile(candidates, ballots)
    n = len(names)
    totals = _group_totals(entries)
    group_names = sorted(totals)
    plain_d, balanced_d, *group_ds = _pairwise_multi(
        n, entries, [_plain, _balanced(totals), *map(_only, group_names)]
    )
    counts: Counter[str] = Counter()
    for entry in entries:
        counts[entry.group] += entry.count
    return Tally(
        candidates=names,
        ballot_count=sum(counts.values()),
        pairwise=_as_dict(names, plain_d),
        schulze=_schulze_named(names, plain_d),
        first_preferences=dict(zip(names, _first_preferences_idx(n, entries), strict=True)),
        borda=dict(zip(names, _borda_idx(n, plain_d, _total_weight(entries)), strict=True)),
        groups={
            group: GroupResult(counts[group], _schulze_named(names, group_d).ranking)
            for group, group_d in zip(group_names, group_ds, strict=True)
        },
        balanced=_schulze_named(names, balanced_d),
        balanced_pairwise=_as_dict(names, balanced_d),
    )


# ------------------------------------------------------------------ bootstrap


class _Resampler:
    """Builds the pairwise matrix of a resample from per-entry multiplicities."""

    def __init__(self, n: int, entries: Sequence[_Entry], population: int) -> None:
        self.n = n
        self.entries = entries
        # A resample has `population` ballots, so no counter can exceed it.
        self.width = _field_bytes(population)
        self.weights = sorted({entry.weight for entry in entries})
        position = {weight: k for k, weight in enumerate(self.weights)}
        self.weight_of = [position[entry.weight] for entry in entries]
        # One integer per distinct ballot holding its whole n*n contribution turns a
        # resample into one addition per ballot; keep them only if memory allows.
        self.matrices: list[int] | None = None
        if len(entries) * n * n * self.width <= _BOOTSTRAP_MEMORY:
            self.matrices = [self._matrix(entry) for entry in entries]

    def _matrix(self, entry: _Entry) -> int:
        bits = 8 * self.width
        unit = [1 << (bits * j) for j in range(self.n)]
        row_bits = self.n * bits
        belows = _belows(entry, sum(unit), unit)
        return sum(below << (row_bits * j) for j, below in zip(entry.order, belows, strict=True))

    def pairwise(self, counts: Mapping[int, int]) -> list[list[float]]:
        n = self.n
        if self.matrices is None:
            resampled = [
                _Entry(entry.order, entry.sizes, entry.weight, _NO_GROUP, counts[k])
                for k, entry in enumerate(self.entries)
                if counts.get(k)
            ]
            return _pairwise_idx(n, resampled)
        # Bucketing by multiplicity leaves one big multiplication per bucket instead
        # of one per ballot.
        buckets: dict[tuple[int, int], list[int]] = defaultdict(list)
        for k, count in counts.items():
            buckets[self.weight_of[k], count].append(self.matrices[k])
        sums = [0] * len(self.weights)
        for (weight_class, count), matrices in buckets.items():
            sums[weight_class] += sum(matrices) * count
        d = [[0.0] * n for _ in range(n)]
        for weight, value in zip(self.weights, sums, strict=True):
            if weight and value:
                flat = _unpack(value, n * n, self.width)
                for a in range(n):
                    d[a] = [
                        x + weight * c for x, c in zip(d[a], flat[a * n : (a + 1) * n], strict=True)
                    ]
        return _rounded(d)


def bootstrap_step_support(
    candidates: Sequence[str],
    ballots: Iterable[Ballot],
    ranking: Sequence[Sequence[str]],
    *,
    samples: int = 200,
    seed: int = 0,
) -> list[float]:
    """Return, per step of ``ranking``, the share of bootstrap resamples in which it holds.

    Each resample draws as many ballots as were cast, uniformly with replacement
    (a ballot keeps its weight).  A step holds when every candidate of the upper
    group sits in a strictly better tie group than every candidate of the lower
    group in the resample's Schulze ranking.
    """
    if samples < 1:
        raise ValueError("samples must be at least 1")
    names, entries = _compile(candidates, ballots)
    index = {name: i for i, name in enumerate(names)}
    groups: list[list[int]] = []
    for group in ranking:
        if not group:
            raise ValueError("ranking contains an empty tie group")
        try:
            groups.append([index[name] for name in group])
        except KeyError as exc:
            raise UnknownCandidate(f"ranking names unknown candidate {exc.args[0]!r}") from None
    steps = list(pairwise(groups))
    if not steps:
        return []

    n = len(names)
    population = sum(entry.count for entry in entries)
    resampler = _Resampler(n, entries, population)
    rng = random.Random(seed)
    # One slot per cast ballot naming its distinct-ballot entry: uniform draws from
    # it give the multinomial resample counts per entry without the bisect that
    # weighted choices() needs, and the tally then touches each entry once.
    owners = [k for k, entry in enumerate(entries) for _ in range(entry.count)]
    held = [0] * len(steps)
    for _ in range(samples):
        counts = Counter(rng.choices(owners, k=population)) if population else Counter()
        order, _ = _schulze_idx(n, resampler.pairwise(counts))
        position = [0] * n
        for rank, group in enumerate(order):
            for i in group:
                position[i] = rank
        for s, (upper, lower) in enumerate(steps):
            if max(position[i] for i in upper) < min(position[j] for j in lower):
                held[s] += 1
    return [h / samples for h in held]


# ------------------------------------------------------------------ comparison


def _positions(ranking: Sequence[Sequence[str]]) -> dict[str, int]:
    positions: dict[str, int] = {}
    better = 0
    for group in ranking:
        for name in group:
            positions[name] = 1 + better
        better += len(group)
    return positions


def compare_rankings(previous: list[list[str]], current: list[list[str]]) -> dict[str, int | None]:
    """Return each current candidate's rise in position since ``previous`` (None if new)."""
    before = _positions(previous)
    after = _positions(current)
    return {name: (before[name] - pos if name in before else None) for name, pos in after.items()}


# ------------------------------------------------------------ places, ties included


def inseparable_groups(result: SchulzeResult) -> list[list[str]]:
    """The ranking with tie groups merged across every step of margin 0.

    A margin of 0 means some topic above does not beat some topic below (their
    strongest paths are equal): the voters did not separate them, so readers
    see them as tied rather than as two places.
    """
    merged: list[list[str]] = []
    for index, group in enumerate(result.ranking):
        if merged and result.steps[index - 1].margin == 0:
            merged[-1] = merged[-1] + list(group)
        else:
            merged.append(list(group))
    return merged


def place_labels(groups: Sequence[Sequence[str]]) -> dict[str, str]:
    """Each candidate's place as people write it: "1", "2=", "2=", "4" (ties share a place)."""
    labels: dict[str, str] = {}
    better = 0
    for group in groups:
        label = f"{better + 1}{'=' if len(group) > 1 else ''}"
        for name in group:
            labels[name] = label
        better += len(group)
    return labels
