"""Tests for topics.ranking: ranked-ballot tallying with the Schulze method.

Pure Python; needs neither Django nor a database.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from topics import ranking
from topics.ranking import (
    Ballot,
    RankingSyntaxError,
    UnknownCandidate,
    bootstrap_step_support,
    borda,
    compare_rankings,
    first_preferences,
    format_ranking,
    group_balanced_ballots,
    pairwise_matrix,
    parse_ranking,
    schulze,
    tally,
)

# ----------------------------------------------------------------- helpers


def ballots(*spec: tuple[int, str], weight: float = 1.0, group: str | None = None) -> list[Ballot]:
    """Expand ``(count, "a > b = c")`` pairs into individual ballots."""
    return [Ballot.parse(text, weight, group) for count, text in spec for _ in range(count)]


def naive_pairwise(
    candidates: Sequence[str], cast: Sequence[Ballot]
) -> dict[str, dict[str, float]]:
    """Count pairwise preferences the slow, obvious way: compare rank positions pair by pair."""
    d = {a: dict.fromkeys(candidates, 0.0) for a in candidates}
    for ballot in cast:
        unranked = len(ballot.ranking)
        rank = {name: r for r, group in enumerate(ballot.ranking) for name in group}
        for a in candidates:
            for b in candidates:
                if rank.get(a, unranked) < rank.get(b, unranked):
                    d[a][b] += ballot.weight
    return d


def naive_borda(candidates: Sequence[str], cast: Sequence[Ballot]) -> dict[str, float]:
    """Score each ballot directly: one point per candidate beaten, half per candidate tied."""
    scores = dict.fromkeys(candidates, 0.0)
    for ballot in cast:
        unranked = len(ballot.ranking)
        rank = {name: r for r, group in enumerate(ballot.ranking) for name in group}
        for a in candidates:
            for b in candidates:
                if a == b:
                    continue
                ra, rb = rank.get(a, unranked), rank.get(b, unranked)
                if ra < rb:
                    scores[a] += ballot.weight
                elif ra == rb:
                    scores[a] += ballot.weight / 2
    return scores


def floyd_warshall(
    candidates: Sequence[str], d: dict[str, dict[str, float]]
) -> dict[tuple[str, str], float]:
    """Textbook Schulze strongest paths (winning votes) to check the library's algorithm."""
    p = {}
    for a in candidates:
        for b in candidates:
            if a != b:
                p[a, b] = d[a][b] if d[a][b] > d[b][a] else 0.0
    for k in candidates:
        for i in candidates:
            if i == k:
                continue
            for j in candidates:
                if j not in (i, k):
                    p[i, j] = max(p[i, j], min(p[i, k], p[k, j]))
    return p


def condorcet_winner(candidates: Sequence[str], d: dict[str, dict[str, float]]) -> str | None:
    """Return the candidate beating every other head-to-head, if there is one."""
    for a in candidates:
        if all(d[a][b] > d[b][a] for b in candidates if b != a):
            return a
    return None


WIKIPEDIA = list("abcde")
WIKIPEDIA_BALLOTS = ballots(
    (5, "a > c > b > e > d"),
    (5, "a > d > e > c > b"),
    (8, "b > e > d > a > c"),
    (3, "c > a > b > e > d"),
    (7, "c > a > e > b > d"),
    (2, "c > b > a > d > e"),
    (7, "d > c > e > b > a"),
    (8, "e > b > a > d > c"),
)

# --------------------------------------------------------- hypothesis setup

POOL = ["a", "b", "c", "d", "e", "f"]


@st.composite
def ballot_for(draw: st.DrawFn, candidates: Sequence[str]) -> Ballot:
    """Draw a partial ranking of ``candidates`` with occasional ties, weights and groups."""
    order = draw(st.permutations(candidates))
    named = order[: draw(st.integers(0, len(order)))]
    groups: list[list[str]] = []
    for name in named:
        if groups and draw(st.sampled_from([False, False, True])):
            groups[-1].append(name)
        else:
            groups.append([name])
    return Ballot(
        tuple(map(tuple, groups)),
        weight=draw(st.sampled_from([1.0, 1.0, 1.0, 0.5, 2.0, 3.0])),
        group=draw(st.sampled_from([None, "users", "maintainers"])),
    )


