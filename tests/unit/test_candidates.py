"""The window of candidates a round scores: capped, stable across rounds, and fair to the pool."""

from dataclasses import dataclass

from bucle.loop.candidates import window


@dataclass(frozen=True)
class Record:
    id: str


POOL = [Record(f"r{i}") for i in range(10_000)]


def test_a_small_pool_is_scored_whole_and_in_order():
    assert window(POOL[:50], 100, seed=13) == POOL[:50]


def test_a_large_pool_is_capped_keeping_the_original_order():
    kept = window(POOL, 500, seed=13)
    assert len(kept) == 500
    positions = [int(r.id[1:]) for r in kept]
    assert positions == sorted(positions)
    assert window(list(reversed(POOL)), 500, seed=13) == list(reversed(kept))  # membership ignores the order
    assert kept != window(POOL, 500, seed=14)  # another project's seed, another window


def test_consecutive_rounds_see_nearly_the_same_texts():
    first = window(POOL, 500, seed=13)
    taken = set(first[:16])  # a batch is sent and labelled
    second = window([r for r in POOL if r not in taken], 500, seed=13)
    assert len(set(second) - set(first)) == 16  # only as many enter as left: the rest is already embedded


def test_the_window_is_spread_over_the_pool():
    positions = [int(r.id[1:]) for r in window(POOL, 1_000, seed=13)]
    quarters = [sum(q * 2_500 <= p < (q + 1) * 2_500 for p in positions) for q in range(4)]
    assert all(200 <= n <= 300 for n in quarters), quarters
