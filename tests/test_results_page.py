"""The results page's data from a tally (pure: no request, no database)."""

import pytest

from topics import ranking
from topics.results_page import describe_support, page_data, participation_chart
from topics.services.voting import GroupParticipation, RoundResults


@pytest.mark.parametrize(
    ("fraction", "label"),
    [(1.0, "decisive"), (0.95, "decisive"), (0.9, "clear"), (0.7, "leaning"), (0.5, "toss-up")],
)
def test_support_is_put_in_words(fraction, label):
    assert describe_support(fraction)[0] == label
    assert f"{fraction:.0%}" in describe_support(fraction)[1]


def results_for(rankings: list[str]) -> RoundResults:
    candidates = ["a", "b", "c"]
    ballots = [ranking.Ballot.parse(text, group="g") for text in rankings]
    tally = ranking.tally(candidates, ballots)
    return RoundResults(
        round_id=1,
        candidates=candidates,
        titles={c: c.upper() for c in candidates},
        tally=tally,
        step_support=[1.0] * len(tally.schulze.steps),
        groups=[GroupParticipation(name="g", ballots=len(ballots), eligible=4, ranking=[])],
    )


def test_rows_carry_shared_places_for_topics_the_voters_did_not_separate():
    data = page_data(results_for(["c > a > b", "c > b > a"]))
    assert [(row["title"], row["place"]) for row in data["rows"]] == [
        ("C", "1"),
        ("A", "2="),
        ("B", "2="),
    ]


def test_the_chart_scales_bars_to_the_largest_group():
    chart = participation_chart(
        [GroupParticipation("big", 8, 10, []), GroupParticipation("small", 2, None, [])]
    )
    big, small = chart["bars"]
    assert big["width"] == 4 * small["width"] and small["eligible_width"] == 0