@st.composite
def elections(draw: st.DrawFn) -> tuple[list[str], list[Ballot]]:
    """Draw up to six candidates (in any listing order) and up to fifteen ballots."""
    candidates = list(draw(st.permutations(POOL[: draw(st.integers(1, 6))])))
    cast = draw(st.lists(ballot_for(candidates), max_size=15))
    return candidates, cast


PROPERTY = settings(max_examples=100, deadline=None)

# ------------------------------------------------------ the Wikipedia example


def test_wikipedia_45_voter_example_ranks_e_a_c_b_d() -> None:
    d = pairwise_matrix(WIKIPEDIA, WIKIPEDIA_BALLOTS)

    assert schulze(WIKIPEDIA, d).ranking == [["e"], ["a"], ["c"], ["b"], ["d"]]


def test_wikipedia_example_pairwise_counts_match_the_published_table() -> None:
    d = pairwise_matrix(WIKIPEDIA, WIKIPEDIA_BALLOTS)

    table = {
        "a": [0, 20, 26, 30, 22],
        "b": [25, 0, 16, 33, 18],
        "c": [19, 29, 0, 17, 24],
        "d": [15, 12, 28, 0, 14],
        "e": [23, 27, 21, 31, 0],
    }
    assert {a: [d[a][b] for b in WIKIPEDIA] for a in WIKIPEDIA} == table


def test_wikipedia_example_strongest_paths_match_the_published_table() -> None:
    result = schulze(WIKIPEDIA, pairwise_matrix(WIKIPEDIA, WIKIPEDIA_BALLOTS))

    # Verified by enumerating every simple path; the diagonal is reported as 0.
    table = {
        "a": [0, 28, 28, 30, 24],
        "b": [25, 0, 28, 33, 24],
        "c": [25, 29, 0, 29, 24],
        "d": [25, 28, 28, 0, 24],
        "e": [25, 28, 28, 31, 0],
    }
    p = result.strongest_paths
    assert {a: [p[a][b] for b in WIKIPEDIA] for a in WIKIPEDIA} == table


def test_wikipedia_example_steps_report_the_closest_margin_and_its_head_to_head_counts() -> None:
    steps = schulze(WIKIPEDIA, pairwise_matrix(WIKIPEDIA, WIKIPEDIA_BALLOTS)).steps

    assert [(s.winner_group, s.loser_group, s.margin, s.pair, s.direct) for s in steps] == [
        (["e"], ["a"], 1, ("e", "a"), (23, 22)),
        (["a"], ["c"], 3, ("a", "c"), (26, 19)),
        (["c"], ["b"], 1, ("c", "b"), (29, 16)),
        (["b"], ["d"], 5, ("b", "d"), (33, 12)),
    ]


def test_wikipedia_example_tally_counts_45_ballots() -> None:
    assert tally(WIKIPEDIA, WIKIPEDIA_BALLOTS).ballot_count == 45


# ------------------------------------------------------------ Schulze ranking


def test_symmetric_cycle_is_reported_as_a_single_tie_group() -> None:
    cast = ballots((1, "a > b > c"), (1, "b > c > a"), (1, "c > a > b"))

    result = schulze(["a", "b", "c"], pairwise_matrix(["a", "b", "c"], cast))

    assert result.ranking == [["a", "b", "c"]]
    assert result.steps == []


def test_candidates_within_a_tie_group_are_ordered_by_id() -> None:
    candidates = ["zeta", "alpha", "mid"]

    result = schulze(candidates, pairwise_matrix(candidates, []))

    assert result.ranking == [["alpha", "mid", "zeta"]]


def test_election_without_ballots_ties_everyone_with_zero_counts() -> None:
    result = tally(["a", "b"], [])

    assert result.schulze.ranking == [["a", "b"]]
    assert result.pairwise == {"a": {"a": 0.0, "b": 0.0}, "b": {"a": 0.0, "b": 0.0}}
    assert result.ballot_count == 0


def test_unranked_candidates_rank_below_ranked_ones_and_tie_with_each_other() -> None:
    cast = ballots((1, "c"), (1, "c > a"))

    result = schulze(["a", "b", "c", "d"], pairwise_matrix(["a", "b", "c", "d"], cast))

    assert result.ranking == [["c"], ["a"], ["b", "d"]]


