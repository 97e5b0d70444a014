"""Benchmark topics.ranking on a large synthetic voting round.

Run from the project root:  python bench/bench_tally.py
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

# Import the module directly from the checkout so Django never needs configuring.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from topics.ranking import Ballot, bootstrap_step_support, tally  # noqa: E402

T = TypeVar("T")

CANDIDATES = 50
BALLOTS = 10_000
SAMPLES = 200
GROUPS = ("maintainers", "users", "industry", None)


def make_ballots(rng: random.Random, candidates: list[str], count: int) -> list[Ballot]:
    """Generate random partial rankings with occasional ties and mixed stakeholder groups."""
    ballots = []
    for _ in range(count):
        named = rng.sample(candidates, rng.randint(1, len(candidates)))
        groups: list[list[str]] = []
        for name in named:
            # Roughly one candidate in ten ties with the one ranked just above it.
            if groups and rng.random() < 0.1:
                groups[-1].append(name)
            else:
                groups.append([name])
        ballots.append(Ballot(tuple(map(tuple, groups)), group=rng.choice(GROUPS)))
    return ballots


def best_of(runs: int, action: Callable[[], T]) -> tuple[float, T]:
    """Return the fastest wall-clock time of ``runs`` calls and the last result."""
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        result = action()
        timings.append(time.perf_counter() - start)
    return min(timings), result


def main() -> None:
    """Time tally() and bootstrap_step_support() and print the figures."""
    rng = random.Random(42)
    candidates = [f"topic-{i:02d}" for i in range(CANDIDATES)]
    ballots = make_ballots(rng, candidates, BALLOTS)

    seconds, result = best_of(3, lambda: tally(candidates, ballots))
    print(f"tally: {CANDIDATES} candidates, {BALLOTS} ballots: {seconds:.2f} s (best of 3)")

    ranking = result.schulze.ranking
    start = time.perf_counter()
    support = bootstrap_step_support(candidates, ballots, ranking, samples=SAMPLES, seed=0)
    seconds = time.perf_counter() - start
    print(
        f"bootstrap_step_support: {CANDIDATES} candidates, {BALLOTS} ballots, "
        f"{SAMPLES} samples: {seconds:.2f} s"
    )
    print(f"  {len(ranking)} tie groups; weakest step support {min(support, default=1.0):.2f}")


if __name__ == "__main__":
    main()
