"""A round's results as the results page shows them: rows, steps in words, matrix, chart.

Pure: it takes the tally (topics.services.voting.RoundResults) and returns
plain values for the template, so it is tested without a request.
"""

from __future__ import annotations

from topics import ranking

CHART_BAR_HEIGHT = 28
CHART_WIDTH = 640
CHART_LABEL_WIDTH = 260

TIE_SENTENCE = (
    "tied: as many voters prefer one side as the other, so neither is ranked above the other "
    "and both share a place"
)
SUPPORT_WORDS = [
    (0.95, "decisive", "holds in {pct} of resampled elections: decisive"),
    (0.80, "clear", "holds in {pct} of resampled elections: clear, but not beyond doubt"),
    (0.60, "leaning", "holds in {pct} of resampled elections: a lean, not a settled order"),
    (0.0, "toss-up", "holds in only {pct} of resampled elections: a toss-up"),
]


def describe_support(fraction: float) -> tuple[str, str]:
    """A step's bootstrap support in words: (short label, sentence)."""
    pct = f"{fraction:.0%}"
    for threshold, label, sentence in SUPPORT_WORDS:
        if fraction >= threshold:
            return label, sentence.format(pct=pct)
    return SUPPORT_WORDS[-1][1], SUPPORT_WORDS[-1][2].format(pct=pct)


def page_data(results) -> dict:
    """Everything the results page shows besides the round itself."""
    tally, titles = results.tally, results.titles
    total = tally.ballot_count or 1
    order = [slug for group in results.ranking for slug in group]
    steps = []
    for index, step in enumerate(tally.schulze.steps):
        support = results.step_support[index] if index < len(results.step_support) else 0.0
        label, sentence = describe_support(support)
        if step.margin == 0:
            label, sentence = "tie", TIE_SENTENCE
        a, b = step.pair
        steps.append(
            {
                "winner": [titles[s] for s in step.winner_group],
                "loser": [titles[s] for s in step.loser_group],
                "margin": step.margin,
                "a": titles[a],
                "b": titles[b],
                "for": step.direct[0],
                "against": step.direct[1],
                "support": support,
                "label": label,
                "sentence": sentence,
            }
        )
    matrix = [
        {
            "title": titles[a],
            "cells": [
                None
                if a == b
                else {
                    "value": tally.pairwise[a][b],
                    "heat": round(10 * tally.pairwise[a][b] / total),
                    "wins": tally.pairwise[a][b] > tally.pairwise[b][a],
                }
                for b in order
            ],
        }
        for a in order
    ]
    places = results.places
    balanced_places = ranking.place_labels(results.balanced_ranking)
    rows = [
        {
            "slug": slug,
            "title": titles[slug],
            "position": int(places[slug].rstrip("=")),
            "place": places[slug],
            "balanced": balanced_places.get(slug),
            "first": tally.first_preferences.get(slug, 0),
            "borda": tally.borda.get(slug, 0),
            "movement": results.movement.get(slug, "absent")
            if results.previous_round
            else "absent",
        }
        for slug in order
    ]
    return {
        "rows": rows,
        "steps": steps,
        "matrix": matrix,
        "order_titles": [titles[s] for s in order],
        "balanced": [[titles[s] for s in group] for group in results.balanced_ranking],
        "min_group_ballots": results.min_group_ballots,
        "plain": [[titles[s] for s in group] for group in results.inseparable_ranking],
        "chart": participation_chart(results.groups),
        "groups": [
            {
                "name": g.name,
                "ballots": g.ballots,
                "eligible": g.eligible,
                "ranking": [[titles[s] for s in group] for group in g.ranking],
            }
            for g in results.groups
        ],
    }


def participation_chart(groups) -> dict:
    """Geometry of a horizontal bar chart of ballots per group, drawn as SVG by the template."""
    most = max([g.ballots for g in groups] + [g.eligible or 0 for g in groups] + [1])
    scale = (CHART_WIDTH - CHART_LABEL_WIDTH - 60) / most
    bars = []
    for index, group in enumerate(groups):
        y = index * (CHART_BAR_HEIGHT + 10)
        longest = max(group.ballots, group.eligible or 0) * scale
        bars.append(
            {
                "name": group.name,
                "ballots": group.ballots,
                "eligible": group.eligible,
                "y": y,
                "text_y": y + CHART_BAR_HEIGHT * 0.68,
                "width": round(group.ballots * scale, 1),
                "eligible_width": round((group.eligible or 0) * scale, 1),
                "value_x": CHART_LABEL_WIDTH + round(longest, 1) + 6,
            }
        )
    return {
        "bars": bars,
        "width": CHART_WIDTH,
        "height": max(1, len(groups)) * (CHART_BAR_HEIGHT + 10),
        "label_width": CHART_LABEL_WIDTH,
        "bar_height": CHART_BAR_HEIGHT,
    }