def test_partial_ballot_prefers_each_ranked_candidate_to_each_unranked_one() -> None:
    d = pairwise_matrix(["a", "b", "c"], ballots((1, "b")))

    assert d == {
        "a": {"a": 0.0, "b": 0.0, "c": 0.0},
        "b": {"a": 1.0, "b": 0.0, "c": 1.0},
        "c": {"a": 0.0, "b": 0.0, "c": 0.0},
    }


def test_condorcet_winner_is_first_even_with_fewest_first_preferences() -> None:
    cast = ballots((4, "a > b > c"), (3, "c > b > a"), (2, "b > a > c"))

    result = tally(["a", "b", "c"], cast)

    assert result.schulze.ranking[0] == ["b"]
    assert min(result.first_preferences, key=result.first_preferences.__getitem__) == "b"


def test_ballot_with_weight_two_counts_like_two_ballots() -> None:
    weighted = [Ballot.parse("a > b", weight=2.0), *ballots((1, "b > a"))]
    doubled = ballots((2, "a > b"), (1, "b > a"))

    assert pairwise_matrix(["a", "b"], weighted) == pairwise_matrix(["a", "b"], doubled)


def test_zero_weight_ballot_changes_nothing() -> None:
    cast = ballots((2, "a > b"))

    with_zero = [*cast, Ballot.parse("b > a", weight=0.0)]

    assert pairwise_matrix(["a", "b"], with_zero) == pairwise_matrix(["a", "b"], cast)


def test_many_distinct_weights_give_the_same_counts_as_the_naive_tally() -> None:
    rng = random.Random(7)
    candidates = [f"c{i}" for i in range(8)]
    cast = []
    for i in range(60):
        order = rng.sample(candidates, rng.randint(0, 8))
        # Every fifth ballot has its own weight so both counting paths are exercised.
        weight = 1.0 if i % 5 else 0.1 * (i + 1)
        cast.append(Ballot(tuple((name,) for name in order), weight))

    d = pairwise_matrix(candidates, cast)

    expected = naive_pairwise(candidates, cast)
    assert d == {a: pytest.approx(row) for a, row in expected.items()}


def test_schulze_accepts_a_matrix_with_missing_entries_as_zero() -> None:
    result = schulze(["a", "b"], {"a": {"b": 3.0}})

    assert result.ranking == [["a"], ["b"]]


# ----------------------------------------------------------- group balancing


BIG_AND_SMALL_GROUPS = [
    *ballots((10, "a > b > c"), group="big"),
    *ballots((2, "b > a > c"), group="small-1"),
    *ballots((2, "b > c > a"), group="small-2"),
]


def test_group_balancing_gives_each_group_a_total_weight_of_one() -> None:
    balanced = group_balanced_ballots(BIG_AND_SMALL_GROUPS)

    totals: dict[str | None, float] = {}
    for ballot in balanced:
        totals[ballot.group] = totals.get(ballot.group, 0.0) + ballot.weight
    assert totals == pytest.approx({"big": 1.0, "small-1": 1.0, "small-2": 1.0})
    assert {b.weight for b in balanced if b.group == "big"} == {0.1}


def test_group_balancing_lets_small_groups_overturn_the_plain_ranking() -> None:
    result = tally(["a", "b", "c"], BIG_AND_SMALL_GROUPS)

    assert result.schulze.ranking == [["a"], ["b"], ["c"]]
    assert result.balanced.ranking == [["b"], ["a"], ["c"]]
    assert result.balanced_pairwise["b"]["a"] == 2.0
    assert result.balanced_pairwise["a"]["b"] == 1.0


def test_balanced_result_equals_schulze_on_group_balanced_ballots() -> None:
    candidates = ["a", "b", "c"]

    balanced = group_balanced_ballots(BIG_AND_SMALL_GROUPS)

    expected = schulze(candidates, pairwise_matrix(candidates, balanced))
    assert tally(candidates, BIG_AND_SMALL_GROUPS).balanced == expected


def test_tally_reports_each_groups_ballot_count_and_own_ranking() -> None:
    groups = tally(["a", "b", "c"], BIG_AND_SMALL_GROUPS).groups

    assert {name: (g.ballot_count, g.ranking) for name, g in groups.items()} == {
        "big": (10, [["a"], ["b"], ["c"]]),
        "small-1": (2, [["b"], ["a"], ["c"]]),
        "small-2": (2, [["b"], ["c"], ["a"]]),
    }


def test_ballots_without_a_group_are_pooled_under_the_empty_string() -> None:
    cast = [*ballots((3, "a > b")), *ballots((1, "b > a"), group="team")]

    groups = tally(["a", "b"], cast).groups

    assert {name: g.ballot_count for name, g in groups.items()} == {"": 3, "team": 1}


def test_group_balancing_keeps_weight_proportions_within_a_group() -> None:
    cast = [Ballot.parse("a", 3.0, "g"), Ballot.parse("b", 1.0, "g")]

    assert [b.weight for b in group_balanced_ballots(cast)] == [0.75, 0.25]


# ------------------------------------------------- first preferences and Borda


SMALL_CANDIDATES = ["a", "b", "c", "d"]
SMALL_BALLOTS = [
    Ballot.parse("a > b = c"),
    Ballot.parse("b = c > a", weight=2.0),
    Ballot.parse("d", weight=0.5),
]


def test_first_preferences_split_a_tied_top_group_evenly() -> None:
    assert first_preferences(SMALL_CANDIDATES, SMALL_BALLOTS) == {
        "a": 1.0,
        "b": 1.0,
        "c": 1.0,
        "d": 0.5,
    }


def test_empty_ballot_gives_no_first_preference() -> None:
    assert first_preferences(["a", "b"], [Ballot(())]) == {"a": 0.0, "b": 0.0}


def test_borda_scores_half_a_point_for_each_tie_including_among_unranked() -> None:
    # a: 3 + 2*1 + 0.5*(2 unranked ties * 0.5); b and c: 1.5 + 2*2.5 + 0.5; d: 0 + 0 + 0.5*3
    assert borda(SMALL_CANDIDATES, SMALL_BALLOTS) == {"a": 5.5, "b": 7.0, "c": 7.0, "d": 1.5}


def test_empty_ballot_gives_every_candidate_half_of_the_others() -> None:
    assert borda(["a", "b", "c"], [Ballot(())]) == {"a": 1.0, "b": 1.0, "c": 1.0}


def test_tally_bundles_first_preferences_and_borda() -> None:
    result = tally(SMALL_CANDIDATES, SMALL_BALLOTS)

    assert result.first_preferences == first_preferences(SMALL_CANDIDATES, SMALL_BALLOTS)
    assert result.borda == borda(SMALL_CANDIDATES, SMALL_BALLOTS)


# -------------------------------------------------------------- text format


def test_parse_ranking_reads_preferences_and_ties() -> None:
    assert parse_ranking("simd-support > abi = gpus > cross-compilation") == (
        ("simd-support",),
        ("abi", "gpus"),
        ("cross-compilation",),
    )


def test_parse_ranking_tolerates_missing_and_extra_whitespace() -> None:
    assert parse_ranking("  a>b =  c_2\t> d-1 \n") == (("a",), ("b", "c_2"), ("d-1",))


@pytest.mark.parametrize(
    "groups",
    [
        (("a",),),
        (("simd-support",), ("abi", "gpus"), ("cross-compilation",)),
        (("x", "y", "z"),),
    ],
)
def test_format_ranking_round_trips_through_parse_ranking(groups: ranking.Ranking) -> None:
    text = format_ranking(groups)

    assert parse_ranking(text) == groups


def test_format_ranking_spaces_operators() -> None:
    assert format_ranking([["a"], ["b", "c"]]) == "a > b = c"


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_parse_ranking_rejects_empty_text(text: str) -> None:
    with pytest.raises(RankingSyntaxError, match="empty"):
        parse_ranking(text)


@pytest.mark.parametrize("text", ["a > > b", "> a", "a >", "a = ", "a = = b", "a > b = "])
def test_parse_ranking_rejects_an_empty_part(text: str) -> None:
    with pytest.raises(RankingSyntaxError, match="empty candidate name"):
        parse_ranking(text)


@pytest.mark.parametrize("text", ["a > b = a", "a > a", "a = a"])
def test_parse_ranking_rejects_a_candidate_named_twice(text: str) -> None:
    with pytest.raises(RankingSyntaxError, match="named twice"):
        parse_ranking(text)


@pytest.mark.parametrize("text", ["Abi > b", "a b > c", "a > b.c", "a, b", "é > a", "a < b"])
def test_parse_ranking_rejects_characters_outside_slugs(text: str) -> None:
    with pytest.raises(RankingSyntaxError, match="invalid candidate name"):
        parse_ranking(text)


def test_ranking_syntax_error_is_a_value_error() -> None:
    assert issubclass(RankingSyntaxError, ValueError)


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize("function", [pairwise_matrix, first_preferences, borda, tally])
def test_ballot_naming_an_unknown_candidate_is_rejected(
    function: Callable[[list[str], list[Ballot]], object],
) -> None:
    with pytest.raises(UnknownCandidate, match="'zzz'"):
        function(["a", "b"], ballots((1, "a > zzz")))


def test_bootstrap_ranking_naming_an_unknown_candidate_is_rejected() -> None:
    with pytest.raises(UnknownCandidate):
        bootstrap_step_support(["a", "b"], ballots((1, "a > b")), [["a"], ["zzz"]])


def test_unknown_candidate_is_a_value_error() -> None:
    assert issubclass(UnknownCandidate, ValueError)


def test_ballot_rejects_a_candidate_named_twice() -> None:
    with pytest.raises(ValueError, match="twice"):
        Ballot((("a",), ("b", "a")))


def test_ballot_rejects_an_empty_tie_group() -> None:
    with pytest.raises(ValueError, match="empty tie group"):
        Ballot((("a",), ()))


@pytest.mark.parametrize("weight", [-1.0, float("nan"), float("inf")])
def test_ballot_rejects_a_weight_that_is_negative_or_not_finite(weight: float) -> None:
    with pytest.raises(ValueError, match="weight"):
        Ballot((("a",),), weight)


def test_ballot_rejects_a_bare_string_ranking() -> None:
    with pytest.raises(TypeError):
        Ballot("a > b")  # type: ignore[arg-type]


def test_ballot_normalises_lists_to_hashable_tuples() -> None:
    ballot = Ballot([["a"], ["b", "c"]])  # type: ignore[arg-type]

    assert ballot == Ballot((("a",), ("b", "c")))
    assert hash(ballot) == hash(Ballot((("a",), ("b", "c"))))


def test_candidate_listed_twice_is_rejected() -> None:
    with pytest.raises(ValueError, match="listed twice"):
        pairwise_matrix(["a", "a"], [])


# ------------------------------------------------------------------- bootstrap


DECISIVE_AND_TOSS_UP = ballots((26, "a > b > c"), (24, "a > c > b"))


def test_bootstrap_gives_the_same_support_for_the_same_seed() -> None:
    first = bootstrap_step_support(
        ["a", "b", "c"], DECISIVE_AND_TOSS_UP, [["a"], ["b"], ["c"]], samples=50, seed=3
    )
    second = bootstrap_step_support(
        ["a", "b", "c"], DECISIVE_AND_TOSS_UP, [["a"], ["b"], ["c"]], samples=50, seed=3
    )

    assert first == second


def test_bootstrap_fully_supports_a_decisive_step_and_weakly_a_toss_up() -> None:
    decisive, toss_up = bootstrap_step_support(
        ["a", "b", "c"], DECISIVE_AND_TOSS_UP, [["a"], ["b"], ["c"]], samples=200
    )

    assert decisive == 1.0
    assert 0.2 < toss_up < 0.8


def test_bootstrap_does_not_depend_on_ballot_order() -> None:
    shuffled = DECISIVE_AND_TOSS_UP[:]
    random.Random(1).shuffle(shuffled)
    arguments = (["a", "b", "c"], [["a"], ["b"], ["c"]])

    assert bootstrap_step_support(
        arguments[0], shuffled, arguments[1], samples=50
    ) == bootstrap_step_support(arguments[0], DECISIVE_AND_TOSS_UP, arguments[1], samples=50)


def test_bootstrap_without_precomputed_matrices_gives_the_same_support(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    arguments = (["a", "b", "c"], DECISIVE_AND_TOSS_UP, [["a"], ["b"], ["c"]])
    expected = bootstrap_step_support(*arguments, samples=50)

    monkeypatch.setattr(ranking, "_BOOTSTRAP_MEMORY", 0)

    assert bootstrap_step_support(*arguments, samples=50) == expected


def test_bootstrap_reports_no_steps_for_a_single_tie_group() -> None:
    assert bootstrap_step_support(["a", "b"], DECISIVE_AND_TOSS_UP[:0], [["a", "b"]]) == []


def test_bootstrap_without_ballots_never_supports_a_strict_step() -> None:
    assert bootstrap_step_support(["a", "b"], [], [["a"], ["b"]], samples=5) == [0.0]


def test_bootstrap_rejects_zero_samples() -> None:
    with pytest.raises(ValueError, match="samples"):
        bootstrap_step_support(["a", "b"], [], [["a"], ["b"]], samples=0)


# ------------------------------------------------------------------ comparison


def test_compare_rankings_reports_moves_up_as_positive_and_new_candidates_as_none() -> None:
    previous = [["a"], ["b", "c"], ["d"]]
    current = [["b"], ["a"], ["c", "d"], ["e"]]

    assert compare_rankings(previous, current) == {
        "b": 1,
        "a": -1,
        "c": -1,
        "d": 1,
        "e": None,
    }


def test_compare_rankings_places_a_group_after_all_candidates_ranked_above_it() -> None:
    # Positions: x, y tie at 1; z is 3rd, not 2nd, so a rise from 5th to 3rd is +2.
    assert compare_rankings([["p", "q", "r", "s"], ["z"]], [["x", "y"], ["z"]])["z"] == 2


def test_compare_rankings_ignores_candidates_that_dropped_out() -> None:
    assert compare_rankings([["gone"], ["a"]], [["a"]]) == {"a": 1}


# ------------------------------------------------------------------ properties


@PROPERTY
@given(elections())
def test_schulze_puts_a_condorcet_winner_first_whenever_one_exists(
    election: tuple[list[str], list[Ballot]],
) -> None:
    candidates, cast = election
    winner = condorcet_winner(candidates, naive_pairwise(candidates, cast))

    result = tally(candidates, cast)

    if winner is not None:
        assert result.schulze.ranking[0] == [winner]


@PROPERTY
@given(elections())
def test_adding_a_candidate_nobody_ranks_keeps_the_order_and_puts_it_last(
    election: tuple[list[str], list[Ballot]],
) -> None:
    candidates, cast = election
    before = tally(candidates, cast).schulze.ranking

    after = tally([*candidates, "zz"], cast).schulze.ranking

    assert "zz" in after[-1]
    without = [[name for name in group if name != "zz"] for group in after]
    assert [group for group in without if group] == before


@PROPERTY
@given(elections(), st.randoms(use_true_random=False))
def test_tally_does_not_depend_on_ballot_order(
    election: tuple[list[str], list[Ballot]], rng: random.Random
) -> None:
    candidates, cast = election
    shuffled = cast[:]
    rng.shuffle(shuffled)

    assert tally(candidates, shuffled) == tally(candidates, cast)


@PROPERTY
@given(elections())
def test_pairwise_matrix_matches_a_naive_pair_by_pair_count(
    election: tuple[list[str], list[Ballot]],
) -> None:
    candidates, cast = election

    d = pairwise_matrix(candidates, cast)

    expected = naive_pairwise(candidates, cast)
    assert d == {a: pytest.approx(row) for a, row in expected.items()}


@PROPERTY
@given(elections())
def test_strongest_paths_match_a_textbook_floyd_warshall(
    election: tuple[list[str], list[Ballot]],
) -> None:
    candidates, cast = election
    d = pairwise_matrix(candidates, cast)

    p = schulze(candidates, d).strongest_paths

    expected = floyd_warshall(candidates, d)
    assert {(a, b): p[a][b] for a in candidates for b in candidates if a != b} == expected


@PROPERTY
@given(elections())
def test_no_candidate_is_beaten_by_anyone_ranked_below_it(
    election: tuple[list[str], list[Ballot]],
) -> None:
    candidates, cast = election

    result = tally(candidates, cast).schulze

    p = result.strongest_paths
    for upper_index, upper in enumerate(result.ranking):
        for lower in result.ranking[upper_index:]:
            for a in upper:
                assert all(p[b][a] <= p[a][b] for b in lower)


@PROPERTY
@given(elections())
def test_borda_matches_direct_per_ballot_scoring(
    election: tuple[list[str], list[Ballot]],
) -> None:
    candidates, cast = election

    assert borda(candidates, cast) == pytest.approx(naive_borda(candidates, cast))
